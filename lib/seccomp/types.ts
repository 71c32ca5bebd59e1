/**
 * The OCI `linux.seccomp` object (runtime-spec config-linux.md §Seccomp) and the result of
 * compiling it.
 * @module
 */

/**
 * One argument condition of a syscall rule.
 *
 * @example
 * ```ts
 * const arg: LinuxSeccompArg = { index: 0, value: 2, op: "SCMP_CMP_EQ" };
 * ```
 */
export interface LinuxSeccompArg {
  /** Argument index, 0..5. */
  index: number;
  /** Value compared against; for `SCMP_CMP_MASKED_EQ` the mask. A bigint keeps all 64 bits. */
  value: number | bigint;
  /** For `SCMP_CMP_MASKED_EQ` the value the masked argument must equal; ignored otherwise. */
  valueTwo?: number | bigint;
  /** `SCMP_CMP_NE`, `_LT`, `_LE`, `_EQ`, `_GE`, `_GT` or `_MASKED_EQ`. */
  op: string;
}

/**
 * One rule: an action for some syscalls, optionally only when argument conditions hold.
 *
 * @example
 * ```ts
 * const rule: LinuxSyscall = { names: ["mkdir"], action: "SCMP_ACT_ERRNO", errnoRet: 1 };
 * ```
 */
export interface LinuxSyscall {
  /** Syscall names; names unknown on every handled architecture are skipped with a warning. */
  names: string[];
  /** `SCMP_ACT_*` action. */
  action: string;
  /** errno for `SCMP_ACT_ERRNO`, message data for `SCMP_ACT_TRACE`; EPERM when absent. */
  errnoRet?: number;
  /** Conditions; on distinct indexes they are ANDed, any repeated index makes each an OR. */
  args?: LinuxSeccompArg[];
}

/**
 * The OCI `linux.seccomp` object.
 *
 * @example
 * ```ts
 * const seccomp: LinuxSeccomp = {
 *   defaultAction: "SCMP_ACT_ALLOW",
 *   syscalls: [{ names: ["ptrace"], action: "SCMP_ACT_ERRNO" }],
 * };
 * ```
 */
export interface LinuxSeccomp {
  /** Action for syscalls no rule matches. */
  defaultAction: string;
  /** errno (ERRNO) or message data (TRACE) of the default action; EPERM when absent. */
  defaultErrnoRet?: number;
  /** `SCMP_ARCH_*` names; the host's own architecture is always handled. */
  architectures?: string[];
  /** `SECCOMP_FILTER_FLAG_*` names. */
  flags?: string[];
  /** Absolute path of the AF_UNIX socket that receives the notify fd. */
  listenerPath?: string;
  /** Opaque string sent to the listener with the fd. */
  listenerMetadata?: string;
  /** Rules, in order; for one syscall the first matching rule decides. */
  syscalls?: LinuxSyscall[];
}

/**
 * A compiled filter, ready for `seccomp(SECCOMP_SET_MODE_FILTER, flags, &sock_fprog)`.
 *
 * @example
 * ```ts
 * const compiled: CompiledSeccomp = compileSeccomp({ defaultAction: "SCMP_ACT_ALLOW" });
 * console.log(compiled.program.length / 8, "instructions", compiled.warnings);
 * ```
 */
export interface CompiledSeccomp {
  /** `struct sock_filter[]`: 8 bytes each, little-endian `u16 code, u8 jt, u8 jf, u32 k`. */
  program: Uint8Array;
  /** Number of instructions (`program.length / 8`). */
  instructions: number;
  /** `SECCOMP_FILTER_FLAG_*` bits to pass; the runtime adds NEW_LISTENER itself. */
  flags: number;
  /** Whether the profile uses `SCMP_ACT_NOTIFY`, so a listener fd must be requested. */
  usesNotify: boolean;
  /** Things skipped or adjusted while compiling (unknown syscall names, dropped flags). */
  warnings: string[];
}
