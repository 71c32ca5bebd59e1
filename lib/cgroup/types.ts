/**
 * Types shared by the cgroup drivers: the manager interface the runtime uses, driver options,
 * and the statistics document (the shape of runc's `events --stats` data). Its counters are
 * the kernel's uint64 values as bigints: a JS number would round them (9223372036854771712, the
 * v1 "no limit", would become 9223372036854772000); lib/json.ts writes them exactly.
 * @module
 */
import type { LinuxResources } from "../spec/types.ts";

/**
 * Where a container's cgroups are, as stored in its state: hierarchy → absolute directory
 * (v1: one key per controller, `cpu`, `memory`, ...; v2: one key, `""`). When drun had to
 * create parent directories for a nested `cgroupsPath`, the key {@link CREATED_KEY} holds a JSON
 * array of the topmost ones, so `delete` can remove them too. Use {@link cgroupDirs} to list
 * only the directories.
 */
export type CgroupPaths = Record<string, string>;

/** The key of {@link CgroupPaths} that records created parent directories (not a hierarchy). */
export const CREATED_KEY = "drun.created";

/** The distinct cgroup directories of stored paths (without the created-parents record). */
export function cgroupDirs(paths: CgroupPaths | undefined): string[] {
  if (!paths) return [];
  return [...new Set(Object.entries(paths).filter(([k]) => k !== CREATED_KEY).map(([, v]) => v))]
    .sort();
}

/** What the runtime needs from a cgroup driver. */
export interface CgroupManager {
  /** 1 for the v1 driver, 2 for the unified one. */
  readonly version: 1 | 2;
  /** Absolute directories per hierarchy (v2: one entry, key ""), stored in state.json. */
  readonly paths: CgroupPaths;
  /** Creates the directories (missing parents too); on v1 seeds cpuset.cpus/mems. */
  create(): void;
  /** Writes the resource limits of a new container. */
  apply(resources: LinuxResources | undefined): void;
  /** Writes changed limits of an existing container (devices cannot be changed). */
  update(resources: LinuxResources): void;
  /** Moves pid into the cgroups. */
  join(pid: number): void;
  /**
   * Removes the directories (after the processes are gone), leaf first, then the parents drun
   * created; retries briefly on EBUSY. Idempotent.
   */
  destroy(): void;
  /** Whether the container's cgroup still exists. */
  exists(): boolean;
  /** Freezes every process (v1 freezer.state, v2 cgroup.freeze) and waits until frozen. */
  freeze(): Promise<void>;
  /** Thaws a frozen cgroup. */
  thaw(): void;
  /** Whether the cgroup is frozen. */
  isFrozen(): boolean;
  /** Pids of every process in the cgroup and below. */
  pids(): number[];
  /** Usage statistics. */
  stats(): CgroupStats;
  /** How many times the OOM killer has killed a process of the cgroup. */
  oomKillCount(): number;
}

/** Options of {@link openCgroups}, mainly for tests. */
export interface CgroupOptions {
  /** The cgroup filesystem root (default /sys/fs/cgroup). */
  root?: string;
  /** Text to use instead of /proc/self/cgroup. */
  procSelfCgroup?: string;
  /** Text to use instead of /proc/self/mountinfo (only read for the default root). */
  mountinfo?: string;
  /** Where warnings go (ignored settings). */
  warn?: (msg: string) => void;
}

/**
 * CPU time (nanoseconds).
 *
 * @example
 * ```ts
 * const u: CpuUsage = { total: 1_500_000n, kernel: 500_000n, user: 1_000_000n };
 * ```
 */
export interface CpuUsage {
  /** Total CPU time. */
  total?: bigint;
  /** Per-CPU totals. */
  percpu?: bigint[];
  /** Per-CPU kernel time. */
  percpu_kernel?: bigint[];
  /** Per-CPU user time. */
  percpu_user?: bigint[];
  /** Kernel-mode time. */
  kernel: bigint;
  /** User-mode time. */
  user: bigint;
}

/**
 * CFS bandwidth throttling.
 *
 * @example
 * ```ts
 * const t: Throttling = { periods: 100n, throttledPeriods: 3n, throttledTime: 12_000_000n };
 * ```
 */
