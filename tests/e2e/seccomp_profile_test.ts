/**
 * `linux.seccomp` in real containers: Docker's default profile under busybox and the probe,
 * every action and comparison operator (64-bit values included), the filter flags, both values
 * of `noNewPrivileges`, and invalid profiles that must fail `create` without leaving anything
 * behind.
 *
 * Arguments are tested on `getpriority(which, who)` (nr 140): it has no side effects whatever
 * its arguments, and each rule returns its own errno so the probe's answer tells which matched.
 * @module
 */
import "./needs_root.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import type { LinuxSeccomp, LinuxSeccompArg, Spec } from "../../lib/spec/types.ts";
import {
  type Bundle,
  DOCKER_PROFILE,
  drun,
  makeProbeBundle,
  probeReport,
  probeSpec,
  snapshot,
} from "../helpers.ts";

const DOCKER: LinuxSeccomp = JSON.parse(
  Deno.readTextFileSync(DOCKER_PROFILE),
);
/** A fresh copy of Docker's default amd64 profile. */
const docker = (): LinuxSeccomp => structuredClone(DOCKER);

/** Numbers of the calls the probe has no name for, or whose number a result line shows. */
const NR = { getpid: 39, getpriority: 140 };
const EPERM = 1, ESRCH = 3, ENOSYS = 38, ENETDOWN = 100;
/** Exit status of `run` when the container process dies of SIGSYS. */
const SIGSYS_EXIT = 128 + 31;
const CLONE_NEWNS = 0x20000;
const CAP_SYS_ADMIN = "CAP_SYS_ADMIN";

/** One `syscall` action of the probe; bigints are passed as hex so all 64 bits survive. */
function sys(nr: number | string, ...args: (number | bigint | string)[]): string[] {
  return [
    "syscall",
    String(nr),
    ...args.map((a) => typeof a === "bigint" ? `0x${a.toString(16)}` : String(a)),
  ];
}

/** A probe `syscall` result line. */
interface SysResult {
  syscall: number;
  ret: number;
  errno: number;
}

/** Outcome of one `run`. */
interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
  /** The probe's `syscall` lines, in order. */
  calls: SysResult[];
}

let serial = 0;

/** Runs the probe with `args` under `seccomp` in a fresh bundle, removed afterwards. */
async function runProbe(
  seccomp: LinuxSeccomp | undefined,
  args: string[],
  tweak?: (s: Spec) => void,
): Promise<Outcome> {
  const spec = probeSpec(args);
  if (seccomp) spec.linux!.seccomp = seccomp;
  tweak?.(spec);
  const b = makeProbeBundle(spec);
  try {
    return await runIn(b, `sc${++serial}`);
  } finally {
    await b.cleanup();
  }
}

async function runIn(b: Bundle, id: string): Promise<Outcome> {
  const r = await drun(b, ["run", "--bundle", b.dir, id]);
  const calls = r.stdout.split("\n").filter((l) => l.startsWith('{"syscall"')).map((l) =>
    JSON.parse(l)
  );
  return { ...r, calls };
}

/** Asserts a clean exit and returns the errno of each probe syscall. */
function errnos(o: Outcome): number[] {
  assert.equal(o.code, 0, `exit ${o.code}\nstdout: ${o.stdout}\nstderr: ${o.stderr}`);
  return o.calls.map((c) => c.errno);
}

/** A profile allowing everything except `rules`. */
function allowAllBut(...rules: LinuxSeccomp["syscalls"] & object): LinuxSeccomp {
  return { defaultAction: "SCMP_ACT_ALLOW", syscalls: rules };
}

/** Adds busybox and applet links to a probe bundle's rootfs. */
function addBusybox(b: Bundle) {
  Deno.mkdirSync(join(b.rootfs, "bin"), { recursive: true });
  Deno.copyFileSync("/bin/busybox", join(b.rootfs, "bin/busybox"));
  Deno.chmodSync(join(b.rootfs, "bin/busybox"), 0o755);
  for (const applet of ["sh", "true", "echo", "cat", "ls", "grep", "id", "unshare", "mount"]) {
    Deno.symlinkSync("busybox", join(b.rootfs, "bin", applet));
  }
}

function hasCap(s: Spec, cap: string) {
  const c = s.process!.capabilities!;
  for (const set of [c.bounding, c.effective, c.permitted]) {
    if (!set!.includes(cap)) set!.push(cap);
  }
}

// ---------------------------------------------------------------------------------------------
// 1. Docker's default profile.

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
// 2. Actions.

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
// 2. Argument conditions, with 64-bit values.

