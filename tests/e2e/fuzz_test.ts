/**
 * A bounded, seeded fuzz of the configuration and the command line (issue #14, acceptance):
 * about 500 mutations of a valid busybox config (fields deleted, wrong types, huge and
 * negative numbers, long strings, odd paths), of `create` and `exec` argument lists and of
 * exec's --process files. Every case
 * must either run or fail with one line naming the JSON field or flag; nothing may crash,
 * hang, or leave a state dir, mount, cgroup or process behind.
 *
 * Most cases go through `Runtime.create` in this process: it is exactly what the CLI runs
 * (the same validator, planner and launch), minus a Deno start-up per case. A sample of
 * configs and every argument list go through the real CLI. Failed before the fixes it led
 * to (see the commit that added it); DRUN_FUZZ_SEED picks another seed.
 *
 * Safety: the mutations never touch fields that could reach outside the test's temp dir or
 * its own cgroups (root.path is only ever made invalid, never pointed at the host; the
 * rootfs propagation, cgroupsPath and hooks are left alone; pid files and sockets stay in
 * the temp dir), and the container only ever runs busybox `true`.
 * @module
 */
import "./needs_root.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import { DrunError } from "../../lib/errors.ts";
import { Runtime } from "../../lib/runtime.ts";
import { killPid, waitPid } from "../../lib/native/ffi.ts";
import type { Spec } from "../../lib/spec/types.ts";
import { busyboxRootfs, drun } from "../helpers.ts";
import { type Json, mutate, mutatedArgs, mutatedExec, rng } from "./fuzz_mutate.ts";
import {
  baseSpec,
  checkRefusal,
  leftovers,
  ownCgroupDirs,
  ownChildren,
  withTimeout,
} from "./fuzz_checks.ts";

const SEED = Number(Deno.env.get("DRUN_FUZZ_SEED") ?? "20261201");
const IN_PROCESS = 440;
const CLI_CONFIGS = 30;
const CLI_ARGS = 30;
const CLI_EXEC = 30;
const CASE_TIMEOUT_MS = 15_000;

