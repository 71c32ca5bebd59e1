/**
 * Constructors of the process ops: ids, groups, capabilities, limits, prctl, the seccomp
 * filter, personality, I/O and cpu scheduling. Each argument says which number or string of
 * the op it is and what zig/src/child.zig does with it; tests/unit/plan_ops_test.ts checks
 * the positions.
 * @module
 */
import { NONE, Op, type PlanOp, planOp, type Step } from "./encode.ts";

/** SECCOMP: the filter installed (by an unfiltered helper that then reports for the init). */
export interface SeccompArgs extends Step {
  /** str 0: the BPF program (struct sock_filter array). */
  program: Uint8Array;
  /** num 0: seccomp(2) SECCOMP_FILTER_FLAG_* flags. */
  flags: number;
  /** num 1: the connected socket the listener fd goes to (absent: no listener). */
  listenerFd?: number;
  /** num 2: how long the agent gets to take the listener and the state (ms). */
  timeoutMs: number;
}

/** SCHED: sched_setattr for the process (struct sched_attr, field by field). */
export interface SchedArgs extends Step {
  /** num 0: the policy (SCHED_*). */
  policy: number;
  /** num 1: SCHED_FLAG_* flags. */
  flags: number;
  /** num 2: the nice value, as the u32 of its two's complement. */
  nice: number;
  /** num 3: the static priority. */
  priority: number;
  /** num 4: SCHED_DEADLINE runtime (ns). */
  runtime: number;
  /** num 5: SCHED_DEADLINE deadline (ns). */
  deadline: number;
  /** num 6: SCHED_DEADLINE period (ns). */
  period: number;
}

/** The bytes setgroups(2) takes: each gid a little-endian u32. */
function gidList(gids: number[]): Uint8Array {
  const out = new Uint8Array(4 * gids.length);
  gids.forEach((g, i) => new DataView(out.buffer).setUint32(i * 4, g, true));
  return out;
}

/** A cpu_set_t with the bits of `cpus`, at least the 1024 cpus glibc's type holds. */
function cpuMask(cpus: number[]): Uint8Array {
  const mask = new Uint8Array(Math.max(128, Math.ceil((Math.max(...cpus) + 1) / 64) * 8));
  for (const c of cpus) mask[c >> 3] |= 1 << (c & 7);
  return mask;
}

/**
 * The process op constructors.
 *
 * @example
 * ```ts
 * const op = processOps.setresuid({ field: "process.user.uid", action: "set uid 1000", uid: 1000 });
 * ```
 */
export const processOps = {
  /** SETRESUID: real, effective and saved uid all set to num 0-2, the same `uid`. */
  setresuid: (a: Step & { uid: number }): PlanOp => planOp(Op.SETRESUID, a, [a.uid, a.uid, a.uid]),
  /** SETRESGID: real, effective and saved gid all set to num 0-2, the same `gid`. */
  setresgid: (a: Step & { gid: number }): PlanOp => planOp(Op.SETRESGID, a, [a.gid, a.gid, a.gid]),
  /** SETGROUPS: str 0, the supplementary groups as u32s (none: an empty list). */
  setgroups: (a: Step & { gids: number[] }): PlanOp =>
    planOp(Op.SETGROUPS, a, [], [gidList(a.gids)]),
  /** RLIMIT: prlimit of resource num 0 to soft num 1, hard num 2 (NONE: unlimited). */
  rlimit: (a: Step & { resource: number; soft: bigint; hard: bigint }): PlanOp =>
    planOp(Op.RLIMIT, a, [a.resource, a.soft, a.hard]),
  /** UMASK: num 0. */
  umask: (a: Step & { mask: number }): PlanOp => planOp(Op.UMASK, a, [a.mask]),
  /** CAPS_BOUNDING: every capability up to num 1 (`lastCap`) not in mask num 0 dropped. */
  capsBounding: (a: Step & { keep: bigint; lastCap: number }): PlanOp =>
    planOp(Op.CAPS_BOUNDING, a, [a.keep, a.lastCap]),
  /**
   * PRCTL: prctl(num 0, num 1, num 2); num 3 (1) when `bestEffort`: its failure is ignored
   * (after the filter, a profile may deny prctl).
   */
  prctl: (a: Step & { option: number; arg2: number; arg3: number; bestEffort?: boolean }): PlanOp =>
    planOp(Op.PRCTL, a, [a.option, a.arg2, a.arg3, a.bestEffort ? 1 : undefined]),
  /** CAPSET: the effective (num 0), permitted (1) and inheritable (2) masks. */
  capset: (a: Step & { effective: bigint; permitted: bigint; inheritable: bigint }): PlanOp =>
    planOp(Op.CAPSET, a, [a.effective, a.permitted, a.inheritable]),
  /** CAPS_AMBIENT: every capability in mask num 0, up to num 1 (`lastCap`), raised. */
  capsAmbient: (a: Step & { raise: bigint; lastCap: number }): PlanOp =>
    planOp(Op.CAPS_AMBIENT, a, [a.raise, a.lastCap]),
  /** SECCOMP. */
  seccomp: (a: SeccompArgs): PlanOp =>
    planOp(Op.SECCOMP, a, [a.flags, a.listenerFd ?? NONE, a.timeoutMs], [a.program]),
  /** PERSONALITY: personality(num 0). */
  personality: (a: Step & { persona: number }): PlanOp => planOp(Op.PERSONALITY, a, [a.persona]),
  /** IOPRIO: ioprio_set of the process to class num 0, level num 1. */
  ioprio: (a: Step & { ioClass: number; level: number }): PlanOp =>
    planOp(Op.IOPRIO, a, [a.ioClass, a.level]),
  /** SCHED. */
  sched: (a: SchedArgs): PlanOp =>
    planOp(Op.SCHED, a, [
      a.policy,
      a.flags,
      BigInt.asUintN(32, BigInt(a.nice)),
      a.priority,
      a.runtime,
      a.deadline,
      a.period,
    ]),
  /** AFFINITY: sched_setaffinity to str 0, a cpu_set_t with the bits of `cpus`. */
  affinity: (a: Step & { cpus: number[] }): PlanOp => planOp(Op.AFFINITY, a, [], [cpuMask(a.cpus)]),
};
