/**
 * Whole seccomp profiles through the compiler: long jumps keep big programs valid and
 * oversized ones are refused; Docker's default profile on x86_64 and aarch64 hosts; the
 * per-process compile cache; the features report.
 */
import assert from "node:assert/strict";
import {
  clearSeccompCache,
  compileSeccomp,
  compileSeccompCached,
  type LinuxSeccomp,
  seccompFeatures,
} from "../../lib/seccomp/compile.ts";
import { checkProgram, run } from "./seccomp_bpf_interp.ts";
import {
  AUDIT,
  call,
  compile,
  DOCKER,
  ENOSYS,
  EPERM,
  LISTENER,
  NR,
  OPS,
  RET,
  throwsSpec,
  X32,
} from "./seccomp_compile_helpers.ts";

Deno.test("long jumps keep big programs valid; oversized ones are refused", () => {
  const names = [
    "read",
    "write",
    "openat",
    "close",
    "fstat",
    "mmap",
    "mprotect",
    "munmap",
    "brk",
    "ioctl",
  ];
  const syscalls = names.flatMap((name, i) =>
    Array.from({ length: 12 }, (_, j) => ({
      names: [name],
      action: "SCMP_ACT_ERRNO",
      errnoRet: 100 + j,
      args: [
        { index: 0, value: i, op: "SCMP_CMP_EQ" },
        { index: 1, value: j, op: "SCMP_CMP_GE" },
        { index: 2, value: 0xff, valueTwo: j, op: "SCMP_CMP_MASKED_EQ" },
      ],
    }))
  );
  const c = compile({ defaultAction: "SCMP_ACT_ALLOW", syscalls });
  assert.ok(c.instructions > 1000, `${c.instructions}`);
  const insns = checkProgram(c.program);
  assert.ok(insns.some((x) => x.code === 0x05), "expected a long jump");
  assert.equal(call(c, NR.read, [0, 5, 0x105]), RET.ERRNO(105));
  assert.equal(call(c, NR.read, [0, 5, 0x104]), RET.ERRNO(104));
  assert.equal(call(c, NR.read, [0, 3, 0x104]), RET.ALLOW);
  assert.equal(call(c, 16, [9, 11, 11]), RET.ERRNO(111)); // ioctl

  const huge = names.flatMap((name) =>
    Array.from({ length: 40 }, (_, j) => ({
      names: [name],
      action: "SCMP_ACT_ERRNO",
      args: [0, 1, 2, 3, 4, 5].map((index) => ({ index, value: j, op: "SCMP_CMP_NE" })),
    }))
  );
  throwsSpec(
    () => compile({ defaultAction: "SCMP_ACT_ALLOW", syscalls: huge }),
    "linux.seccomp",
    /at most 4096/,
  );
});

Deno.test("Docker's default profile", () => {
  const c = compile(DOCKER);
  assert.ok(c.instructions < 1024, `${c.instructions} instructions`);
  assert.deepEqual(c.warnings.map((w) => w.replace(/.*unknown syscall (\S+).*/, "$1")), [
    '"recv"',
    '"send"',
  ]);
  assert.equal(c.flags, 0);
  assert.equal(c.usesNotify, false);
  const eperm = RET.ERRNO(EPERM);
  assert.equal(call(c, NR.read), RET.ALLOW);
  assert.equal(call(c, NR.write), RET.ALLOW);
  assert.equal(call(c, NR.mount), eperm);
  // The profile returns ENOSYS for clone3 itself so glibc falls back to clone.
  assert.equal(call(c, NR.clone3), RET.ERRNO(ENOSYS));
  assert.equal(call(c, 1000), RET.ERRNO(ENOSYS));
  assert.equal(call(c, NR.personality, [0]), RET.ALLOW);
  assert.equal(call(c, NR.personality, [0xffffffff]), RET.ALLOW);
  assert.equal(call(c, NR.personality, [0x0020000]), RET.ALLOW);
  assert.equal(call(c, NR.personality, [1]), eperm);
  assert.equal(call(c, NR.personality, [0x1_0000_0000n]), eperm);
  // clone: allowed unless a namespace flag in 0x7e020000 is set.
  assert.equal(call(c, NR.clone, [0x11 /* SIGCHLD */]), RET.ALLOW);
  assert.equal(call(c, NR.clone, [0x003d0f00]), RET.ALLOW); // pthread_create's flags
  assert.equal(call(c, NR.clone, [0x10000000 /* CLONE_NEWUSER */]), eperm);
  assert.equal(call(c, NR.clone, [0x00020000 /* CLONE_NEWNS */]), eperm);
  // ptrace is allowed on kernels >= 4.8; unshare needs CAP_SYS_ADMIN, absent by default.
  assert.equal(call(c, 101), RET.ALLOW);
  assert.equal(call(c, 272), eperm);
  // i386 and x32 code run on x86_64 and are filtered too.
  assert.equal(call(c, 3, [], AUDIT.I386), RET.ALLOW); // read
  assert.equal(call(c, 21, [], AUDIT.I386), eperm); // mount
  assert.equal(call(c, 102, [], AUDIT.I386), RET.ALLOW); // socketcall
  assert.equal(call(c, 0 | X32), RET.ALLOW);
  assert.equal(call(c, 165 | X32), eperm);
  assert.equal(call(c, 63, [], AUDIT.AARCH64), RET.KILL_PROCESS);

  // Dispatch is a binary search: a syscall without argument checks takes few steps.
  const prog = checkProgram(c.program);
  let worst = 0;
  for (let nr = 0; nr < 600; nr++) {
    if (nr === NR.personality || nr === NR.clone) continue;
    worst = Math.max(worst, run(prog, { nr, arch: AUDIT.X86_64, args: [] }).steps);
  }
  assert.ok(worst <= 14, `worst case ${worst} steps`);
});

