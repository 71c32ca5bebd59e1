/**
 * `exec`: the new process joins the init's namespaces and cgroups, keeps the container's
 * capability sets, returns its exit code, and cannot be reached through /proc/<pid>/exe
 * while it is still the runtime.
 */
import "./needs_root.ts";
import assert from "node:assert/strict";
import { Runtime } from "../../mod.ts";
import { buildExecPlan } from "../../lib/plan/build.ts";
import { encodePlan } from "../../lib/plan/encode.ts";
import { closeFd, killPid, launch, MsgKind, recvMessage, waitPid } from "../../lib/native/ffi.ts";
import type { Spec } from "../../lib/spec/types.ts";
import { drun, makeProbeBundle, probeReport, probeSpec } from "../helpers.ts";

function nsOf(pid: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const t of ["mnt", "pid", "net", "ipc", "uts", "user", "cgroup", "time"]) {
    out[t] = Number(/\[(\d+)\]/.exec(Deno.readLinkSync(`/proc/${pid}/ns/${t}`))![1]);
  }
  return out;
}

function capsOf(pid: number): string[] {
  return Deno.readTextFileSync(`/proc/${pid}/status`).split("\n")
    .filter((l) => /^Cap(Inh|Prm|Eff|Bnd|Amb):/.test(l));
}

