/**
 * `linux.seccomp` in real containers: every action (ERRNO and its errnoRet, ALLOW, LOG, TRACE,
 * the killing ones), the architectures x32 needs, and invalid profiles that must fail `create`
 * naming the field without leaving anything behind.
 *
 * Arguments are tested on `getpriority(which, who)` (nr 140): it has no side effects whatever
 * its arguments, and each rule returns its own errno so the probe's answer tells which matched.
 * @module
 */
import "./needs_root.ts";
import assert from "node:assert/strict";
import type { LinuxSeccomp } from "../../lib/spec/types.ts";
import { drun, makeProbeBundle, probeReport, probeSpec, snapshot } from "../helpers.ts";
import {
  allowAllBut,
  docker,
  ENETDOWN,
  ENOSYS,
  EPERM,
  errnos,
  NR,
  runProbe,
  SIGSYS_EXIT,
  sys,
} from "./seccomp_profile_helpers.ts";

// ---------------------------------------------------------------------------------------------
// Actions.

Deno.test("actions: ERRNO with errnoRet, errnoRet 0, defaultErrnoRet, ALLOW, LOG, TRACE", async () => {
  const r = await runProbe(
    allowAllBut(
      { names: ["getpid"], action: "SCMP_ACT_ERRNO", errnoRet: ENETDOWN },
      { names: ["getppid"], action: "SCMP_ACT_ERRNO", errnoRet: 0 },
      { names: ["getuid"], action: "SCMP_ACT_ERRNO" },
      { names: ["getgid"], action: "SCMP_ACT_LOG" },
      { names: ["getpriority"], action: "SCMP_ACT_TRACE" },
      { names: ["geteuid"], action: "SCMP_ACT_TRACE", errnoRet: 5 },
      { names: ["getegid"], action: "SCMP_ACT_ALLOW" },
    ),
    [
      ...sys("getpid"),
      ...sys(110), // getppid: the kernel returns 0 without running it (the real answer is 0 too)
      ...sys(102), // getuid
      ...sys(104), // getgid
      ...sys(NR.getpriority, 0, 0),
      ...sys(107), // geteuid
      ...sys(108), // getegid
    ],
    (s) => s.process!.user = { uid: 0, gid: 4242 },
  );
  assert.equal(r.code, 0, r.stderr);
  const [getpid, getppid, getuid, getgid, getprio, geteuid, getegid] = r.calls;
  assert.deepEqual(getpid, { syscall: NR.getpid, ret: -1, errno: ENETDOWN });
  assert.deepEqual(getppid, { syscall: 110, ret: 0, errno: 0 });
  assert.deepEqual(
    getuid,
    { syscall: 102, ret: -1, errno: EPERM },
    "ERRNO without errnoRet is EPERM",
  );
  assert.deepEqual(getgid, { syscall: 104, ret: 4242, errno: 0 }, "LOG lets the call run");
  assert.equal(getprio.errno, ENOSYS, "TRACE without a tracer");
  assert.equal(geteuid.errno, ENOSYS, "TRACE with data, without a tracer");
  assert.deepEqual(getegid, { syscall: 108, ret: 4242, errno: 0 });
});

