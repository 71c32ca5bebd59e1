/**
 * TypeScript shapes of the OCI runtime-spec (v1.2) `config.json`, Linux subset. Property names
 * are exactly those of the JSON document so a parsed file can be used without renaming.
 * Non-Linux sections (Windows, Solaris, VM, z/OS) are left out; unknown properties survive
 * validation untouched, as the spec requires runtimes to ignore them rather than fail.
 * @module
 */

import type { LinuxSeccomp } from "../seccomp/types.ts";

/** The seccomp types are owned by lib/seccomp; re-exported so spec users need one import. */
export type { LinuxSeccomp, LinuxSeccompArg, LinuxSyscall } from "../seccomp/types.ts";

/**
 * The whole `config.json` of a bundle.
 *
 * @example
 * ```ts
 * const spec: Spec = {
 *   ociVersion: "1.2.0",
 *   process: { args: ["/bin/echo", "hi"], cwd: "/", user: { uid: 0, gid: 0 } },
 *   root: { path: "rootfs" },
 * };
 * ```
 */
export interface Spec {
  /** Runtime-spec version the bundle complies with (SemVer, e.g. `1.2.0`). */
  ociVersion: string;
  /** The container process. */
  process?: Process;
  /** The container's root filesystem. */
  root?: Root;
  /** Hostname seen inside the container (needs a UTS namespace). */
  hostname?: string;
  /** NIS domain name seen inside the container (needs a UTS namespace). */
  domainname?: string;
  /** Additional mounts, in the order they are performed. */
  mounts?: Mount[];
  /** Lifecycle hooks. */
  hooks?: Hooks;
  /** Arbitrary metadata; keys should be reverse-domain names. */
  annotations?: Record<string, string>;
  /** Linux-specific configuration. */
  linux?: Linux;
}

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
 * The container's root filesystem.
 *
 * @example
 * ```ts
 * const root: Root = { path: "rootfs", readonly: true };
 * ```
 */
export interface Root {
  /** Path to the root filesystem, absolute or relative to the bundle. */
  path: string;
  /** Make the root filesystem read-only. */
  readonly?: boolean;
}

/**
 * One mount performed in the container's mount namespace.
 *
 * @example
 * ```ts
 * const m: Mount = {
 *   destination: "/data",
 *   type: "bind",
 *   source: "/srv/data",
 *   options: ["rbind", "ro"],
 * };
 * ```
 */
export interface Mount {
  /** Mount point inside the container. */
  destination: string;
  /** Device name, directory to bind, or a filesystem-specific source such as `proc`. */
  source?: string;
  /** Filesystem type (`proc`, `tmpfs`, `bind`, ...). */
  type?: string;
  /** `mount(8)`-style options; unknown `key=value` entries are passed as filesystem data. */
  options?: string[];
  /** ID-mapping of an idmapped bind mount (user ids). */
  uidMappings?: LinuxIDMapping[];
  /** ID-mapping of an idmapped bind mount (group ids). */
  gidMappings?: LinuxIDMapping[];
}

/**
 * Programs run at points of the container lifecycle.
 *
 * @example
 * ```ts
 * const hooks: Hooks = { poststop: [{ path: "/usr/bin/logger", args: ["logger", "stopped"] }] };
 * ```
 */
export interface Hooks {
  /** Deprecated: run in the runtime namespace after the container is created. */
  prestart?: Hook[];
  /** Run in the runtime namespace after the environment is created, before pivot_root. */
  createRuntime?: Hook[];
  /** Run in the container namespace after the environment is created, before pivot_root. */
  createContainer?: Hook[];
  /** Run in the container namespace just before the user process is executed. */
  startContainer?: Hook[];
  /** Run in the runtime namespace after the user process is started. */
  poststart?: Hook[];
  /** Run in the runtime namespace after the container is deleted. */
  poststop?: Hook[];
}

/**
 * One hook program.
 *
 * @example
 * ```ts
 * const hook: Hook = { path: "/bin/sh", args: ["sh", "-c", "echo started"], timeout: 5 };
 * ```
 */
