/**
 * The top of `config.json`: the version and the sections (process, root, mounts, hooks,
 * annotations, linux) that the other files of this directory describe.
 * @module
 */
import type { Hooks } from "./hooks.ts";
import type { Linux } from "./linux.ts";
import type { Mount, Root } from "./mounts.ts";
import type { Process } from "./process.ts";

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