Deno.test("actions: defaultErrnoRet on an ERRNO default, ALLOW rules still allow", async () => {
  const p = docker();
  p.defaultErrnoRet = 77;
  const r = await runProbe(p, [
    "report",
    ...sys("mount", "@s:none", "@s:/tmp", "@s:tmpfs", 0, 0),
    ...sys("keyctl", 0, 0),
    ...sys("getpid"),
    ...sys("clone3", 0, 0),
    ...sys(1000),
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(probeReport(r.stdout).seccomp, 2);
  // clone3 has its own rule (errnoRet 38); unknown numbers stay ENOSYS.
  assert.deepEqual(errnos(r), [77, 77, 0, ENOSYS, ENOSYS]);
});

for (
  const action of [
    "SCMP_ACT_KILL_PROCESS",
    "SCMP_ACT_KILL",
    "SCMP_ACT_KILL_THREAD",
    "SCMP_ACT_TRAP",
  ]
) {
  Deno.test(`actions: ${action} ends the probe with SIGSYS (exit ${SIGSYS_EXIT})`, async () => {
    const r = await runProbe(
      allowAllBut({ names: ["getpriority"], action }),
      [...sys("getpid"), ...sys(NR.getpriority, 0, 0), "echo", "not-reached"],
    );
    assert.equal(r.code, SIGSYS_EXIT, `stdout: ${r.stdout}\nstderr: ${r.stderr}`);
    // Everything before the filtered call ran; nothing after it.
    assert.deepEqual(r.calls, [{ syscall: NR.getpid, ret: 1, errno: 0 }]);
    assert.ok(!r.stdout.includes("not-reached"));
  });
}

Deno.test("actions: a KILL_PROCESS default still gives ENOSYS for unknown numbers", async () => {
  const p = docker();
  p.defaultAction = "SCMP_ACT_KILL_PROCESS";
  const r = await runProbe(p, [
    ...sys(1000),
    ...sys("getpid"),
    ...sys("keyctl", 0, 0),
    "echo",
    "not-reached",
  ]);
  assert.equal(r.code, SIGSYS_EXIT, `stdout: ${r.stdout}\nstderr: ${r.stderr}`);
  assert.deepEqual(r.calls.map((c) => c.errno), [ENOSYS, 0]);
});

Deno.test("architectures: x32 syscalls are killed unless SCMP_ARCH_X32 is listed", async () => {
  const x32getpid = sys(0x40000000 + NR.getpid);
  const listed = await runProbe(
    { defaultAction: "SCMP_ACT_ALLOW", architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X32"] },
    x32getpid,
  );
  assert.equal(listed.code, 0, listed.stderr);
  // Whether x32 itself works depends on CONFIG_X86_X32_ABI.
  assert.ok([0, ENOSYS].includes(listed.calls[0].errno));
  const unlisted = await runProbe(
    { defaultAction: "SCMP_ACT_ALLOW", architectures: ["SCMP_ARCH_X86_64"] },
    [...sys("getpid"), ...x32getpid],
  );
  assert.equal(unlisted.code, SIGSYS_EXIT, unlisted.stdout + unlisted.stderr);
  assert.equal(unlisted.calls.length, 1);
});

// ---------------------------------------------------------------------------------------------
// Invalid profiles.

const INVALID: [string, (p: LinuxSeccomp) => void, string][] = [
  [
    "unknown action",
    (p) => p.syscalls![1].action = "SCMP_ACT_BOGUS",
    "linux.seccomp.syscalls[1].action",
  ],
  [
    "unknown default action",
    (p) => p.defaultAction = "SCMP_ACT_NOPE",
    "linux.seccomp.defaultAction",
  ],
  [
    "unknown architecture",
    (p) => p.architectures = ["SCMP_ARCH_X86_64", "SCMP_ARCH_VAX"],
    "linux.seccomp.architectures[1]",
  ],
  ["errnoRet on ALLOW", (p) => p.syscalls![0].errnoRet = 1, "linux.seccomp.syscalls[0].errnoRet"],
  [
    "defaultErrnoRet on KILL_PROCESS",
    (p) => Object.assign(p, { defaultAction: "SCMP_ACT_KILL_PROCESS", defaultErrnoRet: 1 }),
    "linux.seccomp.defaultErrnoRet",
  ],
  [
    "argument index 6",
    (p) => p.syscalls![2].args![0].index = 6,
    "linux.seccomp.syscalls[2].args[0].index",
  ],
  [
    "unknown operator",
    (p) => p.syscalls![2].args![0].op = "SCMP_CMP_ABOUT",
    "linux.seccomp.syscalls[2].args[0].op",
  ],
  ["unknown flag", (p) => p.flags = ["SECCOMP_FILTER_FLAG_NOPE"], "linux.seccomp.flags[0]"],
  [
    "NOTIFY without listenerPath",
    (p) => p.syscalls![1].action = "SCMP_ACT_NOTIFY",
    "linux.seccomp.listenerPath",
  ],
];

Deno.test("invalid profiles fail create naming the field and leave nothing behind", async () => {
  const b = makeProbeBundle();
  try {
    for (const [name, mutate, path] of INVALID) {
      const p = docker();
      mutate(p);
      const spec = probeSpec();
      spec.linux!.seccomp = p;
      b.write(spec);
      const r = await drun(b, ["create", "--bundle", b.dir, "bad"]);
      assert.notEqual(r.code, 0, `${name}: create succeeded`);
      assert.ok(r.stderr.includes(`${path}:`), `${name}: error should name ${path}: ${r.stderr}`);
      // Other suites may run meanwhile: look only for traces of this bundle.
      const after = snapshot(b.root);
      assert.deepEqual(after.state, [], `${name}: state root not empty`);
      const ours = (l: string) => l.includes(b.dir);
      assert.deepEqual(after.mounts.filter(ours), [], `${name}: mounts left`);
      assert.deepEqual(after.procs.filter(ours), [], `${name}: processes left`);
    }
  } finally {
    await b.cleanup();
  }
});
