/**
 * drun run with less than `-A`: one line saying what is missing, exit 1, and nothing left
 * behind (no state dir, no container init, no cgroup). Without the up-front check, `run`
 * with each --allow-* flag but not -A cloned an init, failed on a /proc read that was taken
 * for "process gone", and waited forever next to an orphan init and a state dir; with only
 * --allow-read it printed Deno's own error about an env variable.
 */
import "./needs_root.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import { CLI, makeProbeBundle, pidsMentioning, probeSpec } from "../helpers.ts";
import { drain } from "../../lib/streams.ts";

const SETS = [
  ["--allow-read"],
  ["--allow-read", "--allow-write", "--allow-env", "--allow-ffi"],
  ["--allow-read", "--allow-write", "--allow-env", "--allow-ffi", "--allow-run", "--allow-sys"],
  ["-A", "--deny-net"],
  [],
];

/** Directories named name in any cgroup hierarchy, at most 6 levels down. */
function cgroupsNamed(name: string, dir = "/sys/fs/cgroup", depth = 0): string[] {
  if (depth > 6) return [];
  const found: string[] = [];
  try {
    for (const e of Deno.readDirSync(dir)) {
      if (!e.isDirectory) continue;
      const p = join(dir, e.name);
      if (e.name === name) found.push(p);
      else found.push(...cgroupsNamed(name, p, depth + 1));
    }
  } catch { /* unreadable */ }
  return found;
}

for (const perms of SETS) {
  Deno.test(`permissions: run with [${perms.join(" ")}] fails at once, leaving nothing`, async () => {
    const b = makeProbeBundle(probeSpec(["exit", "0"]));
    const id = `perm${Deno.pid}x${SETS.indexOf(perms)}`;
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "--no-prompt", ...perms, CLI, "--root", b.root, "run", "--bundle", b.dir, id],
      cwd: b.dir,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const stderr = drain(child.stderr);
    const stdout = drain(child.stdout);
    // Without the check this hung; end it so the assertions below report what was left.
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    const { code } = await child.status;
    clearTimeout(timer);
    const err = await stderr.settle();
    await stdout.settle();
    const left = pidsMentioning(b.dir);
    for (const p of left) Deno.kill(p, "SIGKILL");
    const cgroups = cgroupsNamed(`drun-${id}`);
    for (const d of cgroups) Deno.removeSync(d);
    try {
      assert.equal(code, 1);
      assert.match(err, /^drun: needs Deno's --allow-all \(-A\): [^\n]*\n$/);
      if (perms.length === 0) assert.match(err, /missing --allow-read --allow-write /);
      assert.deepEqual(left, [], "no process of the container");
      assert.deepEqual(cgroups, [], "no cgroup");
      assert.throws(() => Deno.statSync(b.root), Deno.errors.NotFound, "no state root");
    } finally {
      await b.cleanup();
    }
  });
}

Deno.test("permissions: -A is enough", async () => {
  const b = makeProbeBundle(probeSpec(["exit", "3"]));
  try {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--no-prompt", "-A", CLI, "--root", b.root, "run", "--bundle", b.dir, "pa"],
      cwd: b.dir,
      stdin: "null",
    }).output();
    assert.equal(out.code, 3);
  } finally {
    await b.cleanup();
  }
});
