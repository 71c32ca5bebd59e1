/**
 * The `linux.resources` section: the cgroup settings.
 * @module
 */

/**
 * One rule of the device cgroup (allow or deny access to device numbers).
 *
 * @example
 * ```ts
 * const rule: LinuxDeviceCgroup = { allow: true, type: "c", major: 10, minor: 229, access: "rw" };
 * ```
 */
export interface LinuxDeviceCgroup {
  /** Allow (true) or deny (false). */
  allow: boolean;
  /** `a` (all), `c` or `b`; absent means all. */
  type?: string;
  /** Major number; absent means any. */
  major?: number;
  /** Minor number; absent means any. */
  minor?: number;
  /** Some of `r`, `w`, `m`. */
  access?: string;
}

/**
 * Memory cgroup settings, in bytes.
 *
 * @example
 * ```ts
 * const memory: LinuxMemory = { limit: 256 * 1024 * 1024, swap: 256 * 1024 * 1024 };
 * ```
 */
export interface LinuxMemory {
  /** Memory limit; -1 means unlimited. */
  limit?: number;
  /** Soft limit / low protection; -1 means unlimited. */
  reservation?: number;
  /** Memory plus swap limit; -1 means unlimited. */
  swap?: number;
  /** Deprecated kernel memory limit. */
  kernel?: number;
  /** Kernel TCP buffer memory limit. */
  kernelTCP?: number;
  /** Swappiness, 0..100. */
  swappiness?: number;
  /** Disable the OOM killer for the cgroup. */
  disableOOMKiller?: boolean;
  /** Deprecated cgroup v1 hierarchical accounting switch. */
  useHierarchy?: boolean;
  /** Refuse an update that would set the limit below current usage. */
  checkBeforeUpdate?: boolean;
}

/**
 * CPU and cpuset cgroup settings.
 *
 * @example
 * ```ts
 * const cpu: LinuxCPU = { quota: 50_000, period: 100_000, cpus: "0-1" };
 * ```
 */
export interface LinuxCPU {
  /** Relative weight (cgroup v1 shares). */
  shares?: number;
  /** CFS quota in microseconds per period; -1 means unlimited. */
  quota?: number;
  /** CFS burst in microseconds. */
  burst?: number;
  /** CFS period in microseconds. */
  period?: number;
  /** Real-time runtime in microseconds per period. */
  realtimeRuntime?: number;
  /** Real-time period in microseconds. */
  realtimePeriod?: number;
  /** CPU list, e.g. `"0-3,7"`. */
  cpus?: string;
  /** Memory node list, e.g. `"0,1"`. */
  mems?: string;
  /** 1 gives the cgroup SCHED_IDLE-like minimum weight. */
  idle?: number;
}

/**
 * Pids cgroup settings.
 *
 * @example
 * ```ts
 * const pids: LinuxPids = { limit: 64 };
 * ```
 */
export interface LinuxPids {
  /** Maximum number of tasks; -1 (or 0, as runc treats it) means unlimited. */
  limit: number;
}

/**
 * A per-device block I/O weight.
 *
 * @example
 * ```ts
 * const w: LinuxWeightDevice = { major: 8, minor: 0, weight: 500 };
 * ```
 */
export interface LinuxWeightDevice {
  /** Device major number. */
  major: number;
  /** Device minor number. */
  minor: number;
  /** Weight, 10..1000 on cgroup v1. */
  weight?: number;
  /** Weight for the cgroup's own tasks (cgroup v1 CFQ only). */
  leafWeight?: number;
}

/**
 * A per-device block I/O rate limit.
 *
 * @example
 * ```ts
 * const t: LinuxThrottleDevice = { major: 8, minor: 0, rate: 10 * 1024 * 1024 };
 * ```
 */
export interface LinuxThrottleDevice {
  /** Device major number. */
  major: number;
  /** Device minor number. */
  minor: number;
  /** Bytes or operations per second. */
  rate: number;
}

/**
 * Block I/O cgroup settings.
 *
 * @example
 * ```ts
 * const io: LinuxBlockIO = { throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1e7 }] };
 * ```
 */
export interface LinuxBlockIO {
  /** Default weight. */
  weight?: number;
  /** Default weight for the cgroup's own tasks (cgroup v1 CFQ only). */
  leafWeight?: number;
  /** Per-device weights. */
  weightDevice?: LinuxWeightDevice[];
  /** Per-device read bytes/s limits. */
  throttleReadBpsDevice?: LinuxThrottleDevice[];
  /** Per-device write bytes/s limits. */
  throttleWriteBpsDevice?: LinuxThrottleDevice[];
  /** Per-device read operations/s limits. */
  throttleReadIOPSDevice?: LinuxThrottleDevice[];
  /** Per-device write operations/s limits. */
  throttleWriteIOPSDevice?: LinuxThrottleDevice[];
}

/**
 * A hugetlb cgroup limit for one page size.
 *
 * @example
 * ```ts
 * const huge: LinuxHugepageLimit = { pageSize: "2MB", limit: 64 * 1024 * 1024 };
 * ```
 */
export interface LinuxHugepageLimit {
  /** Page size such as `2MB` or `1GB`. */
  pageSize: string;
  /** Limit in bytes. */
  limit: number;
}

/**
 * Priority of the container's traffic on one interface.
 *
 * @example
 * ```ts
 * const prio: LinuxInterfacePriority = { name: "eth0", priority: 5 };
 * ```
 */
export interface LinuxInterfacePriority {
  /** Interface name. */
  name: string;
  /** Priority value. */
  priority: number;
}

/**
 * net_cls / net_prio cgroup settings (cgroup v1).
 *
 * @example
 * ```ts
 * const net: LinuxNetwork = { classID: 0x100001, priorities: [{ name: "eth0", priority: 5 }] };
 * ```
 */
export interface LinuxNetwork {
  /** Class id tagged on the cgroup's packets. */
  classID?: number;
  /** Per-interface priorities. */
  priorities?: LinuxInterfacePriority[];
}

/**
 * RDMA cgroup limits for one device.
 *
 * @example
 * ```ts
 * const rdma: Record<string, LinuxRdma> = { mlx5_1: { hcaHandles: 3, hcaObjects: 10000 } };
 * ```
 */
export interface LinuxRdma {
  /** Maximum HCA handles. */
  hcaHandles?: number;
  /** Maximum HCA objects. */
  hcaObjects?: number;
}

/**
 * Cgroup resource settings.
 *
 * @example
 * ```ts
 * const resources: LinuxResources = {
 *   memory: { limit: 512 * 1024 * 1024 },
 *   cpu: { shares: 512 },
 *   pids: { limit: 100 },
 * };
 * ```
 */
export interface LinuxResources {
  /** Device access rules, applied in order. */
  devices?: LinuxDeviceCgroup[];
  /** Memory settings. */
  memory?: LinuxMemory;
  /** CPU settings. */
  cpu?: LinuxCPU;
  /** Pids settings. */
  pids?: LinuxPids;
  /** Block I/O settings. */
  blockIO?: LinuxBlockIO;
  /** Hugetlb limits. */
  hugepageLimits?: LinuxHugepageLimit[];
  /** Network class and priorities. */
  network?: LinuxNetwork;
  /** RDMA limits keyed by device name. */
  rdma?: Record<string, LinuxRdma>;
  /** Raw cgroup v2 files, e.g. `{"memory.high": "1G"}`. */
  unified?: Record<string, string>;
}
