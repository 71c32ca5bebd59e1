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
import { defaultSpec } from "../../lib/spec/default.ts";
import { killPid, waitPid } from "../../lib/native/ffi.ts";
import type { Spec } from "../../lib/spec/types.ts";
import { busyboxRootfs, drun } from "../helpers.ts";

const SEED = Number(Deno.env.get("DRUN_FUZZ_SEED") ?? "20261201");
const IN_PROCESS = 440;
const CLI_CONFIGS = 30;
const CLI_ARGS = 30;
const CLI_EXEC = 30;
const CASE_TIMEOUT_MS = 15_000;

/** mulberry32: small, seedable, good enough to pick mutations. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const ODD_STRINGS: string[] = [
  "",
  " ",
  "relative/path",
  "/nonexistent/deeper",
  "../../../../etc",
  "/a/../../b",
  "/./././x",
  "//double//slash",
  "/" + "c".repeat(300),
  "/" + "ab/".repeat(1700),
  "x".repeat(20_000),
  "nul\u0000inside",
  "émoji-🦕",
  "--flag-like",
  "=",
  "KEY=",
  "\n",
];
const ODD_NUMBERS: number[] = [
  -1,
  -(2 ** 31),
  0,
  1,
  255,
  256,
  65535,
  4294967294,
  4294967295,
  4294967296,
  2 ** 53,
  -(2 ** 53),
  1e308,
  -1e308,
  0.5,
];

/** Paths (as key lists) the fuzzer must not change: they could reach the host. */
function forbidden(path: (string | number)[]): boolean {
  const p = path.join(".");
  return p.startsWith("hooks") || p === "linux.rootfsPropagation" || p === "linux.cgroupsPath";
}

/** Every path into the tree (objects and arrays included), in a stable order. */
function paths(v: Json, at: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [at];
  if (Array.isArray(v)) v.forEach((x, i) => out.push(...paths(x, [...at, i])));
  else if (v && typeof v === "object") {
    for (const k of Object.keys(v)) out.push(...paths(v[k], [...at, k]));
  }
  return out;
}

function getAt(v: Json, path: (string | number)[]): Json {
  let cur: Json = v;
  for (const k of path) cur = (cur as Record<string, Json>)[k as string];
  return cur;
}

/** One mutation of `spec` in place; returns what it did, for the failure report. */
function mutate(spec: Json, rand: () => number): string {
  const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)];
  const all = paths(spec).filter((p) => p.length > 0 && !forbidden(p));
  const path = pick(all);
  const parent = getAt(spec, path.slice(0, -1)) as Record<string, Json>;
  const key = path[path.length - 1] as string;
  const where = path.join(".");
  const isRootPath = where === "root.path";
  const isBindSource = /^mounts\.\d+\.source$/.test(where);
  const kind = Math.floor(rand() * 8);
  const set = (v: Json, what: string) => {
    parent[key] = v;
    return `${where} = ${what}`;
  };
  switch (kind) {
    case 0:
      if (Array.isArray(parent)) {
        parent.splice(Number(key), 1);
      } else delete parent[key];
      return `delete ${where}`;
    case 1:
      return set(null, "null");
    case 2: {
      const v = pick<Json>([true, 42, "str", [], {}, [1, "a"], { x: 1 }]);
      return set(v, JSON.stringify(v));
    }
    case 3: {
      const n = pick(ODD_NUMBERS);
      return set(n, String(n));
    }
    case 4: {
      // root.path and bind sources only ever get strings that cannot name a host path.
      const s = isRootPath || isBindSource
        ? pick(["", "relative/nonexistent", "/nonexistent/x", "/" + "c".repeat(300)])
        : pick(ODD_STRINGS);
      return set(s, JSON.stringify(s.slice(0, 40)) + (s.length > 40 ? `… (${s.length})` : ""));
    }
    case 5: {
      // Grow an array with a copy of one of its entries, or with junk.
      if (Array.isArray(parent[key])) {
        const arr = parent[key] as Json[];
        // Up to 200: more than 255 args+env entries do not fit one op of the plan format yet.
        const n = pick([1, 40, 200]);
        for (let i = 0; i < n; i++) arr.push(arr.length ? structuredClone(arr[0]) : "x");
        return `grow ${where} by ${n}`;
      }
      return set([parent[key]], "[value]");
    }
    case 6: {
      if (parent[key] && typeof parent[key] === "object" && !Array.isArray(parent[key])) {
        (parent[key] as Record<string, Json>)[pick(["unknownField", "", "x".repeat(500)])] = 1;
        return `add unknown field to ${where}`;
      }
      return set({}, "{}");
    }
    default: {
      if (typeof parent[key] === "string" && !isRootPath && !isBindSource) {
        return set(
          (parent[key] as string) + pick(["/..", "/x", "\u0000", "/" + "n".repeat(256)]),
          "suffix",
        );
      }
      if (typeof parent[key] === "number") {
        return set(-(parent[key] as number) - 1, "negated");
      }
      return set(pick(ODD_STRINGS.slice(0, 6)), "odd string");
    }
  }
}

