/**
 * The Linux namespace vocabulary in one table: the OCI type name, its `CLONE_NEW*` flag, its
 * file under `/proc/<pid>/ns/`, and the order `exec` joins them in. Everything that speaks of
 * namespaces (the plan, exec, state, validation) derives from this table.
 * @module
 */

/** One namespace type. */
export interface NamespaceInfo {
  /** `CLONE_NEW*` flag (clone, unshare, setns). */
  cloneFlag: number;
  /** The file name under `/proc/<pid>/ns/`. */
  procName: string;
  /**
   * Position when joining (lowest first): the user namespace before the others so they are
   * joined with its rights, the mount namespace last since it changes what paths mean.
   */
  joinOrder: number;
}

/**
 * Every namespace type of the runtime-spec.
 *
 * @example
 * ```ts
 * import { NAMESPACES } from "./namespaces.ts";
 * NAMESPACES.network.procName; // "net"
 * ```
 */
export const NAMESPACES = {
  user: { cloneFlag: 0x10000000, procName: "user", joinOrder: 0 },
  cgroup: { cloneFlag: 0x02000000, procName: "cgroup", joinOrder: 1 },
  ipc: { cloneFlag: 0x08000000, procName: "ipc", joinOrder: 2 },
  uts: { cloneFlag: 0x04000000, procName: "uts", joinOrder: 3 },
  network: { cloneFlag: 0x40000000, procName: "net", joinOrder: 4 },
  pid: { cloneFlag: 0x20000000, procName: "pid", joinOrder: 5 },
  time: { cloneFlag: 0x00000080, procName: "time", joinOrder: 6 },
  mount: { cloneFlag: 0x00020000, procName: "mnt", joinOrder: 7 },
} as const satisfies Record<string, NamespaceInfo>;

/** An OCI namespace type. */
export type NamespaceType = keyof typeof NAMESPACES;

const pick = <K extends keyof NamespaceInfo>(k: K) =>
  Object.fromEntries(Object.entries(NAMESPACES).map(([t, n]) => [t, n[k]])) as Record<
    string,
    NamespaceInfo[K]
  >;

/**
 * type → `CLONE_NEW*` flag.
 *
 * @example
 * ```ts
 * import { NAMESPACE_FLAGS } from "./namespaces.ts";
 * NAMESPACE_FLAGS.pid; // 0x20000000
 * ```
 */
export const NAMESPACE_FLAGS: Record<string, number> = pick("cloneFlag");

/**
 * type → file name under `/proc/<pid>/ns/`.
 *
 * @example
 * ```ts
 * import { NS_FILES } from "./namespaces.ts";
 * NS_FILES.mount; // "mnt"
 * ```
 */
export const NS_FILES: Record<string, string> = pick("procName");

/**
 * Sorts namespaces (anything with a `type`) into the order they are joined in.
 *
 * @example
 * ```ts
 * import { inJoinOrder } from "./namespaces.ts";
 * inJoinOrder([{ type: "mount" }, { type: "user" }]); // user, then mount
 * ```
 */
export function inJoinOrder<T extends { type: string }>(list: readonly T[]): T[] {
  const at = (t: string) => NAMESPACES[t as NamespaceType]?.joinOrder ?? 99;
  return [...list].sort((a, b) => at(a.type) - at(b.type));
}