Deno.test({
  name: "fuzz: ~500 mutated configs and argument lists run or fail naming their field",
  // The runtime may open and close fds and timers of its own across cases.
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const rand = rng(SEED);
    const dir = Deno.makeTempDirSync({ prefix: "drun-test-fuzz-" });
    Deno.chmodSync(dir, 0o755);
    const rootfs = join(dir, "rootfs");
    busyboxRootfs(rootfs);
    Deno.mkdirSync(join(dir, "data"));
    const root = join(dir, "state");
    const cgDirs = ownCgroupDirs();
    const children = ownChildren();
    const failures: string[] = [];
    let ran = 0, refused = 0;
    const rt = new Runtime(root, () => {});
    const base = baseSpec(dir);

    const mutated = (n: number) => {
      const spec = JSON.parse(JSON.stringify(base)) as Json;
      const did: string[] = [];
      // Mostly one mutation, so that a fair share of cases still launch a container.
      const r = rand();
      const count = r < 0.6 ? 1 : r < 0.9 ? 2 : 3;
      for (let k = 0; k < count; k++) did.push(mutate(spec, rand));
      return { spec, did: `#${n}: ${did.join("; ")}` };
    };

    const afterCase = (label: string) => {
      const left = leftovers(root, dir, cgDirs, children);
      if (left.state.length || left.mounts.length || left.cgroups.length || left.procs.length) {
        failures.push(`${label}: left behind ${JSON.stringify(left)}`);
        for (const p of left.procs) killPid(p, 9);
        for (const id of left.state) rt.delete(id, { force: true }).catch(() => {});
      }
    };

    try {
      // In-process: the CLI's own code path.
      for (let n = 0; n < IN_PROCESS; n++) {
        const { spec, did } = mutated(n);
        const id = `fz${n}`;
        try {
          const c = await withTimeout(
            rt.create(id, { bundle: dir, spec: spec as unknown as Spec, timeoutMs: 10_000 }),
            CASE_TIMEOUT_MS,
            "create",
          );
          try {
            await withTimeout(c.start(), CASE_TIMEOUT_MS, "start");
            await withTimeout(c.wait(), CASE_TIMEOUT_MS, "wait");
            ran++;
          } catch (e) {
            const msg = e instanceof Error ? e.message : String(e);
            const bad = e instanceof DrunError ? checkRefusal(msg, e.path) : msg;
            if (bad) failures.push(`${did}: after create: ${bad}`);
            else refused++;
          } finally {
            await c.delete({ force: true }).catch((e) => failures.push(`${did}: delete: ${e}`));
            // The init is this process's child: reap it, a zombie is a leftover too.
            await waitPid(c.created!.state.pid).catch(() => {});
          }
        } catch (e) {
          const msg = e instanceof Error ? e.message : String(e);
          if (!(e instanceof DrunError)) {
            failures.push(`${did}: crashed: ${e instanceof Error ? e.stack : msg}`);
          } else {
            const bad = checkRefusal(msg, e.path);
            if (bad) failures.push(`${did}: ${bad}`);
            else refused++;
          }
        }
        afterCase(did);
      }

      // Through the real CLI: mutated configs, with `run`.
      for (let n = 0; n < CLI_CONFIGS; n++) {
        const { spec, did } = mutated(IN_PROCESS + n);
        Deno.writeTextFileSync(join(dir, "config.json"), JSON.stringify(spec));
        const r = await withTimeout(
          drun({ dir, root }, ["run", "--bundle", dir, `fzc${n}`]),
          CASE_TIMEOUT_MS * 2,
          "drun run",
        );
        cliVerdict(`cli ${did}`, r);
        afterCase(`cli ${did}`);
      }

      // Through the real CLI: mutated argument lists of `create`, on the valid config.
      Deno.writeTextFileSync(join(dir, "config.json"), JSON.stringify(base));
      for (let n = 0; n < CLI_ARGS; n++) {
        const args = mutatedArgs(rand, dir, n);
        const label = `args #${n}: ${JSON.stringify(args).slice(0, 200)}`;
        const r = await withTimeout(drun({ dir, root }, args), CASE_TIMEOUT_MS * 2, "drun");
        if (r.code === 0) {
          // A created container: it must be usable and removable.
          for (const id of [...Deno.readDirSync(root)].map((e) => e.name)) {
            if (id === ".cache") continue;
            const d = await drun({ dir, root }, ["delete", "--force", id]);
            if (d.code !== 0) failures.push(`${label}: delete ${id}: ${d.stderr}`);
          }
        }
        cliVerdict(label, r);
        afterCase(label);
      }

      // Through the real CLI: mutated `exec` argument lists and --process files, into one
      // running container.
      const sleeper = structuredClone(base);
      sleeper.process!.args = ["/bin/sleep", "120"];
      Deno.writeTextFileSync(join(dir, "config.json"), JSON.stringify(sleeper));
      const up = await drun({ dir, root }, ["run", "-d", "--bundle", dir, "fzsleeper"]);
      assert.equal(up.code, 0, up.stderr);
      for (let n = 0; n < CLI_EXEC; n++) {
        const args = mutatedExec(rand, dir, n, base.process!, "fzsleeper");
        const label = `exec #${n}: ${JSON.stringify(args).slice(0, 300)}`;
        const r = await withTimeout(drun({ dir, root }, args), CASE_TIMEOUT_MS * 2, "exec");
        cliVerdict(label, r);
      }
      const down = await drun({ dir, root }, ["delete", "--force", "fzsleeper"]);
      assert.equal(down.code, 0, down.stderr);
      afterCase("exec cases");
    } finally {
      for (
        const e of (() => {
          try {
            return [...Deno.readDirSync(root)];
          } catch {
            return [];
          }
        })()
      ) {
        await rt.delete(e.name, { force: true }).catch(() => {});
      }
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }

    function cliVerdict(label: string, r: { code: number; stderr: string }) {
      if (r.code === 0) {
        ran++;
        return;
      }
      const lines = r.stderr.trim().split("\n");
      // The logger's msg="...", or exec's shell-like "drun: ..." line (exit 127/126).
      // exec's failures carry runc's "exec failed: " before the field.
      const msg = (/msg="((?:[^"\\]|\\.)*)"/.exec(lines[0] ?? "")?.[1] ??
        (lines[0] ?? "").replace(/^drun: /, "")).replace(/^exec failed: /, "");
      if (lines.length !== 1) failures.push(`${label}: ${lines.length} lines: ${r.stderr}`);
      else if (
        !/^(--[a-z-]+|id|config\.json|[A-Za-z]+(\[[^\]]*\]|\.[A-Za-z0-9_]+)*): /.test(msg) &&
        !/(^|[\s'"])--?[a-zA-Z][a-zA-Z-]*/.test(msg)
      ) {
        failures.push(`${label}: names no field or flag: ${msg}`);
      } else refused++;
    }

    console.log(`fuzz seed ${SEED}: ${ran} ran, ${refused} refused, ${failures.length} bad`);
    assert.deepEqual(failures, [], `seed ${SEED}:\n${failures.join("\n")}`);
  },
});