/** The base: the default config running busybox `true`, a bind mount inside the bundle. */
function baseSpec(bundle: string): Spec {
  const spec = defaultSpec({ args: ["/bin/true"] });
  spec.process!.terminal = false;
  spec.hostname = "fuzz";
  spec.mounts!.push({
    destination: "/data",
    type: "bind",
    source: join(bundle, "data"),
    options: ["rbind", "ro"],
  });
  spec.process!.rlimits!.push({ type: "RLIMIT_NPROC", soft: 64, hard: 64 });
  spec.annotations = { "org.example.fuzz": "1" };
  return spec;
}

/** What a refusal must look like: one line that starts with the field or flag it is about. */
function checkRefusal(message: string, path: string | undefined): string | undefined {
  if (message.includes("\n")) return `more than one line: ${JSON.stringify(message)}`;
  if (!path) return `no field named: ${message}`;
  if (!message.startsWith(`${path}: `)) return `does not start with its field ${path}`;
  const fieldLike = /^(--[a-z-]+|id|config\.json|[A-Za-z]+(\[[^\]]*\]|\.[A-Za-z0-9_]+)*)$/;
  if (!fieldLike.test(path)) return `not a field or flag: ${path}`;
  return undefined;
}

/** This test's own cgroup directory in every v1 hierarchy (and the v2 mount). */
function ownCgroupDirs(): string[] {
  const dirs = new Set<string>();
  const lines = Deno.readTextFileSync("/proc/self/cgroup").trim().split("\n");
  for (const line of Deno.readTextFileSync("/proc/self/mountinfo").trim().split("\n")) {
    const [left, right] = line.split(" - ");
    const [fstype, , opts] = right.split(" ");
    if (fstype !== "cgroup" && fstype !== "cgroup2") continue;
    const point = left.split(" ")[4];
    const l = lines.find((x) => {
      const [h, ctl] = x.split(":");
      return fstype === "cgroup2" ? h === "0" : ctl.split(",").some((c) => opts.includes(c) && c);
    });
    if (l) dirs.add(join(point, l.split(":")[2]));
  }
  return [...dirs];
}

interface Leftovers {
  state: string[];
  mounts: string[];
  cgroups: string[];
  procs: number[];
}