const PIVOT = 0x1_0000_0005n;
/** Values for `who`: both sides of PIVOT in each half, all-ones, and 32-bit look-alikes. */
const VALUES = [
  0n,
  5n,
  6n,
  0xffff_ffffn,
  0x1_0000_0004n,
  PIVOT,
  0x1_0000_0006n,
  0x2_0000_0000n,
  0x2_0000_0005n,
  (1n << 64n) - 1n,
];
const OPS: [string, (a: bigint) => boolean][] = [
  ["SCMP_CMP_EQ", (a) => a === PIVOT],
  ["SCMP_CMP_NE", (a) => a !== PIVOT],
  ["SCMP_CMP_LT", (a) => a < PIVOT],
  ["SCMP_CMP_LE", (a) => a <= PIVOT],
  ["SCMP_CMP_GT", (a) => a > PIVOT],
  ["SCMP_CMP_GE", (a) => a >= PIVOT],
];

/**
 * Runs getpriority(which, who) for each pair under a profile whose only rule is
 * `getpriority → ERRNO(errno)` with `args`, and checks which calls the rule caught.
 */
async function checkArgs(
  args: LinuxSeccompArg[],
  calls: [bigint, bigint, boolean][],
  errno: number,
) {
  const r = await runProbe(
    allowAllBut({ names: ["getpriority"], action: "SCMP_ACT_ERRNO", errnoRet: errno, args }),
    calls.flatMap(([which, who]) => sys(NR.getpriority, which, who)),
  );
  const got = errnos(r);
  assert.equal(got.length, calls.length, r.stdout);
  calls.forEach(([which, who, match], i) => {
    const what = `${JSON.stringify(args)} on getpriority(0x${which.toString(16)}, 0x${
      who.toString(16)
    })`;
    if (match) assert.equal(got[i], errno, `${what} should match`);
    // Not caught, the call reaches the kernel: 0 for ourselves, ESRCH for anyone else.
    else assert.ok([0, ESRCH].includes(got[i]), `${what} should not match, got errno ${got[i]}`);
  });
}

for (const [i, [op, holds]] of OPS.entries()) {
  Deno.test(`args: ${op} compares all 64 bits, unsigned`, async () => {
    await checkArgs(
      [{ index: 1, value: Number(PIVOT), op }],
      VALUES.map((v) => [0n, v, holds(v)]),
      101 + i,
    );
  });
}

Deno.test("args: SCMP_CMP_MASKED_EQ is (arg & value) == valueTwo, over 64 bits", async () => {
  // The swapped reading, (arg & valueTwo) == value, can match nothing here: value has bits
  // valueTwo lacks. A compiler comparing only the low halves would match 0x50.
  const mask = 0x1_0000_00f0n, datum = 0x1_0000_0050n;
  const values = [
    0x1_0000_0050n,
    0x1_0000_0055n,
    0x3_0000_005fn,
    0x50n, // low half matches, high half does not
    0x1_0000_00a0n,
    0x1_0000_00f0n,
    mask,
    0n,
    (1n << 64n) - 1n,
  ];
  await checkArgs(
    [{ index: 1, value: Number(mask), valueTwo: Number(datum), op: "SCMP_CMP_MASKED_EQ" }],
    values.map((v) => [0n, v, (v & mask) === datum]),
    108,
  );
});

Deno.test("args: conditions on two indexes are ANDed", async () => {
  await checkArgs(
    [{ index: 0, value: 1, op: "SCMP_CMP_EQ" }, { index: 1, value: 7, op: "SCMP_CMP_GE" }],
    [[1n, 7n, true], [1n, 9n, true], [1n, 6n, false], [0n, 7n, false], [2n, 9n, false], [
      0x1_0000_0001n,
      7n,
      false,
    ]],
    110,
  );
});

Deno.test("args: two conditions on one index are ORed", async () => {
  await checkArgs(
    [{ index: 1, value: 7, op: "SCMP_CMP_EQ" }, {
      index: 1,
      value: 0x2_0000_0009,
      op: "SCMP_CMP_EQ",
    }],
    [[0n, 7n, true], [0n, 0x2_0000_0009n, true], [0n, 9n, false], [0n, 8n, false], [
      0n,
      0x2_0000_0007n,
      false,
    ]],
    111,
  );
});

// ---------------------------------------------------------------------------------------------
// 3. Flags and 4. noNewPrivileges.

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

// ---------------------------------------------------------------------------------------------
// 5. Invalid profiles.

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
