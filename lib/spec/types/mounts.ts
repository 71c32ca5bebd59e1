/**
 * The `root` and `mounts` sections: the container's root filesystem and the mounts made in
 * its mount namespace.
 * @module
 */
import type { LinuxIDMapping } from "./linux.ts";

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
