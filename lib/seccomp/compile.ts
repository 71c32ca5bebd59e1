/**
 * Compiles an OCI `linux.seccomp` profile into a classic BPF seccomp filter, without
 * libseccomp.
 *
 * Meaning of the compiled filter, for a syscall with `seccomp_data` {nr, arch, args}:
 * - an `arch` the filter does not handle gets SECCOMP_RET_KILL_PROCESS. Handled are the host's
 *   own architecture and every listed one the host kernel runs (x86 and x32 on x86_64, arm on
 *   aarch64); on x86_64, numbers with the x32 bit belong to x32.
 * - the rules naming the syscall are tried in profile order (rules whose action equals the
 *   default are dropped first); the first whose conditions hold decides. Conditions on distinct
 *   argument indexes are ANDed; if an index repeats, each condition is a rule of its own.
 * - a syscall no rule matches gets the default action, except that a number past the known
 *   ones for the architecture (and named by no rule) gets ERRNO(ENOSYS), so syscalls newer than
 *   the tables fail the way an old kernel would.
 * @module
 */

import { ArgError, SpecError } from "../errors.ts";
import { Assembler, encode } from "./bpf.ts";
import { MemoryCache, stableStringify } from "./cache.ts";
import { emitProgram } from "./codegen.ts";
import { ACTIONS, FILTER_FLAG, MAX_INSNS, OPERATORS, PROFILE_FLAGS } from "./constants.ts";
import {
  handledArches,
  type HostArch,
  planArch,
  RUNNABLE,
  unknownNameWarnings,
} from "./intervals.ts";
import { LITTLE_ENDIAN, SCMP_ARCH, SYSCALLS_CSV_SHA256 } from "./tables.generated.ts";
import type { CompiledSeccomp, LinuxSeccomp } from "./types.ts";
import { validateSeccomp, type ValidProfile } from "./validate.ts";

export type { CompiledSeccomp, LinuxSeccomp, LinuxSeccompArg, LinuxSyscall } from "./types.ts";
export type { HostArch } from "./intervals.ts";

/**
 * Options of {@link compileSeccomp}.
 *
 * @example
 * ```ts
 * const opts: CompileOptions = { hostArch: "x86_64", path: "linux.seccomp" };
 * ```
 */
export interface CompileOptions {
  /** Architecture of the kernel the filter is for; defaults to the one Deno runs on. */
  hostArch?: HostArch;
  /** JSON path of the profile, used in errors and warnings; default `linux.seccomp`. */
  path?: string;
}

/** Options of {@link compileSeccompCached}: those of {@link compileSeccomp}, and one more. */
export interface CachedCompileOptions extends CompileOptions {
  /**
   * The profile as validateSpec already checked it (lib/spec/validate/linux.ts
   * `validatedSeccomp`): compiled as it is instead of being validated a second time.
   */
  valid?: ValidProfile;
}

/** Changes whenever the compiler's output for the same input may change (cache keys use it). */
export const COMPILER_VERSION = 1;

/** The architecture Deno runs on, as a {@link HostArch}. */
export function defaultHostArch(): HostArch {
  const arch = Deno.build.arch as string;
  if (!Object.hasOwn(RUNNABLE, arch)) {
    throw new ArgError(`no seccomp support for host architecture ${arch}`, "hostArch");
  }
  return arch as HostArch;
}

/**
 * Compiles `profile` into a seccomp filter for a kernel of `opts.hostArch`. Throws
 * {@link SpecError} for an invalid profile or one whose filter exceeds the kernel's 4096
 * instructions; skipped syscall names and adjusted flags are reported in `warnings`.
 *
 * @example
 * ```ts
 * const { program, warnings } = compileSeccomp({
 *   defaultAction: "SCMP_ACT_ERRNO",
 *   syscalls: [{ names: ["read", "write", "exit_group"], action: "SCMP_ACT_ALLOW" }],
 * });
 * for (const w of warnings) console.warn(w);
 * ```
 */
export function compileSeccomp(profile: LinuxSeccomp, opts: CompileOptions = {}): CompiledSeccomp {
  return compileChecked(profile, opts);
}

