/**
 * What the seccomp compiler tests share: kernel values written out (not imported, so the tests
 * do not trust the code they test), Docker's default profile, and compiling a profile into a
 * program the BPF interpreter has checked.
 * @module
 */
import assert from "node:assert/strict";
import { SpecError } from "../../lib/errors.ts";
import {
  type CompiledSeccomp,
  compileSeccomp,
  type HostArch,
  type LinuxSeccomp,
} from "../../lib/seccomp/compile.ts";
import { checkProgram, evaluate } from "./seccomp_bpf_interp.ts";

// Kernel values written out here rather than imported, so the tests do not trust the code
// they test.
/** Filter return values. */
export const RET = {
  KILL_PROCESS: 0x80000000,
  KILL_THREAD: 0,
  TRAP: 0x00030000,
  ERRNO: (e: number) => 0x00050000 + e,
  USER_NOTIF: 0x7fc00000,
  TRACE: (d: number) => 0x7ff00000 + d,
  LOG: 0x7ffc0000,
  ALLOW: 0x7fff0000,
};
/** Errnos. */
export const EPERM = 1, EACCES = 13, ENOSYS = 38, ENETDOWN = 100;
/** AUDIT_ARCH_* values, as seccomp_data.arch carries them. */
export const AUDIT = {
  X86_64: 0xc000003e,
  I386: 0x40000003,
  AARCH64: 0xc00000b7,
  ARM: 0x40000028,
  S390X: 0x80000016,
};
/** The bit x32 syscall numbers carry on x86_64. */
export const X32 = 0x40000000;
// x86_64 numbers.
export const NR = {
  read: 0,
  write: 1,
  socket: 41,
  clone: 56,
  personality: 135,
  mount: 165,
  clone3: 435,
  rseqSliceYield: 471,
};
/** A listenerPath for profiles that notify. */
export const LISTENER = "/run/drun-agent.sock";
/** Docker's default amd64 profile, as vendored. */
export const DOCKER = JSON.parse(
  Deno.readTextFileSync(
    new URL("../../vendor/docker-default-amd64.json", import.meta.url),
  ),
) as LinuxSeccomp;

/** What the program returns for syscall `nr` with `args` on `arch`. */
export function call(
  c: CompiledSeccomp,
  nr: number,
  args: (bigint | number)[] = [],
  arch = AUDIT.X86_64,
): number {
  return evaluate(c.program, { nr, arch, args: args.map((a) => BigInt(a)) });
}

/** Compiles `profile` for `hostArch`, checking the program as the kernel would. */
export function compile(profile: LinuxSeccomp, hostArch: HostArch = "x86_64"): CompiledSeccomp {
  const c = compileSeccomp(profile, { hostArch });
  assert.equal(c.program.length, c.instructions * 8);
  checkProgram(c.program);
  return c;
}

/** Asserts `fn` throws a SpecError for `path` (and, if given, matching `message`). */
export function throwsSpec(fn: () => unknown, path: string, message?: RegExp) {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof SpecError, `expected SpecError, got ${e}`);
    assert.equal(e.path, path);
    if (message) assert.match(e.message, message);
    return true;
  });
}

/** The largest 64-bit argument value. */
export const U64 = (1n << 64n) - 1n;
/** Each comparison operator, as the kernel should evaluate it. */
export const OPS: Record<string, (a: bigint, v: bigint, v2: bigint) => boolean> = {
  SCMP_CMP_NE: (a, v) => a !== v,
  SCMP_CMP_LT: (a, v) => a < v,
  SCMP_CMP_LE: (a, v) => a <= v,
  SCMP_CMP_EQ: (a, v) => a === v,
  SCMP_CMP_GE: (a, v) => a >= v,
  SCMP_CMP_GT: (a, v) => a > v,
  SCMP_CMP_MASKED_EQ: (a, v, v2) => (a & v) === v2,
};