Deno.test("Docker's profile on an aarch64 host", () => {
  const c = compile(DOCKER, "aarch64");
  const arch = AUDIT.AARCH64;
  assert.equal(call(c, 63, [], arch), RET.ALLOW); // read
  assert.equal(call(c, 40, [], arch), RET.ERRNO(EPERM)); // mount
  assert.equal(call(c, 435, [], arch), RET.ERRNO(ENOSYS)); // clone3
  assert.equal(call(c, 3, [], AUDIT.ARM), RET.KILL_PROCESS); // arm not listed
  assert.equal(call(c, 0, [], AUDIT.X86_64), RET.KILL_PROCESS);
});

Deno.test("compileSeccompCached: a per-process memo, nothing on disk", () => {
  clearSeccompCache();
  const a = compileSeccompCached(DOCKER, { hostArch: "x86_64" });
  assert.deepEqual(a, compileSeccomp(DOCKER, { hostArch: "x86_64" }));
  // Copies: changing a result does not change the cache.
  a.program.fill(0);
  a.warnings.push("mine");
  const reordered = Object.fromEntries(Object.entries(DOCKER).reverse()) as LinuxSeccomp;
  const b = compileSeccompCached(reordered, { hostArch: "x86_64" });
  assert.deepEqual(b, compileSeccomp(DOCKER, { hostArch: "x86_64" }));
  // Another host architecture is another entry; invalid profiles still throw.
  const f = compileSeccompCached(DOCKER, { hostArch: "aarch64" });
  assert.notDeepEqual(f.program, b.program);
  throwsSpec(() => compileSeccompCached({ defaultAction: "x" }), "linux.seccomp.defaultAction");
  clearSeccompCache();
});

Deno.test("seccompFeatures", () => {
  const f = seccompFeatures();
  assert.equal(f.actions.length, 9);
  assert.ok(f.actions.includes("SCMP_ACT_NOTIFY") && f.actions.includes("SCMP_ACT_KILL_PROCESS"));
  assert.deepEqual(f.operators.toSorted(), Object.keys(OPS).toSorted());
  for (const a of ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32", "SCMP_ARCH_AARCH64"]) {
    assert.ok(f.archs.includes(a), a);
  }
  assert.ok(!f.archs.includes("SCMP_ARCH_MIPS"));
  assert.ok(!f.flags.includes("SECCOMP_FILTER_FLAG_NEW_LISTENER"));
  assert.ok(f.flags.includes("SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"));
  // Every listed feature compiles.
  compile({
    defaultAction: "SCMP_ACT_ALLOW",
    architectures: f.archs,
    flags: f.flags,
    listenerPath: LISTENER,
    syscalls: f.actions.filter((a) => a !== "SCMP_ACT_ALLOW").map((action, i) => ({
      names: ["read"],
      action,
      args: [{ index: i % 6, value: i, op: f.operators[i % f.operators.length] }],
    })),
  });
});