function compileChecked(profile: LinuxSeccomp, opts: CachedCompileOptions): CompiledSeccomp {
  const path = opts.path ?? "linux.seccomp";
  const host = opts.hostArch ?? defaultHostArch();
  if (!Object.hasOwn(RUNNABLE, host)) {
    throw new ArgError(`no seccomp support for host architecture ${host}`, "hostArch");
  }
  const valid = opts.valid ?? validateSeccomp(profile, path);
  const arches = handledArches(host, valid.architectures);
  const warnings = [...valid.warnings, ...unknownNameWarnings(valid, arches)];

  const asm = new Assembler();
  emitProgram(asm, arches.map((a) => planArch(a, valid)));
  const insns = asm.assemble();
  if (insns.length > MAX_INSNS) {
    throw new SpecError(
      path,
      `compiles to ${insns.length} BPF instructions but the kernel allows at most ${MAX_INSNS}; ` +
        "use fewer argument conditions",
    );
  }

  let flags = valid.flags;
  if (valid.usesNotify && flags & FILTER_FLAG.TSYNC) {
    // The kernel refuses TSYNC with NEW_LISTENER unless told to report ESRCH instead of the
    // id of the thread it could not sync (which would be ambiguous with the listener fd).
    flags |= FILTER_FLAG.TSYNC_ESRCH;
  }
  if (!valid.usesNotify && flags & FILTER_FLAG.WAIT_KILLABLE_RECV) {
    // Without a listener the kernel would reject the whole filter with EINVAL.
    flags &= ~FILTER_FLAG.WAIT_KILLABLE_RECV;
    warnings.push(
      `${path}.flags: SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV ignored: no rule uses SCMP_ACT_NOTIFY`,
    );
  }

  return {
    program: encode(insns, LITTLE_ENDIAN[RUNNABLE[host][0]]),
    instructions: insns.length,
    flags,
    usesNotify: valid.usesNotify,
    warnings,
  };
}

const memory = new MemoryCache();

/**
 * {@link compileSeccomp} with a per-process memo keyed by the profile's stable JSON text with
 * the options and the compiler and table versions. Nothing is kept on disk: a file there
 * could be changed by someone else between runs, and a cold compile of Docker's profile
 * costs a few milliseconds. Invalid profiles are never cached, so they throw every time.
 *
 * @example
 * ```ts
 * import { compileSeccompCached } from "./compile.ts";
 * const c = compileSeccompCached({ defaultAction: "SCMP_ACT_ALLOW" });
 * console.log(c.instructions);
 * ```
 */
export function compileSeccompCached(
  profile: LinuxSeccomp,
  opts: CachedCompileOptions = {},
): CompiledSeccomp {
  const compileOpts = {
    hostArch: opts.hostArch ?? defaultHostArch(),
    path: opts.path ?? "linux.seccomp",
  };
  const key = stableStringify({
    compiler: COMPILER_VERSION,
    tables: SYSCALLS_CSV_SHA256,
    ...compileOpts,
    profile,
  });
  const hit = memory.get(key);
  if (hit) return hit;
  const result = compileChecked(profile, { ...compileOpts, valid: opts.valid });
  memory.set(key, result);
  return result;
}

/** Drops every filter {@link compileSeccompCached} keeps in memory. */
export function clearSeccompCache(): void {
  memory.clear();
}

/**
 * The seccomp part of the OCI features document.
 *
 * @example
 * ```ts
 * const f: SeccompFeatures = seccompFeatures();
 * ```
 */
export interface SeccompFeatures {
  /** Supported `SCMP_ACT_*` names. */
  actions: string[];
  /** Supported `SCMP_CMP_*` names. */
  operators: string[];
  /** `SCMP_ARCH_*` names with a syscall table. */
  archs: string[];
  /** `SECCOMP_FILTER_FLAG_*` names a profile may use. */
  flags: string[];
}

/**
 * What this compiler supports, for `drun features`.
 *
 * @example
 * ```ts
 * console.log(seccompFeatures().actions); // ["SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", ...]
 * ```
 */
export function seccompFeatures(): SeccompFeatures {
  return {
    actions: Object.keys(ACTIONS),
    operators: Object.keys(OPERATORS),
    archs: Object.keys(SCMP_ARCH).filter((name) => SCMP_ARCH[name] !== null),
    flags: Object.keys(PROFILE_FLAGS),
  };
}
