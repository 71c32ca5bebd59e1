/**
 * Kernel seccomp constants and the OCI names that map onto them.
 * @module
 */
import { ERRNO as LINUX_ERRNO } from "../linux/errno.ts";

/** `SECCOMP_RET_*` action values (linux/seccomp.h); the low 16 bits carry data. */
export const SECCOMP_RET = {
  KILL_PROCESS: 0x80000000,
  KILL_THREAD: 0x00000000,
  TRAP: 0x00030000,
  ERRNO: 0x00050000,
  USER_NOTIF: 0x7fc00000,
  TRACE: 0x7ff00000,
  LOG: 0x7ffc0000,
  ALLOW: 0x7fff0000,
} as const;

/** Mask of the data part of a seccomp return value. */
export const SECCOMP_RET_DATA = 0x0000ffff;

/** errno values the compiler itself returns. */
export const ERRNO = { EPERM: LINUX_ERRNO.EPERM, ENOSYS: LINUX_ERRNO.ENOSYS } as const;

/** OCI action name → action value without data. */
export const ACTIONS: Readonly<Record<string, number>> = {
  SCMP_ACT_KILL: SECCOMP_RET.KILL_THREAD,
  SCMP_ACT_KILL_PROCESS: SECCOMP_RET.KILL_PROCESS,
  SCMP_ACT_KILL_THREAD: SECCOMP_RET.KILL_THREAD,
  SCMP_ACT_TRAP: SECCOMP_RET.TRAP,
  SCMP_ACT_ERRNO: SECCOMP_RET.ERRNO,
  SCMP_ACT_TRACE: SECCOMP_RET.TRACE,
  SCMP_ACT_ALLOW: SECCOMP_RET.ALLOW,
  SCMP_ACT_LOG: SECCOMP_RET.LOG,
  SCMP_ACT_NOTIFY: SECCOMP_RET.USER_NOTIF,
};

/** Actions whose return value carries `errnoRet` / `defaultErrnoRet`. */
export const ACTIONS_WITH_DATA: readonly string[] = ["SCMP_ACT_ERRNO", "SCMP_ACT_TRACE"];

/** Comparison operators of argument conditions. */
export type SeccompOp = "NE" | "LT" | "LE" | "EQ" | "GE" | "GT" | "MASKED_EQ";

/** OCI operator name → operator. */
export const OPERATORS: Readonly<Record<string, SeccompOp>> = {
  SCMP_CMP_NE: "NE",
  SCMP_CMP_LT: "LT",
  SCMP_CMP_LE: "LE",
  SCMP_CMP_EQ: "EQ",
  SCMP_CMP_GE: "GE",
  SCMP_CMP_GT: "GT",
  SCMP_CMP_MASKED_EQ: "MASKED_EQ",
};

/** `SECCOMP_FILTER_FLAG_*` bits (linux/seccomp.h). */
export const FILTER_FLAG = {
  TSYNC: 1,
  LOG: 2,
  SPEC_ALLOW: 4,
  NEW_LISTENER: 8,
  TSYNC_ESRCH: 16,
  WAIT_KILLABLE_RECV: 32,
} as const;

/** Flag names a profile may carry; NEW_LISTENER is the runtime's business, not the profile's. */
export const PROFILE_FLAGS: Readonly<Record<string, number>> = {
  SECCOMP_FILTER_FLAG_TSYNC: FILTER_FLAG.TSYNC,
  SECCOMP_FILTER_FLAG_LOG: FILTER_FLAG.LOG,
  SECCOMP_FILTER_FLAG_SPEC_ALLOW: FILTER_FLAG.SPEC_ALLOW,
  SECCOMP_FILTER_FLAG_TSYNC_ESRCH: FILTER_FLAG.TSYNC_ESRCH,
  SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV: FILTER_FLAG.WAIT_KILLABLE_RECV,
};

/** Number of syscall arguments in `seccomp_data`. */
export const MAX_ARGS = 6;

/** Kernel limit on the length of one filter (BPF_MAXINSNS). */
export const MAX_INSNS = 4096;

/** Byte offsets in `struct seccomp_data`. */
export const DATA_OFFSET = {
  nr: 0,
  arch: 4,
  instructionPointer: 8,
  /** Offset of `args[i]`. */
  arg: (i: number): number => 16 + 8 * i,
} as const;