async function startSleeper(b: ReturnType<typeof makeProbeBundle>, id: string) {
  const r = await drun(b, ["run", "-d", "--bundle", b.dir, id]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse((await drun(b, ["state", id])).stdout).pid as number;
}

Deno.test("exec: joins the init's namespaces and cgroup, same capabilities, exit code", async () => {
  const spec = probeSpec(["sleep", "30"]);
  spec.linux!.namespaces!.push({ type: "cgroup" });
  const b = makeProbeBundle(spec);
  try {
    const init = await startSleeper(b, "ex1");
    const r = await drun(b, ["exec", "ex1", "/probe", "report"]);
    assert.equal(r.code, 0, r.stderr);
    const rep = probeReport(r.stdout);
    assert.deepEqual(rep.ns, nsOf(init));
    assert.notEqual(rep.pid, 1, "a new process in the container's pid namespace");
    const initCaps = capsOf(init).map((l) => l.split(":\t")[1]);
    const c = rep.caps as Record<string, string>;
    assert.deepEqual([c.inh, c.prm, c.eff, c.bnd, c.amb], initCaps);
    // Same cgroups as the init, seen from inside: read both through the container's /proc.
    const cg = await drun(b, ["exec", "ex1", "/probe", "cat", "/proc/self/cgroup"]);
    const cgInit = await drun(b, ["exec", "ex1", "/probe", "cat", "/proc/1/cgroup"]);
    assert.equal(cg.stdout, cgInit.stdout);

    assert.equal((await drun(b, ["exec", "ex1", "/probe", "exit", "5"])).code, 5);
    const env = await drun(b, [
      "exec",
      "--env",
      "A=1",
      "--cwd",
      "/tmp",
      "--user",
      "1000:1000",
      "ex1",
      "/probe",
      "report",
    ]);
    const er = probeReport(env.stdout);
    assert.ok((er.env as string[]).includes("A=1"));
    assert.equal(er.cwd, "/tmp");
    assert.deepEqual(er.uid, [1000, 1000, 1000]);
  } finally {
    await b.cleanup();
  }
});

Deno.test("exec: a missing binary fails clearly with 127; --detach and --pid-file", async () => {
  const b = makeProbeBundle(probeSpec(["sleep", "30"]));
  try {
    await startSleeper(b, "ex2");
    const r = await drun(b, ["exec", "ex2", "/nonexistent"]);
    assert.equal(r.code, 127);
    assert.match(r.stderr, /process\.args\[0\].*(not found|ENOENT)/);
    const nf = await drun(b, ["exec", "ex2", "nosuchcmd"]);
    assert.equal(nf.code, 127);
    const dir = await drun(b, ["exec", "ex2", "/tmp"]);
    assert.equal(dir.code, 126, "a directory cannot be run");
    assert.match(dir.stderr, /process\.args\[0\].*not a regular file/);
    const pidFile = `${b.dir}/exec.pid`;
    const d = await drun(b, ["exec", "-d", "--pid-file", pidFile, "ex2", "/probe", "sleep", "5"]);
    assert.equal(d.code, 0, d.stderr);
    const pid = Number(Deno.readTextFileSync(pidFile));
    assert.match(Deno.readTextFileSync(`/proc/${pid}/cmdline`), /^\/probe/);
    killPid(pid, 9);
    const proc = JSON.parse(Deno.readTextFileSync(`${b.dir}/config.json`));
    proc.process.args = ["/probe", "exit", "9"];
    Deno.writeTextFileSync(`${b.dir}/p.json`, JSON.stringify(proc.process));
    assert.equal((await drun(b, ["exec", "--process", `${b.dir}/p.json`, "ex2"])).code, 9);
  } finally {
    await b.cleanup();
  }
});

Deno.test("exec: the joining process is drun-init and non-dumpable: /proc/<pid>/exe is closed to the container", async () => {
  // The case that matters (CVE-2019-5736): container root holds CAP_SYS_PTRACE in its own
  // user namespace, which the joining process enters. Only non-dumpability keeps it out,
  // because the joining process's memory belongs to the host's user namespace.
  const spec0 = probeSpec(["sleep", "30"]);
  spec0.linux!.namespaces!.push({ type: "user" });
  spec0.linux!.uidMappings = [{ containerID: 0, hostID: 200000, size: 65536 }];
  spec0.linux!.gidMappings = [{ containerID: 0, hostID: 200000, size: 65536 }];
  for (const set of ["bounding", "effective", "permitted"] as const) {
    spec0.process!.capabilities![set]!.push("CAP_SYS_PTRACE");
  }
  const b = makeProbeBundle(spec0);
  const rt = new Runtime(b.root);
  let syncFd = -1;
  let joining = 0;
  try {
    const init = await startSleeper(b, "ex3");
    const spec = rt.containerSpec("ex3") as Spec;
    // Stop a joining process where it waits for the runtime: inside the container's
    // namespaces, still the runtime's binary.
    const plan = buildExecPlan({
      process: { ...spec.process!, args: ["/probe", "exit", "0"] },
      linux: spec.linux ?? {},
      namespaces: ["user", "pid", "mount"].map((type) => ({
        type: type as "pid",
        path: `/proc/${init}/ns/${type === "mount" ? "mnt" : type}`,
      })),
    });
    const launched = launch(encodePlan(plan));
    syncFd = launched.syncFd;
    const m = await recvMessage(syncFd, 5000);
    await waitPid(launched.pid);
    assert.equal(m?.kind, MsgKind.PID);
    joining = Number(m!.value);
    // drun-init, not a copy of the runtime: no Deno in its executable or its memory.
    assert.equal(Deno.readLinkSync(`/proc/${joining}/exe`), "/memfd:drun-init (deleted)");
    assert.ok(!Deno.readTextFileSync(`/proc/${joining}/maps`).includes("deno"));
    const nspid =
      Deno.readTextFileSync(`/proc/${joining}/status`).match(/^NSpid:\s+\d+\s+(\d+)/m)![1];
    const w = await drun(b, ["exec", "ex3", "/probe", "open", `/proc/${nspid}/exe`, "2"]);
    assert.match(w.stdout, /"errno":(1|13)\b/, w.stdout);
    const wo = await drun(b, ["exec", "ex3", "/probe", "open", `/proc/${nspid}/exe`, "1"]);
    assert.match(wo.stdout, /"errno":(1|13)\b/, wo.stdout);
    const rd = await drun(b, ["exec", "ex3", "/probe", "open", `/proc/${nspid}/exe`, "0"]);
    assert.match(rd.stdout, /"errno":(1|13)\b/, rd.stdout);
  } finally {
    if (joining) {
      killPid(joining, 9);
      await waitPid(joining).catch(() => {});
    }
    if (syncFd >= 0) closeFd(syncFd);
    await b.cleanup();
  }
});