export interface Throttling {
  /** Enforcement periods elapsed. */
  periods?: bigint;
  /** Periods in which the group was throttled. */
  throttledPeriods?: bigint;
  /** Total throttled time (ns). */
  throttledTime?: bigint;
}

/**
 * CPU statistics.
 *
 * @example
 * ```ts
 * const cpu: CpuStats = { usage: { kernel: 0n, user: 0n }, throttling: {} };
 * ```
 */
export interface CpuStats {
  /** Usage. */
  usage: CpuUsage;
  /** Throttling. */
  throttling: Throttling;
}

/**
 * One memory counter family (bytes).
 *
 * @example
 * ```ts
 * const e: MemoryEntry = { limit: 268_435_456n, usage: 12_288_000n, failcnt: 0n };
 * ```
 */
export interface MemoryEntry {
  /** Limit (0 when unknown). */
  limit: bigint;
  /** Current usage. */
  usage?: bigint;
  /** Peak usage. */
  max?: bigint;
  /** How often the limit was hit. */
  failcnt: bigint;
}

/**
 * Memory statistics.
 *
 * @example
 * ```ts
 * const zero: MemoryEntry = { limit: 0n, failcnt: 0n };
 * const m: MemoryStats = { usage: zero, swap: zero, kernel: zero, kernelTCP: zero };
 * ```
 */
export interface MemoryStats {
  /** Page cache. */
  cache?: bigint;
  /** Memory. */
  usage: MemoryEntry;
  /** Memory plus swap (v1) or swap (v2). */
  swap: MemoryEntry;
  /** Kernel memory (v1). */
  kernel: MemoryEntry;
  /** Kernel TCP buffers (v1). */
  kernelTCP: MemoryEntry;
  /** memory.stat, exactly. */
  raw?: Record<string, bigint>;
}

/**
 * Pids statistics.
 *
 * @example
 * ```ts
 * const pids: PidsStats = { current: 3n, limit: 64n };
 * ```
 */
export interface PidsStats {
  /** Tasks now. */
  current?: bigint;
  /** The limit (absent when unlimited). */
  limit?: bigint;
}

/**
 * One block I/O counter.
 *
 * @example
 * ```ts
 * const e: BlkioEntry = { major: 8, minor: 0, op: "Read", value: 4096n };
 * ```
 */
export interface BlkioEntry {
  /** Device major. */
  major?: number;
  /** Device minor. */
  minor?: number;
  /** Read, Write, Sync, Async, Discard or Total. */
  op?: string;
  /** Value. */
  value?: bigint;
}

/**
 * Block I/O statistics.
 *
 * @example
 * ```ts
 * const io: BlkioStats = {
 *   ioServiceBytesRecursive: [{ major: 8, minor: 0, op: "Read", value: 4096n }],
 * };
 * ```
 */
export interface BlkioStats {
  /** Bytes transferred. */
  ioServiceBytesRecursive?: BlkioEntry[];
  /** Operations. */
  ioServicedRecursive?: BlkioEntry[];
}

/**
 * Hugetlb statistics for one page size.
 *
 * @example
 * ```ts
 * const h: HugetlbStats = { usage: 0n, max: 0n, failcnt: 0n };
 * ```
 */
export interface HugetlbStats {
  /** Usage in bytes. */
  usage?: bigint;
  /** Peak usage. */
  max?: bigint;
  /** How often the limit was hit. */
  failcnt: bigint;
}

/**
 * The statistics document (runc's `events --stats` data).
 *
 * @example
 * ```ts
 * for await (const ev of new Runtime("/run/drun").events("web", { stats: true })) {
 *   const stats: CgroupStats | undefined = ev.data;
 *   console.log(stats?.memory.usage.usage, stats?.pids.current);
 * }
 * ```
 */
export interface CgroupStats {
  /** CPU. */
  cpu: CpuStats;
  /** Cpuset. */
  cpuset?: { cpus?: number[]; mems?: number[] };
  /** Memory. */
  memory: MemoryStats;
  /** Pids. */
  pids: PidsStats;
  /** Block I/O. */
  blkio: BlkioStats;
  /** Hugetlb per page size. */
  hugetlb: Record<string, HugetlbStats>;
}

/** Zero becomes undefined, so JSON leaves it out (as Go's omitempty). */
export function nz(n: bigint | undefined): bigint | undefined {
  return n ? n : undefined;
}
