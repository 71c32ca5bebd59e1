/**
 * The seccomp compiler and the host: architectures (x86 and x32 on x86_64, arm on aarch64,
 * anything else killed), unknown and unassigned syscall numbers, unknown names skipped with a
 * warning, and argument words loaded the other way round on a big-endian host.
 */
import assert from "node:assert/strict";
import { compileSeccomp, type LinuxSeccomp } from "../../lib/seccomp/compile.ts";
import { evaluate } from "./seccomp_bpf_interp.ts";
import { AUDIT, call, compile, ENOSYS, EPERM, NR, RET, X32 } from "./seccomp_compile_helpers.ts";

Deno.test("architectures: x86 and x32 on x86_64, arm on aarch64, anything else killed", () => {
  const rules: LinuxSeccomp["syscalls"] = [
    { names: ["read", "rt_sigaction"], action: "SCMP_ACT_ALLOW" },
    { names: ["chown32"], action: "SCMP_ACT_LOG" },
  ];
  const all = compile({
    defaultAction: "SCMP_ACT_ERRNO",
    architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32", "SCMP_ARCH_AARCH64"],
    syscalls: rules,
  });
  assert.deepEqual(all.warnings, []);
  assert.equal(call(all, NR.read), RET.ALLOW);
  assert.equal(call(all, 13), RET.ALLOW); // rt_sigaction
  assert.equal(call(all, 3, [], AUDIT.I386), RET.ALLOW); // read
  assert.equal(call(all, 174, [], AUDIT.I386), RET.ALLOW); // rt_sigaction
  assert.equal(call(all, 212, [], AUDIT.I386), RET.LOG); // chown32
  assert.equal(call(all, 212), RET.ERRNO(EPERM)); // x86_64 212 is lookup_dcookie
  assert.equal(call(all, 0 | X32), RET.ALLOW); // x32 read
  assert.equal(call(all, 512 | X32), RET.ALLOW); // x32 rt_sigaction
  assert.equal(call(all, 13 | X32), RET.ERRNO(EPERM)); // x86_64-only number on x32
  assert.equal(call(all, 548 | X32), RET.ERRNO(ENOSYS));
  assert.equal(call(all, 0xffffffff), RET.ERRNO(ENOSYS)); // nr -1 is x32 space, unknown
  // An x86_64 host cannot run aarch64 code: left out, so killed like any unknown arch.
  assert.equal(call(all, 63, [], AUDIT.AARCH64), RET.KILL_PROCESS);
  assert.equal(call(all, 0, [], 0x12345678), RET.KILL_PROCESS);

  const only64 = compile({ defaultAction: "SCMP_ACT_ERRNO", syscalls: rules });
  assert.equal(call(only64, NR.read), RET.ALLOW);
  assert.equal(call(only64, 0 | X32), RET.KILL_PROCESS);
  assert.equal(call(only64, 3, [], AUDIT.I386), RET.KILL_PROCESS);
  assert.equal(only64.warnings.length, 1); // chown32 exists on no handled arch

  const arm = compile(
    {
      defaultAction: "SCMP_ACT_ERRNO",
      architectures: ["SCMP_ARCH_X86", "SCMP_ARCH_ARM", "SCMP_ARCH_MIPS"],
      syscalls: [...rules!, { names: ["cacheflush"], action: "SCMP_ACT_TRAP" }],
    },
    "aarch64",
  );
  assert.equal(call(arm, 63, [], AUDIT.AARCH64), RET.ALLOW); // read
  assert.equal(call(arm, 3, [], AUDIT.ARM), RET.ALLOW); // read
  assert.equal(call(arm, 212, [], AUDIT.ARM), RET.LOG); // chown32
  assert.equal(call(arm, 0xf0002, [], AUDIT.ARM), RET.TRAP); // cacheflush
  assert.equal(call(arm, 0xf0001, [], AUDIT.ARM), RET.ERRNO(EPERM)); // breakpoint
  // Between the last regular number and ARM's private ones: unknown.
  assert.equal(call(arm, 500, [], AUDIT.ARM), RET.ERRNO(ENOSYS));
  assert.equal(call(arm, 0xf0000 - 1, [], AUDIT.ARM), RET.ERRNO(ENOSYS));
  assert.equal(call(arm, 0xf0100, [], AUDIT.ARM), RET.ERRNO(ENOSYS));
  assert.equal(call(arm, 3, [], AUDIT.I386), RET.KILL_PROCESS);
  assert.equal(call(arm, 0, [], AUDIT.X86_64), RET.KILL_PROCESS);
});

Deno.test("unknown numbers get ENOSYS, unassigned known-range numbers the default", () => {
  const c = compile({
    defaultAction: "SCMP_ACT_TRAP",
    syscalls: [{ names: ["read"], action: "SCMP_ACT_ALLOW" }],
  });
  assert.equal(call(c, NR.rseqSliceYield), RET.TRAP);
  assert.equal(call(c, NR.rseqSliceYield + 1), RET.ERRNO(ENOSYS));
  assert.equal(call(c, 1000), RET.ERRNO(ENOSYS));
  assert.equal(call(c, X32 - 1), RET.ERRNO(ENOSYS));
  // Without the x32 bit even a huge number is an (unknown) x86_64 one; with it, and x32 not
  // handled, it is a bad architecture.
  assert.equal(call(c, 0x80000000), RET.ERRNO(ENOSYS));
  assert.equal(call(c, 0xc0000000), RET.KILL_PROCESS);
  assert.equal(call(c, 400), RET.TRAP); // between rseq (334) and pidfd_send_signal (424)
  assert.equal(call(c, NR.read), RET.ALLOW);
});

Deno.test("unknown syscall names are skipped with a warning", () => {
  const c = compile({
    defaultAction: "SCMP_ACT_ERRNO",
    syscalls: [{ names: ["read", "no_such_call", "write"], action: "SCMP_ACT_ALLOW" }],
  });
  assert.equal(c.warnings.length, 1);
  assert.match(c.warnings[0], /^linux\.seccomp\.syscalls\[0\]\.names\[1\]: .*"no_such_call"/);
  assert.equal(call(c, NR.read), RET.ALLOW);
  assert.equal(call(c, NR.write), RET.ALLOW);
});

Deno.test("big-endian host (s390x) loads argument words the other way round", () => {
  const c = compileSeccomp({
    defaultAction: "SCMP_ACT_ALLOW",
    syscalls: [{
      names: ["write"],
      action: "SCMP_ACT_ERRNO",
      args: [{ index: 1, value: 0x1_0000_0002n, op: "SCMP_CMP_EQ" }],
    }],
  }, { hostArch: "s390x" });
  const data = (args: bigint[]) => ({ nr: 4, arch: AUDIT.S390X, args });
  assert.equal(evaluate(c.program, data([0n, 0x1_0000_0002n]), false), RET.ERRNO(EPERM));
  assert.equal(evaluate(c.program, data([0n, 0x2_0000_0001n]), false), RET.ALLOW);
  assert.equal(evaluate(c.program, data([0n, 2n]), false), RET.ALLOW);
});
