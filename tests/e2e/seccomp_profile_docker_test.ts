/**
 * `linux.seccomp` in real containers with Docker's default profile: busybox and the probe
 * run filtered, EPERM for what it forbids (even with CAP_SYS_ADMIN); the filter flags; both
 * values of `noNewPrivileges`; and the runtime's own setup syscalls happening before the
 * filter.
 * @module
 */
import "./needs_root.ts";
import assert from "node:assert/strict";
import { makeProbeBundle, probeReport, probeSpec } from "../helpers.ts";
import {
  addBusybox,
  allowAllBut,
  CAP_SYS_ADMIN,
  CLONE_NEWNS,
  docker,
  ENETDOWN,
  ENOSYS,
  EPERM,
  errnos,
  hasCap,
  NR,
  runIn,
  runProbe,
  sys,
} from "./seccomp_profile_helpers.ts";

// ---------------------------------------------------------------------------------------------
// Docker's default profile.

Deno.test("docker profile: busybox sh runs normally, filtered (Seccomp: 2, one filter)", async () => {
  const spec = probeSpec();
  spec.process!.args = [
    "/bin/sh",
    "-c",
    "echo hi; ls /; cat /proc/self/status | grep Seccomp; id -u; " +
    "unshare -m true 2>/dev/null || echo unshare-denied; echo done",
  ];
  spec.linux!.seccomp = docker();
  assert.ok(!spec.process!.capabilities!.bounding!.includes(CAP_SYS_ADMIN), "runc default caps");
  const b = makeProbeBundle(spec);
  try {
    addBusybox(b);
    const r = await runIn(b, "bb1");
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split("\n");
    assert.equal(lines[0], "hi");
    for (const entry of ["bin", "probe", "proc", "dev", "sys", "tmp"]) {
      assert.ok(lines.includes(entry), `ls / lists ${entry}: ${r.stdout}`);
    }
    assert.match(r.stdout, /^Seccomp:\s+2$/m);
    // Exactly one filter: the runtime installs the profile once, and nothing else.
    assert.match(r.stdout, /^Seccomp_filters:\s+1$/m);
    assert.ok(lines.includes("0"), "id -u");
    assert.ok(lines.includes("unshare-denied"));
    assert.equal(lines.at(-2), "done");
    // The two names Docker lists that x86_64 does not have are debug lines, not warnings
    // (podman showed each warning as an error line).
    const warnings = r.stderr.split("\n").filter((l) => l.includes("level=warning"));
    assert.deepEqual(warnings, [], r.stderr);
  } finally {
    await b.cleanup();
  }
});

Deno.test("docker profile: the probe is filtered, mount/unshare/keyctl EPERM, clone3 and nr 1000 ENOSYS", async () => {
  const probe = [
    "report",
    ...sys("getpid"),
    ...sys("mount", "@s:none", "@s:/tmp", "@s:tmpfs", 0, 0),
    ...sys("unshare", CLONE_NEWNS),
    ...sys("keyctl", 0, 0),
    ...sys("clone3", 0, 0),
    ...sys(1000),
    ...sys(NR.getpriority, 0, 0),
    // personality: Docker allows a few exact values (several EQ rules on one syscall).
    ...sys("personality", 0xffffffff),
    ...sys("personality", 0x1234),
    // x32 getpid: x32 is listed, so the filter lets it through (this kernel may lack x32).
    ...sys(0x40000000 + NR.getpid),
  ];
  const r = await runProbe(docker(), probe);
  assert.equal(r.code, 0, r.stderr);
  const rep = probeReport(r.stdout);
  assert.equal(rep.seccomp, 2, "filter installed");
  assert.equal(rep.no_new_privs, true);
  // No CAP_SYS_ADMIN (bit 21) anywhere: runc's default set.
  const caps = rep.caps as Record<string, string>;
  assert.equal(BigInt(`0x${caps.bnd}`) & (1n << 21n), 0n);
  const [getpid, mount, unshare, keyctl, clone3, n1000, getprio, persQuery, persSet, x32] = r.calls;
  assert.deepEqual(getpid, { syscall: NR.getpid, ret: 1, errno: 0 });
  assert.equal(mount.errno, EPERM);
  assert.equal(unshare.errno, EPERM);
  assert.equal(keyctl.errno, EPERM);
  assert.equal(clone3.errno, ENOSYS);
  assert.equal(n1000.errno, ENOSYS);
  assert.equal(getprio.errno, 0);
  assert.equal(persQuery.errno, 0);
  assert.equal(persSet.errno, EPERM);
  assert.ok([0, ENOSYS].includes(x32.errno), `x32 getpid: ${JSON.stringify(x32)}`);
});

