/**
 * The `linux` section: namespaces, id mappings, devices, and the settings that are not
 * cgroup resources (those are in `resources.ts`).
 * @module
 */
import type { LinuxSeccomp } from "../../seccomp/types.ts";
import type { LinuxResources } from "./resources.ts";

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
