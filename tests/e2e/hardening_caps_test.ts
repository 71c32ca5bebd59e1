/**
 * Capabilities nobody asked for in exec, and exec into a frozen container (issue #14, items
 * 1 and 12; the init's own case is in security_test.ts). Every test here failed before the
 * fix, as its comment says.
 * @module
 */
import "./needs_root.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import { Runtime } from "../../lib/runtime.ts";
import { drain } from "../../lib/streams.ts";
import { killPid, waitPid } from "../../lib/native/ffi.ts";
import type { Process } from "../../lib/spec/types.ts";
import { type Bundle, CLI, drun, makeProbeBundle, probeSpec } from "../helpers.ts";

/** CapInh, CapPrm, CapEff, CapBnd, CapAmb of a host process. */
function capsOf(pid: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of Deno.readTextFileSync(`/proc/${pid}/status`).split("\n")) {
    const m = /^Cap(Inh|Prm|Eff|Bnd|Amb):\s+([0-9a-f]+)$/.exec(l);
    if (m) out[m[1].toLowerCase()] = m[2];
  }
  return out;
}

async function runSleeper(b: Bundle, id: string): Promise<number> {
  const r = await drun(b, ["run", "-d", "--bundle", b.dir, id]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse((await drun(b, ["state", id])).stdout).pid as number;
}

/** Reads a pid file, then kills that pid once its caps have been read. */
function capsFromPidFile(path: string): Record<string, string> {
  const pid = Number(Deno.readTextFileSync(path));
  const caps = capsOf(pid);
  killPid(pid, 9);
  return caps;
}

// CAP_KILL | CAP_NET_BIND_SERVICE | CAP_AUDIT_WRITE: the default config's set.
const DEFAULT_SET = "0000000020000420";
const NONE = "0000000000000000";

// Failed before the fix: a --process file without capabilities (and the library's exec)
// kept the runtime's full set, and --cap also raised the inheritable and ambient sets.
Deno.test("caps: exec gets the container's set, and --cap adds to bnd/eff/prm only", async () => {
  const b = makeProbeBundle(probeSpec(["sleep", "30"]));
  try {
    await runSleeper(b, "excaps1");
    const proc = structuredClone(probeSpec(["sleep", "30"]).process!);
    delete proc.capabilities;
    const file = join(b.dir, "process.json");
    Deno.writeTextFileSync(file, JSON.stringify(proc));

    const pidFile = join(b.dir, "exec.pid");
    const viaFile = await drun(b, [
      "exec",
      "-d",
      "--pid-file",
      pidFile,
      "--process",
      file,
      "excaps1",
    ]);
    assert.equal(viaFile.code, 0, viaFile.stderr);
    const f = capsFromPidFile(pidFile);
    assert.deepEqual([f.bnd, f.prm, f.eff, f.inh, f.amb], [
      DEFAULT_SET,
      DEFAULT_SET,
      DEFAULT_SET,
      NONE,
      NONE,
    ]);

    const withCap = await drun(b, [
      "exec",
      "-d",
      "--pid-file",
      pidFile,
      "--cap",
      "CAP_CHOWN",
      "excaps1",
      "/probe",
      "sleep",
      "30",
    ]);
    assert.equal(withCap.code, 0, withCap.stderr);
    const w = capsFromPidFile(pidFile);
    const plusChown = "0000000020000421";
    assert.deepEqual([w.bnd, w.prm, w.eff, w.inh, w.amb], [
      plusChown,
      plusChown,
      plusChown,
      NONE,
      NONE,
    ]);

    const rt = new Runtime(b.root, () => {});
    const lib: Process = { ...proc, args: ["/probe", "sleep", "30"] };
    const r = await rt.exec("excaps1", lib, { detach: true });
    const l = capsOf(r.pid);
    killPid(r.pid, 9);
    // Our own child (exec forks with CLONE_PARENT): reap it, or the pid namespace cannot end.
    await waitPid(r.pid);
    assert.deepEqual([l.bnd, l.prm, l.eff, l.inh, l.amb], [
      DEFAULT_SET,
      DEFAULT_SET,
      DEFAULT_SET,
      NONE,
      NONE,
    ]);
  } finally {
    await b.cleanup();
  }
});

// Failed before the fix: exec into a paused container hung until the container was resumed
// (or for 60 s, then blamed a timeout); runc refuses at once.
Deno.test("exec: a paused container is refused at once; --ignore-paused waits for resume", async () => {
  const b = makeProbeBundle(probeSpec(["sleep", "30"]));
  try {
    await runSleeper(b, "expause1");
    const p = await drun(b, ["pause", "expause1"]);
    assert.equal(p.code, 0, p.stderr);
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", CLI, "--root", b.root, "exec", "expause1", "/probe", "echo", "hi"],
      stdout: "null",
      stderr: "piped",
      stdin: "null",
    }).spawn();
    // Old code sat here until a resume: give up after a while instead of hanging (and read
    // stderr only until exit, since a frozen half-made process would hold the pipe).
    const stderr = drain(child.stderr);
    const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    const status = await child.status;
    clearTimeout(timer);
    const err = await stderr.settle();
    assert.notEqual(status.code, 0);
    assert.match(err, /cannot exec in a paused container \(use --ignore-paused to override\)/);
    assert.equal(err.trim().split("\n").length, 1, err);

    // With the override the process joins the frozen cgroup and runs once thawed.
    const ignoring = drun(b, ["exec", "--ignore-paused", "expause1", "/probe", "echo", "hi"]);
    await new Promise((r) => setTimeout(r, 1000));
    const resumed = await drun(b, ["resume", "expause1"]);
    assert.equal(resumed.code, 0, resumed.stderr);
    const done = await ignoring;
    assert.equal(done.code, 0, done.stderr);
    assert.equal(done.stdout.trim(), "hi");
  } finally {
    await drun(b, ["resume", "expause1"]);
    await b.cleanup();
  }
});
