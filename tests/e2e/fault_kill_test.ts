/**
 * SIGKILL of the runtime at any point of `create` or `run` leaves nothing that
 * `delete --force` cannot remove, and the id works again afterwards.
 *
 * Before, a kill 50-80 ms into create left a state dir without state.json (and cgroups only
 * state.json would have named): `delete --force` said nothing, exit 0, kept both, and the id
 * could never be created again; a killed foreground `run` left its waiting init behind.
 */
import "./needs_root.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import { CLI, drun, makeProbeBundle, probeSpec } from "../helpers.ts";

const OFFSETS_MS = [0, 20, 40, 60, 80, 100, 120, 140, 160, 180];
const ROUNDS = 3;

/** Processes (pids) holding anything under `dir`: fds, cwd or root. */
function holders(dir: string): number[] {
  const out: number[] = [];
  for (const e of Deno.readDirSync("/proc")) {
    const pid = Number(e.name);
    if (!Number.isInteger(pid) || pid === Deno.pid) continue;
    try {
      const links = [`/proc/${pid}/root`, `/proc/${pid}/cwd`];
      for (const f of Deno.readDirSync(`/proc/${pid}/fd`)) links.push(`/proc/${pid}/fd/${f.name}`);
      if (
        links.some((l) => {
          try {
            return Deno.readLinkSync(l).startsWith(dir);
          } catch {
            return false;
          }
        })
      ) out.push(pid);
    } catch { /* gone, or not ours to read */ }
  }
  return out;
}

/** Entries of the state root (none when drun never got to make it). */
function entries(root: string): string[] {
  try {
    return [...Deno.readDirSync(root)].map((e) => e.name);
  } catch {
    return [];
  }
}

function cgroupDirs(id: string): string[] {
  const found: string[] = [];
  for (const h of Deno.readDirSync("/sys/fs/cgroup")) {
    const d = join("/sys/fs/cgroup", h.name, `drun-${id}`);
    try {
      Deno.statSync(d);
      found.push(d);
    } catch { /* none */ }
  }
  return found;
}

for (const cmd of ["create", "run"] as const) {
  Deno.test(`fault: SIGKILL of ${cmd} at 0-180 ms, ${ROUNDS} times each, leaves nothing after delete --force`, async () => {
    const b = makeProbeBundle(probeSpec(["sleep", "30"]));
    const id = `fault-${cmd}-${Deno.pid}`;
    try {
      for (let round = 0; round < ROUNDS; round++) {
        for (const ms of OFFSETS_MS) {
          const what = `${cmd} killed at ${ms} ms (round ${round})`;
          const child = new Deno.Command(Deno.execPath(), {
            args: ["run", "-A", CLI, "--root", b.root, cmd, "--bundle", b.dir, id],
            cwd: b.dir,
            stdin: "null",
            stdout: "null",
            stderr: "null",
          }).spawn();
          await new Promise((r) => setTimeout(r, ms));
          try {
            child.kill("SIGKILL");
          } catch { /* already done */ }
          await child.status;
          // A created init outlives `create` by design; `run`'s must die with it.
          const d = await drun(b, ["delete", "--force", id]);
          assert.equal(d.code, 0, `${what}: ${d.stderr}`);
          assert.deepEqual(entries(b.root), [], what);
          assert.deepEqual(cgroupDirs(id), [], what);
          // The init (a killed run's, or a deleted create's) is gone soon after.
          let left = holders(b.dir);
          for (let i = 0; i < 100 && left.length; i++) {
            await new Promise((r) => setTimeout(r, 20));
            left = holders(b.dir);
          }
          assert.deepEqual(left, [], `${what}: processes left`);
        }
      }
      // And the id works again.
      b.write(probeSpec(["exit", "0"]));
      const r = await drun(b, ["run", "--bundle", b.dir, id]);
      assert.equal(r.code, 0, r.stderr);
    } finally {
      await b.cleanup();
    }
  });
}
