/**
 * Process security: the probe sees exactly the configured capability sets, rlimits,
 * no_new_privs, umask, oom_score_adj and ids — compared field by field with what runc
 * gives the same bundle — plus /proc protections, I/O priority and scheduler.
 */
import "./needs_root.ts";
import assert from "node:assert/strict";
import type { Spec } from "../../lib/spec/types.ts";
import { drun, makeProbeBundle, probeReport, probeSpec, runcRun } from "../helpers.ts";

const FIELDS = [
  "caps",
  "rlimits",
  "no_new_privs",
  "umask",
  "oom_score_adj",
  "uid",
  "gid",
  "groups",
];

async function compare(spec: Spec, id: string) {
  const b = makeProbeBundle(spec);
  try {
    const ours = await drun(b, ["run", "--bundle", b.dir, id]);
    assert.equal(ours.code, 0, ours.stderr);
    const theirs = await runcRun(b.dir, id);
    assert.equal(theirs.code, 0, theirs.stdout);
    const a = probeReport(ours.stdout), r = probeReport(theirs.stdout);
    for (const f of FIELDS) assert.deepEqual(a[f], r[f], `${id}: ${f}`);
    return a;
  } finally {
    await b.cleanup();
  }
}

Deno.test("security: runc spec defaults give runc's capability set and limits", async () => {
  const rep = await compare(probeSpec(["report"]), "sec1");
  const caps = rep.caps as Record<string, string>;
  // CAP_KILL, CAP_NET_BIND_SERVICE, CAP_AUDIT_WRITE.
  assert.equal(caps.bnd, "0000000020000420");
  assert.equal(caps.eff, "0000000020000420");
  assert.equal(rep.no_new_privs, true);
});

// Failed before the fix: the probe reported the runtime's full set (bnd 000001ffffffffff).
Deno.test("security: a config without process.capabilities runs with none, as under runc", async () => {
  const spec = probeSpec(["report"]);
  delete spec.process!.capabilities;
  const rep = await compare(spec, "nocaps1");
  const c = rep.caps as Record<string, string>;
  const none = "0000000000000000";
  assert.deepEqual([c.bnd, c.prm, c.eff, c.inh, c.amb], [none, none, none, none, none]);
});

Deno.test("security: configured caps, rlimits, umask, oom score and no_new_privs, as root", async () => {
  const spec = probeSpec(["report"]);
  const set = ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_KILL", "CAP_SETUID", "CAP_SETGID"];
  spec.process!.capabilities = { bounding: set, effective: set, permitted: set };
  spec.process!.rlimits = [
    { type: "RLIMIT_NOFILE", soft: 512, hard: 2048 },
    { type: "RLIMIT_NPROC", soft: 100, hard: 200 },
    { type: "RLIMIT_CORE", soft: 0, hard: 0 },
    { type: "RLIMIT_STACK", soft: 4194304, hard: 8388608 },
  ];
  spec.process!.user.umask = 0o077;
  spec.process!.oomScoreAdj = 123;
  spec.process!.noNewPrivileges = false;
  const rep = await compare(spec, "sec2");
  assert.equal((rep.caps as Record<string, string>).eff, "00000000000000e3");
  assert.deepEqual((rep.rlimits as Record<string, number[]>).RLIMIT_NOFILE, [512, 2048]);
  assert.equal(rep.umask, 0o077);
  assert.equal(rep.oom_score_adj, 123);
  assert.equal(rep.no_new_privs, false);
});

Deno.test("security: a non-root user keeps exactly its inheritable and ambient caps", async () => {
  const spec = probeSpec(["report"]);
  const nb = ["CAP_NET_BIND_SERVICE"];
  spec.process!.user = { uid: 1000, gid: 1000, additionalGids: [10, 20] };
  spec.process!.capabilities = {
    bounding: ["CAP_NET_BIND_SERVICE", "CAP_KILL"],
    effective: nb,
    permitted: nb,
    inheritable: nb,
    ambient: nb,
  };
  const rep = await compare(spec, "sec3");
  const caps = rep.caps as Record<string, string>;
  assert.deepEqual(
    [caps.inh, caps.prm, caps.eff, caps.amb, caps.bnd],
    [
      "0000000000000400",
      "0000000000000400",
      "0000000000000400",
      "0000000000000400",
      "0000000000000420",
    ],
  );
  assert.deepEqual(rep.groups, [10, 20]);
});

Deno.test("security: /proc/kcore and writes to /proc/sys fail inside, as under runc", async () => {
  const spec = probeSpec(["cat", "/proc/kcore"]);
  const b = makeProbeBundle(spec);
  try {
    for (
      const [args, id] of [[["cat", "/proc/kcore"], "k1"], [[
        "write",
        "/proc/sys/kernel/domainname",
        "x",
      ], "k2"], [["write", "/proc/sysrq-trigger", "h"], "k3"]] as const
    ) {
      b.write(probeSpec([...args]));
      const ours = await drun(b, ["run", "--bundle", b.dir, id]);
      const theirs = await runcRun(b.dir, id);
      assert.notEqual(ours.code, 0, `${args.join(" ")} must fail`);
      assert.equal(ours.code, theirs.code, args.join(" "));
      assert.equal(ours.stdout.trim(), theirs.stdout.trim(), args.join(" "));
    }
  } finally {
    await b.cleanup();
  }
});

Deno.test("security: ioPriority and scheduler are applied", async () => {
  const spec = probeSpec(["syscall", "252", "1", "0", "syscall", "145", "0"]);
  spec.process!.ioPriority = { class: "IOPRIO_CLASS_BE", priority: 6 };
  spec.process!.scheduler = { policy: "SCHED_BATCH", nice: 5 };
  const b = makeProbeBundle(spec);
  try {
    const r = await drun(b, ["run", "--bundle", b.dir, "prio1"]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
    assert.equal(lines[0].ret, (2 << 13) | 6, "ioprio_get");
    assert.equal(lines[1].ret, 3, "sched_getscheduler: SCHED_BATCH");
  } finally {
    await b.cleanup();
  }
});

Deno.test("security: sysctls are written before /proc/sys turns read-only", async () => {
  const spec = probeSpec(["cat", "/proc/sys/net/ipv4/ping_group_range"]);
  spec.linux!.sysctl = { "net.ipv4.ping_group_range": "0 2147483647" };
  assert.ok(spec.linux!.readonlyPaths!.includes("/proc/sys"));
  const b = makeProbeBundle(spec);
  try {
    const r = await drun(b, ["run", "--bundle", b.dir, "sysctl1"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^0\s+2147483647/);
  } finally {
    await b.cleanup();
  }
});

Deno.test("security: devices with the host's full st_mode (as podman sends) are created", async () => {
  const spec = probeSpec(["open", "/dev/kmsg-like", "0"]);
  spec.linux!.devices = [{
    type: "c",
    path: "/dev/kmsg-like",
    major: 1,
    minor: 3,
    fileMode: 0o20640,
  }];
  const b = makeProbeBundle(spec);
  try {
    const r = await drun(b, ["run", "--bundle", b.dir, "dev1"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /"errno":0/);
  } finally {
    await b.cleanup();
  }
});