export interface Hook {
  /** Absolute path of the program. */
  path: string;
  /** Arguments including `argv[0]`. */
  args?: string[];
  /** Environment, each entry `KEY=value`. */
  env?: string[];
  /** Seconds before the hook is aborted; greater than zero. */
  timeout?: number;
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

/**
 * The kinds of Linux namespaces a container can create or join.
 *
 * @example
 * ```ts
 * const types: LinuxNamespaceType[] = ["pid", "mount", "network"];
 * ```
 */
export type LinuxNamespaceType =
  | "pid"
  | "network"
  | "mount"
  | "ipc"
  | "uts"
  | "user"
  | "cgroup"
  | "time";

/**
 * A namespace to create, or with `path`, to join.
 *
 * @example
 * ```ts
 * const ns: LinuxNamespace = { type: "network", path: "/var/run/netns/web" };
 * ```
 */
export interface LinuxNamespace {
  /** Namespace kind. */
  type: LinuxNamespaceType;
  /** Namespace file to join (e.g. `/proc/1234/ns/net`); absent means create a new one. */
  path?: string;
}

/**
 * A contiguous id range mapped from the container to the host.
 *
 * @example
 * ```ts
 * const map: LinuxIDMapping = { containerID: 0, hostID: 100000, size: 65536 };
 * ```
 */
export interface LinuxIDMapping {
  /** First id inside the container. */
  containerID: number;
  /** First id on the host. */
  hostID: number;
  /** Number of ids in the range. */
  size: number;
}

/**
 * Clock offset of a new time namespace.
 *
 * @example
 * ```ts
 * const offset: LinuxTimeOffset = { secs: 3600, nanosecs: 0 };
 * ```
 */
export interface LinuxTimeOffset {
  /** Whole seconds. */
  secs?: number;
  /** Nanoseconds, 0..999999999. */
  nanosecs?: number;
}

/**
 * A device node created in the container's `/dev`.
 *
 * @example
 * ```ts
 * const fuse: LinuxDevice = { type: "c", path: "/dev/fuse", major: 10, minor: 229 };
 * ```
 */
export interface LinuxDevice {
  /** `c` or `u` (character), `b` (block), `p` (FIFO). */
  type: string;
  /** Absolute path of the node inside the container. */
  path: string;
  /** Major number (required for c, u and b). */
  major?: number;
  /** Minor number (required for c, u and b). */
  minor?: number;
  /** Permission bits of the node. */
  fileMode?: number;
  /** Owner uid inside the container. */
  uid?: number;
  /** Owner gid inside the container. */
  gid?: number;
}

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

/**
 * Intel Resource Director Technology settings.
 *
 * @example
 * ```ts
 * const rdt: LinuxIntelRdt = { closID: "web", memBwSchema: "MB:0=50" };
 * ```
 */
export interface LinuxIntelRdt {
  /** Class of service id (resctrl group name). */
  closID?: string;
  /** L3 cache allocation schema. */
  l3CacheSchema?: string;
  /** Memory bandwidth allocation schema. */
  memBwSchema?: string;
  /** Enable cache monitoring. */
  enableCMT?: boolean;
  /** Enable memory bandwidth monitoring. */
  enableMBM?: boolean;
}

/**
 * Execution domain of the process (`personality(2)`).
 *
 * @example
 * ```ts
 * const personality: LinuxPersonality = { domain: "LINUX32" };
 * ```
 */
export interface LinuxPersonality {
  /** `LINUX` or `LINUX32`. */
  domain: "LINUX" | "LINUX32";
  /** Additional personality flags. */
  flags?: string[];
}

/**
 * Linux-specific configuration.
 *
 * @example
 * ```ts
 * const linux: Linux = {
 *   namespaces: [{ type: "pid" }, { type: "mount" }],
 *   resources: { pids: { limit: 100 } },
 *   maskedPaths: ["/proc/kcore"],
 * };
 * ```
 */
export interface Linux {
  /** Namespaces to create or join. */
  namespaces?: LinuxNamespace[];
  /** User id mappings of a new user namespace. */
  uidMappings?: LinuxIDMapping[];
  /** Group id mappings of a new user namespace. */
  gidMappings?: LinuxIDMapping[];
  /** Clock offsets of a new time namespace. */
  timeOffsets?: { monotonic?: LinuxTimeOffset; boottime?: LinuxTimeOffset };
  /** Device nodes to create. */
  devices?: LinuxDevice[];
  /** Cgroup path (or systemd `slice:prefix:name`). */
  cgroupsPath?: string;
  /** Cgroup resource settings. */
  resources?: LinuxResources;
  /** Propagation of the root mount. */
  rootfsPropagation?: string;
  /** Seccomp profile. */
  seccomp?: LinuxSeccomp;
  /** Namespaced sysctls to set, e.g. `{"net.ipv4.ip_forward": "1"}`. */
  sysctl?: Record<string, string>;
  /** Paths made inaccessible inside the container. */
  maskedPaths?: string[];
  /** Paths made read-only inside the container. */
  readonlyPaths?: string[];
  /** SELinux context of the container's mounts. */
  mountLabel?: string;
  /** Execution domain. */
  personality?: LinuxPersonality;
  /** Intel RDT settings. */
  intelRdt?: LinuxIntelRdt;
}