Deno.test("docker profile: EPERM comes from the filter, even with CAP_SYS_ADMIN", async () => {
  const probe = [...sys("unshare", CLONE_NEWNS), ...sys("keyctl", 0, 0), ...sys("clone3", 0, 0)];
  // Control: without a profile, the capability lets unshare through and clone3 is not ENOSYS.
  const control = await runProbe(undefined, probe, (s) => hasCap(s, CAP_SYS_ADMIN));
  const [unshare, keyctl, clone3] = errnos(control);
  assert.equal(unshare, 0);
  assert.notEqual(keyctl, EPERM);
  assert.notEqual(clone3, ENOSYS);
  const filtered = await runProbe(docker(), probe, (s) => hasCap(s, CAP_SYS_ADMIN));
  assert.deepEqual(errnos(filtered), [EPERM, EPERM, ENOSYS]);
});

// ---------------------------------------------------------------------------------------------
// Flags and noNewPrivileges.

const FLAG_SETS = [
  ["SECCOMP_FILTER_FLAG_LOG"],
  ["SECCOMP_FILTER_FLAG_SPEC_ALLOW"],
  ["SECCOMP_FILTER_FLAG_TSYNC"],
  ["SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"],
];
Deno.test("flags: LOG, SPEC_ALLOW, TSYNC and all three run with the docker profile", async () => {
  for (const flags of FLAG_SETS) {
    const p = docker();
    p.flags = flags;
    const r = await runProbe(p, ["report", ...sys("unshare", CLONE_NEWNS), ...sys("getpid")]);
    assert.equal(r.code, 0, `${flags}: ${r.stderr}`);
    assert.equal(probeReport(r.stdout).seccomp, 2, flags.join());
    assert.deepEqual(errnos(r), [EPERM, 0], flags.join());
  }
});

Deno.test("flags: WAIT_KILLABLE_RECV without NOTIFY is dropped with a warning", async () => {
  const p = allowAllBut({ names: ["getpid"], action: "SCMP_ACT_ERRNO", errnoRet: ENETDOWN });
  p.flags = ["SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"];
  const r = await runProbe(p, sys("getpid"));
  assert.deepEqual(errnos(r), [ENETDOWN]);
  assert.match(r.stderr, /linux\.seccomp\.flags: SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV ignored/);
});

for (const nnp of [true, false]) {
  Deno.test(`noNewPrivileges ${nnp}: docker profile, root and uid 1000, probe and busybox`, async () => {
    for (const user of [{ uid: 0, gid: 0 }, { uid: 1000, gid: 1000, additionalGids: [5] }]) {
      const r = await runProbe(
        docker(),
        ["report", ...sys("keyctl", 0, 0), ...sys("getpid")],
        (s) => {
          s.process!.noNewPrivileges = nnp;
          s.process!.user = user;
        },
      );
      assert.equal(r.code, 0, `uid ${user.uid}: ${r.stderr}`);
      const rep = probeReport(r.stdout);
      assert.equal(rep.no_new_privs, nnp);
      assert.equal(rep.seccomp, 2);
      assert.deepEqual(rep.uid, [user.uid, user.uid, user.uid]);
      assert.deepEqual(errnos(r), [EPERM, 0]);
      const caps = rep.caps as Record<string, string>;
      // Capabilities were still dropped after the filter went in (runc's default set).
      assert.equal(caps.bnd, "0000000020000420");
      assert.equal(caps.eff, user.uid === 0 ? "0000000020000420" : "0000000000000000");
    }
    const spec = probeSpec();
    spec.process!.args = ["/bin/sh", "-c", "echo hi; grep Seccomp: /proc/self/status"];
    spec.process!.noNewPrivileges = nnp;
    spec.linux!.seccomp = docker();
    const b = makeProbeBundle(spec);
    try {
      addBusybox(b);
      const r = await runIn(b, `bbnnp${nnp}`);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^hi\nSeccomp:\s+2\n$/);
    } finally {
      await b.cleanup();
    }
  });
}

Deno.test("the runtime's own fd sweep and exec lookup happen before the filter", async () => {
  // A profile recorded from the workload alone (as with runc, which sweeps fds and resolves the
  // executable before a late filter) need not allow close_range, faccessat or newfstatat.
  const setup = ["close_range", "faccessat", "faccessat2", "newfstatat"];
  for (const [nnp, names] of [[true, setup], [false, ["close_range"]]] as const) {
    const r = await runProbe(
      allowAllBut({ names: [...names], action: "SCMP_ACT_ERRNO", errnoRet: ENETDOWN }),
      ["report", ...sys("getpid")],
      (s) => {
        s.process!.noNewPrivileges = nnp;
        s.process!.args = ["probe", "report", ...sys("getpid")];
        s.process!.env = ["PATH=/nonexistent:/"];
      },
    );
    assert.equal(r.code, 0, `noNewPrivileges ${nnp}: ${r.stderr}`);
    assert.equal(probeReport(r.stdout).seccomp, 2);
    assert.deepEqual(errnos(r), [0]);
  }
});
