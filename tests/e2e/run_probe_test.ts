/**
 * `run` of the probe: what the container sees (pid 1, hostname, ids, cwd, env, /proc,
 * namespaces), with and without a user namespace.
 */
import "./needs_root.ts";
import assert from "node:assert/strict";
import { drun, hostNamespaces, makeProbeBundle, probeReport, probeSpec } from "../helpers.ts";

Deno.test("run: the probe sees pid 1, hostname, ids, cwd, env, /proc and new namespaces", async () => {
  const spec = probeSpec(["report"]);
  spec.hostname = "probe-host";
  spec.process!.cwd = "/tmp";
  spec.process!.env = ["PATH=/bin", "HELLO=world"];
  spec.process!.user = { uid: 1000, gid: 1001, additionalGids: [5, 7], umask: 0o027 };
  // pid, mount, uts, ipc, network are new; cgroup and time are not asked for.
  spec.linux!.namespaces = ["pid", "network", "ipc", "uts", "mount"].map((type) => ({
    type: type as "pid",
  }));
  const b = makeProbeBundle(spec);
  try {
    const r = await drun(b, ["run", "--bundle", b.dir, "probe1"]);
    assert.equal(r.code, 0, r.stderr);
    const rep = probeReport(r.stdout);
    assert.equal(rep.pid, 1);
    assert.equal(rep.hostname, "probe-host");
    assert.equal(rep.cwd, "/tmp");
    // HOME from the image's passwd, or /, when env has none (as runc and crun set it).
    assert.deepEqual(rep.env, ["PATH=/bin", "HELLO=world", "HOME=/"]);
    assert.deepEqual(rep.uid, [1000, 1000, 1000]);
    assert.deepEqual(rep.gid, [1001, 1001, 1001]);
    assert.deepEqual(rep.groups, [5, 7]);
    assert.equal(rep.umask, 0o027);
    const mounts = rep.mounts as { target: string; fstype: string }[];
    assert.ok(mounts.some((m) => m.target === "/proc" && m.fstype === "proc"), "proc mounted");
    const host = hostNamespaces();
    const ns = rep.ns as Record<string, number>;
    for (const t of ["pid", "net", "ipc", "uts", "mnt"]) {
      assert.notEqual(ns[t], host[t], `new ${t}`);
    }
    for (const t of ["user", "cgroup", "time"]) assert.equal(ns[t], host[t], `host ${t}`);
  } finally {
    await b.cleanup();
  }
});

Deno.test("run: every namespace kind, including user (mapped ids), cgroup and time", async () => {
  const spec = probeSpec(["report"]);
  spec.linux!.namespaces = ["pid", "network", "ipc", "uts", "mount", "user", "cgroup", "time"]
    .map((type) => ({ type: type as "pid" }));
  spec.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
  spec.linux!.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
  spec.linux!.timeOffsets = { monotonic: { secs: 86400, nanosecs: 0 } };
  spec.process!.user = { uid: 0, gid: 0 };
  // sysfs in a user namespace needs the netns it owns; keep the runc default mounts.
  const b = makeProbeBundle(spec);
  try {
    const r = await drun(b, ["run", "--bundle", b.dir, "userns1"]);
    assert.equal(r.code, 0, r.stderr);
    const rep = probeReport(r.stdout);
    assert.equal(rep.pid, 1);
    assert.deepEqual(rep.uid, [0, 0, 0]);
    const host = hostNamespaces();
    const ns = rep.ns as Record<string, number>;
    for (const t of ["pid", "net", "ipc", "uts", "mnt", "user", "cgroup", "time"]) {
      assert.notEqual(ns[t], host[t], `new ${t} namespace`);
    }
    // The mapping as seen from outside: the probe's files would be owned by host 100000.
    const probeUid = await drun(b, ["run", "--bundle", b.dir, "userns2"]);
    assert.equal(probeUid.code, 0, probeUid.stderr);
  } finally {
    await b.cleanup();
  }
});

Deno.test("run: the time namespace applies the monotonic offset", async () => {
  const spec = probeSpec(["cat", "/proc/uptime"]);
  spec.linux!.namespaces!.push({ type: "time" });
  spec.linux!.timeOffsets = { boottime: { secs: 1000000, nanosecs: 0 } };
  const b = makeProbeBundle(spec);
  try {
    const r = await drun(b, ["run", "--bundle", b.dir, "time1"]);
    assert.equal(r.code, 0, r.stderr);
    const uptime = Number(r.stdout.split(" ")[0]);
    const hostUptime = Number(Deno.readTextFileSync("/proc/uptime").split(" ")[0]);
    assert.ok(uptime >= hostUptime + 999000, `uptime ${uptime} vs host ${hostUptime}`);
  } finally {
    await b.cleanup();
  }
});

