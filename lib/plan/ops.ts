/**
 * One constructor per plan op kind, with named arguments: the only way ops are made. The
 * positions of each op's numbers and strings, the contract with zig/src/child.zig, live in
 * the constructors (ops_fs.ts, ops_process.ts, ops_setup.ts), documented per argument.
 * @module
 */
import { Op, type PlanOp } from "./encode.ts";
import { fsOps } from "./ops_fs.ts";
import { mountFlagNames } from "./mount_options.ts";
import { processOps } from "./ops_process.ts";
import { setupOps } from "./ops_setup.ts";

export type { CreateDest, IdmapTreeArgs, MknodArgs, MountArgs, MountInRootArgs } from "./ops_fs.ts";
export type { SchedArgs, SeccompArgs } from "./ops_process.ts";
export type { RunHookArgs } from "./ops_setup.ts";

/**
 * Every op constructor, named after its kind in camelCase (`Op.MOUNT_IN_ROOT` is
 * `ops.mountInRoot`).
 *
 * @example
 * ```ts
 * import { ops } from "./ops.ts";
 * const op = ops.mknod({
 *   field: "linux.devices[0]",
 *   action: "create /dev/net/tun",
 *   path: "/dev/net/tun",
 *   mode: 0o020666,
 *   dev: 0xac8n,
 *   uid: 0,
 *   gid: 0,
 * });
 * ```
 */
export const ops = { ...setupOps, ...fsOps, ...processOps };

/**
 * What a failed step was doing, for its error message: its action, and for a mount the flags
 * by name and the data it passed, as the op holds them
 * (`mount tmpfs on /dev (flags nosuid,strictatime, data mode=755,size=65536k)`).
 *
 * @example
 * ```ts
 * import { describeStep, ops } from "./ops.ts";
 * describeStep(ops.mount({ action: "remount / read-only", target: "/", flags: 0x1021 }));
 * // "remount / read-only (flags ro,remount,bind)"
 * ```
 */
export function describeStep(op: PlanOp): string {
  if (op.kind !== Op.MOUNT && op.kind !== Op.MOUNT_IN_ROOT) return op.action;
  const flags = (i: number) => mountFlagNames(Number(op.nums[i] ?? 0)).join(",");
  const parts: string[] = [];
  if (flags(0)) parts.push(`flags ${flags(0)}`);
  // MOUNT_IN_ROOT's further calls on the new mount: propagation (num 1) and a remount (num 4).
  if (op.kind === Op.MOUNT_IN_ROOT && flags(1)) parts.push(`propagation ${flags(1)}`);
  if (op.kind === Op.MOUNT_IN_ROOT && flags(4)) parts.push(`remount ${flags(4)}`);
  const data = op.strs[3];
  if (typeof data === "string" && data !== "") parts.push(`data ${data}`);
  return parts.length ? `${op.action} (${parts.join(", ")})` : op.action;
}