/** Children of this process (any state). */
function ownChildren(): Set<number> {
  const out = new Set<number>();
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${e.name}/stat`);
      if (Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === Deno.pid) {
        out.add(Number(e.name));
      }
    } catch { /* gone */ }
  }
  return out;
}

function leftovers(
  root: string,
  dir: string,
  cgDirs: string[],
  children: Set<number>,
): Leftovers {
  const state: string[] = [];
  try {
    for (const e of Deno.readDirSync(root)) if (e.name !== ".cache") state.push(e.name);
  } catch { /* no root yet */ }
  const mounts = Deno.readTextFileSync("/proc/self/mountinfo").split("\n")
    .filter((l) => l.includes(dir));
  const cgroups: string[] = [];
  for (const d of cgDirs) {
    try {
      for (const e of Deno.readDirSync(d)) {
        if (e.isDirectory && e.name.startsWith("drun-fz")) cgroups.push(join(d, e.name));
      }
    } catch { /* gone */ }
  }
  const procs: number[] = [];
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    const pid = Number(e.name);
    try {
      // Our own children (zombies included) that were not there before the fuzzing began,
      // drun commands naming the temp dir, and anything whose root is the rootfs.
      const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === Deno.pid && !children.has(pid)) procs.push(pid);
      else if (Deno.readTextFileSync(`/proc/${pid}/cmdline`).includes(dir)) procs.push(pid);
      else if (Deno.readLinkSync(`/proc/${pid}/root`).startsWith(dir)) procs.push(pid);
    } catch { /* gone, or not ours to read */ }
  }
  return { state, mounts, cgroups, procs };
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`hang: ${what} took over ${ms} ms`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

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

/** A `create` argument list with one or two odd flags or ids; paths stay inside `dir`. */
function mutatedArgs(rand: () => number, dir: string, n: number): string[] {
  const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)];
  const id = pick([
    `fza${n}`,
    `.fza${n}`,
    "",
    "../escape",
    "a/b",
    "x".repeat(2000),
    "-dash",
    "sp ace",
    "..",
  ]);
  const extras: string[][] = [
    ["--preserve-fds", pick(["-1", "1e9", "99999999999", "abc", "0", "2", ""])],
    ["--pid-file", pick([join(dir, "p.pid"), join(dir, "nodir", "p.pid"), join(dir, "data"), ""])],
    ["--console-socket", pick([join(dir, "nosock"), ""])],
    ["--no-pivot"],
    ["--no-such-flag"],
    ["--bundle", pick([join(dir, "nonexistent"), join(dir, "data"), ""])],
  ];
  const args = ["create", "--bundle", dir];
  const k = 1 + Math.floor(rand() * 2);
  for (let i = 0; i < k; i++) args.push(...pick(extras));
  args.push(id);
  if (rand() < 0.1) args.push("extra-positional");
  return args;
}

/** An `exec` argument list with odd flags, or a --process file mutated like a config. */
function mutatedExec(
  rand: () => number,
  dir: string,
  n: number,
  proc: NonNullable<Spec["process"]>,
  id: string,
): string[] {
  const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)];
  const args = ["exec"];
  if (rand() < 0.3) {
    const tree = { process: structuredClone(proc) } as unknown as Json;
    mutate(tree, rand);
    const file = join(dir, `process-${n}.json`);
    Deno.writeTextFileSync(file, JSON.stringify((tree as Record<string, Json>).process));
    return [...args, "--process", file, id];
  }
  const flags: string[][] = [
    ["--user", pick(["4294967295", "-1", "abc", "0:4294967295", "65534", "1:1", ""])],
    ["--cwd", pick(["relative", "/nonexistent", "/" + "ab/".repeat(1500), "/tmp"])],
    ["--env", pick(["NOEQ", "=x", "A=" + "v".repeat(5000), "A=1"])],
    ["--cap", pick(["CAP_NOPE", "CAP_CHOWN", "", "cap_chown"])],
    ["--additional-gids", pick(["4294967295", "x", "10"])],
    ["--preserve-fds", pick(["99999999999", "-3", "1"])],
    ["--pid-file", pick([join(dir, "e.pid"), join(dir, "nodir", "e.pid")])],
    ["-d"],
    ["--tty"],
    ["--no-new-privs"],
    ["--ignore-paused"],
  ];
  const k = 1 + Math.floor(rand() * 2);
  for (let i = 0; i < k; i++) args.push(...pick(flags));
  args.push(pick([id, id, id, "nosuch", ".."]));
  args.push(...pick([["/bin/true"], ["/bin/true"], ["relative"], ["/nonexistent"], [""]]));
  return args;
}