Deno.test("run: joining an existing namespace by path keeps its inode", async () => {
  const spec = probeSpec(["report"]);
  const hostUts = hostNamespaces().uts;
  spec.linux!.namespaces = spec.linux!.namespaces!.filter((n) =>
    n.type !== "uts" && n.type !== "network"
  );
  spec.linux!.namespaces.push({ type: "network", path: "/proc/self/ns/net" });
  delete spec.hostname;
  const b = makeProbeBundle(spec);
  try {
    const r = await drun(b, ["run", "--bundle", b.dir, "join1"]);
    assert.equal(r.code, 0, r.stderr);
    const ns = probeReport(r.stdout).ns as Record<string, number>;
    assert.equal(ns.uts, hostUts);
    assert.equal(ns.net, hostNamespaces().net);
  } finally {
    await b.cleanup();
  }
});

Deno.test("run: exit codes, and 128+N when killed by signal N", async () => {
  const b = makeProbeBundle(probeSpec(["exit", "3"]));
  try {
    assert.equal((await drun(b, ["run", "--bundle", b.dir, "exit3"])).code, 3);
    b.write(probeSpec(["exit", "0"]));
    assert.equal((await drun(b, ["run", "--bundle", b.dir, "exit0"])).code, 0);
    // Killed from outside with SIGKILL (which pid 1 cannot catch): run exits 128+9.
    b.write(probeSpec(["sleep", "30"]));
    const running = drun(b, ["run", "--bundle", b.dir, "killed"]);
    for (let i = 0; i < 200; i++) {
      const st = await drun(b, ["state", "killed"]);
      if (st.code === 0 && JSON.parse(st.stdout).status === "running") break;
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal((await drun(b, ["kill", "killed", "KILL"])).code, 0);
    assert.equal((await running).code, 137);
  } finally {
    await b.cleanup();
  }
});

Deno.test("run: read-only root, masked and read-only paths", async () => {
  const spec = probeSpec(["write", "/x", "y"]);
  spec.root!.readonly = true;
  const b = makeProbeBundle(spec);
  try {
    const r = await drun(b, ["run", "--bundle", b.dir, "ro1"]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /"errno":30/); // EROFS
    b.write(probeSpec(["write", "/proc/sys/kernel/hostname", "x"]));
    const r2 = await drun(b, ["run", "--bundle", b.dir, "ro2"]);
    assert.equal(r2.code, 1);
    assert.match(r2.stdout, /"errno":30/);
  } finally {
    await b.cleanup();
  }
});

Deno.test("run: a cgroup namespace is rooted at the container's own cgroup", async () => {
  const spec = probeSpec(["cat", "/proc/self/cgroup"]);
  spec.linux!.namespaces!.push({ type: "cgroup" });
  const b = makeProbeBundle(spec);
  try {
    const r = await drun(b, ["run", "--bundle", b.dir, "cgns1"]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split("\n");
    assert.ok(lines.length > 1);
    // Every hierarchy the runtime put the container in looks like "/" from inside.
    for (const l of lines.filter((l) => !l.startsWith("0::"))) assert.match(l, /:\/$/, l);
  } finally {
    await b.cleanup();
  }
});

Deno.test("run: joining another container's pid namespace by path", async () => {
  const b = makeProbeBundle(probeSpec(["sleep", "30"]));
  try {
    assert.equal((await drun(b, ["run", "-d", "--bundle", b.dir, "pidhost"])).code, 0);
    const host = JSON.parse((await drun(b, ["state", "pidhost"])).stdout).pid;
    const spec = probeSpec(["report"]);
    spec.linux!.namespaces = spec.linux!.namespaces!.map((n) =>
      n.type === "pid" ? { type: "pid" as const, path: `/proc/${host}/ns/pid` } : n
    );
    b.write(spec);
    const r = await drun(b, ["run", "--bundle", b.dir, "pidguest"]);
    assert.equal(r.code, 0, r.stderr);
    const rep = probeReport(r.stdout);
    assert.equal((rep.ns as Record<string, number>).pid, hostNamespaces(host).pid);
    assert.notEqual(rep.pid, 1, "the guest is not the namespace's init");
  } finally {
    await b.cleanup();
  }
});
