/**
 * The `process` section: what runs, as whom, with which capabilities, limits and scheduling.
 * @module
 */

/**
 * Size of the console window when `terminal` is set.
 *
 * @example
 * ```ts
 * const size: ConsoleSize = { height: 24, width: 80 };
 * ```
 */
export interface ConsoleSize {
  /** Rows. */
  height: number;
  /** Columns. */
  width: number;
}

/**
 * I/O scheduling class and priority of the process (`ioprio_set`).
 *
 * @example
 * ```ts
 * const io: LinuxIOPriority = { class: "IOPRIO_CLASS_BE", priority: 4 };
 * ```
 */
export interface LinuxIOPriority {
  /** `IOPRIO_CLASS_RT`, `IOPRIO_CLASS_BE` or `IOPRIO_CLASS_IDLE`. */
  class: "IOPRIO_CLASS_RT" | "IOPRIO_CLASS_BE" | "IOPRIO_CLASS_IDLE";
  /** Priority level within the class, 0 (highest) to 7. */
  priority: number;
}

/**
 * CPU scheduling policy of the process (`sched_setattr`).
 *
 * @example
 * ```ts
 * const sched: Scheduler = { policy: "SCHED_OTHER", nice: 10 };
 * ```
 */
export interface Scheduler {
  /** Policy name, e.g. `SCHED_OTHER`, `SCHED_FIFO`, `SCHED_DEADLINE`. */
  policy: string;
  /** Nice value, -20..19. */
  nice?: number;
  /** Static priority for the real-time policies. */
  priority?: number;
  /** `SCHED_FLAG_*` names. */
  flags?: string[];
  /** SCHED_DEADLINE runtime in nanoseconds. */
  runtime?: number;
  /** SCHED_DEADLINE deadline in nanoseconds. */
  deadline?: number;
  /** SCHED_DEADLINE period in nanoseconds. */
  period?: number;
}

/**
 * CPU affinity of a process started by `exec`, before and after it joins the cgroup.
 *
 * @example
 * ```ts
 * const affinity: CPUAffinity = { initial: "0-3", final: "2" };
 * ```
 */
export interface CPUAffinity {
  /** CPU list applied before joining the container cgroup, e.g. `"0-3,7"`. */
  initial?: string;
  /** CPU list applied once in the container cgroup. */
  final?: string;
}

/**
 * The container process.
 *
 * @example
 * ```ts
 * const p: Process = {
 *   args: ["/bin/sh", "-c", "echo $GREETING"],
 *   env: ["GREETING=hello"],
 *   cwd: "/",
 *   user: { uid: 1000, gid: 1000 },
 *   noNewPrivileges: true,
 * };
 * ```
 */
export interface Process {
  /** Whether to allocate a pseudo-terminal for the process. */
  terminal?: boolean;
  /** Initial console size; only meaningful with `terminal`. */
  consoleSize?: ConsoleSize;
  /** Identity the process runs as. */
  user: User;
  /** Program and arguments, as for `execvp`; `args[0]` is looked up in PATH. */
  args?: string[];
  /** Windows-only full command line; carried but unused on Linux. */
  commandLine?: string;
  /** Environment, each entry `KEY=value`. */
  env?: string[];
  /** Absolute working directory inside the container. */
  cwd: string;
  /** Capability sets. */
  capabilities?: LinuxCapabilities;
  /** Resource limits (`setrlimit`). */
  rlimits?: POSIXRlimit[];
  /** Set `PR_SET_NO_NEW_PRIVS`. */
  noNewPrivileges?: boolean;
  /** AppArmor profile to switch to on exec. */
  apparmorProfile?: string;
  /** Value written to `/proc/self/oom_score_adj`, -1000..1000. */
  oomScoreAdj?: number;
  /** SELinux label of the process. */
  selinuxLabel?: string;
  /** I/O priority. */
  ioPriority?: LinuxIOPriority;
  /** CPU scheduling policy. */
  scheduler?: Scheduler;
  /** CPU affinity for `exec`. */
  execCPUAffinity?: CPUAffinity;
}

/**
 * Identity of the container process.
 *
 * @example
 * ```ts
 * const user: User = { uid: 1000, gid: 1000, additionalGids: [10], umask: 0o022 };
 * ```
 */
export interface User {
  /** User id inside the container. */
  uid: number;
  /** Group id inside the container. */
  gid: number;
  /** File mode creation mask, 0..0o777. */
  umask?: number;
  /** Supplementary group ids. */
  additionalGids?: number[];
  /** Windows-only user name; carried but unused on Linux. */
  username?: string;
}

/**
 * The capability sets of the container process, as `CAP_*` names.
 *
 * @example
 * ```ts
 * const caps: LinuxCapabilities = {
 *   bounding: ["CAP_NET_BIND_SERVICE"],
 *   effective: ["CAP_NET_BIND_SERVICE"],
 *   permitted: ["CAP_NET_BIND_SERVICE"],
 * };
 * ```
 */
export interface LinuxCapabilities {
  /** Bounding set. */
  bounding?: string[];
  /** Effective set. */
  effective?: string[];
  /** Inheritable set. */
  inheritable?: string[];
  /** Permitted set. */
  permitted?: string[];
  /** Ambient set. */
  ambient?: string[];
}

/**
 * One resource limit.
 *
 * @example
 * ```ts
 * const nofile: POSIXRlimit = { type: "RLIMIT_NOFILE", hard: 1024, soft: 1024 };
 * ```
 */
export interface POSIXRlimit {
  /** `RLIMIT_*` name. */
  type: string;
  /** Hard limit (ceiling of the soft limit). */
  hard: number;
  /** Soft limit (enforced value). */
  soft: number;
}
