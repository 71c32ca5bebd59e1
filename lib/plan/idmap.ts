/**
 * Idmapped bind mounts in the plan: which mounts are idmapped (`mounts[].uidMappings` and
 * `gidMappings`, or the `idmap`/`ridmap` options, which without mappings of their own take the
 * container's), and the IDMAP_TREE op that drun-init runs before it forks the init proper,
 * while it is still the host's root (zig/src/idmap.zig). The init then moves the tree onto the
 * destination (MOUNT_TREE, emitted with the other mounts, in config order).
 * @module
 */
import { SpecError } from "../errors.ts";
import type { Linux, LinuxIDMapping, Mount } from "../spec/types.ts";
import type { PlanOp } from "./encode.ts";
import { MOUNT_ATTR, MS, parseMountOptions } from "./mount_options.ts";
import { ops } from "./ops.ts";

/**
 * How many idmapped mounts one container may have (drun-init keeps their fds in a table).
 *
 * @example
 * ```ts
 * if ((spec.mounts ?? []).filter(isIdmapped).length > MAX_IDMAPPED_MOUNTS) throw new Error();
 * ```
 */
export const MAX_IDMAPPED_MOUNTS = 64;

/** mount(2) flags that have a mount_setattr attribute, applied to the tree before it moves. */
const FLAG_ATTRS: [number, number][] = [
  [MS.RDONLY, MOUNT_ATTR.RDONLY],
  [MS.NOSUID, MOUNT_ATTR.NOSUID],
  [MS.NODEV, MOUNT_ATTR.NODEV],
  [MS.NOEXEC, MOUNT_ATTR.NOEXEC],
  [MS.NOSYMFOLLOW, MOUNT_ATTR.NOSYMFOLLOW],
];

/** A mapping list in /proc/<pid>/uid_map's format. */
function mapText(maps: LinuxIDMapping[]): string {
  return maps.map((m) => `${m.containerID} ${m.hostID} ${m.size}\n`).join("");
}

/**
 * Whether mount `m` is idmapped (mappings of its own, or the `idmap`/`ridmap` option).
 *
 * @example
 * ```ts
 * isIdmapped({ destination: "/d", source: "/s", options: ["rbind", "idmap"] }); // true
 * ```
 */
export function isIdmapped(m: Mount): boolean {
  return m.uidMappings !== undefined || parseMountOptions(m.options, m.type).idmap !== undefined;
}

/**
 * The IDMAP_TREE op for mount `m` (at `mounts[i]`), whose tree drun-init keeps at `index`.
 * Throws a SpecError naming the field when the mapping cannot be made.
 *
 * @example
 * ```ts
 * const op = idmapTreeOp(
 *   { destination: "/data", source: "/srv/data", options: ["rbind", "idmap"] },
 *   0,
 *   0,
 *   { uidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }], gidMappings: [] },
 * );
 * ```
 */
export function idmapTreeOp(m: Mount, i: number, index: number, linux: Linux): PlanOp {
  return treeOp(m, i, index, linux, true);
}

/**
 * The same op without an idmap: a clone of bind source `m.source` made by the host's root
 * before the init enters its new user namespace, where the mapped root may not be allowed
 * to reach the source's path (runc opens such sources in its parent too).
 *
 * @example
 * ```ts
 * const op = bindTreeOp({ destination: "/data", source: "/root/private/data", options: ["rbind"] }, 0, 0);
 * ```
 */
export function bindTreeOp(m: Mount, i: number, index: number): PlanOp {
  return treeOp(m, i, index, {}, false);
}

function treeOp(m: Mount, i: number, index: number, linux: Linux, idmap: boolean): PlanOp {
  const field = `mounts[${i}]`;
  const o = parseMountOptions(m.options, m.type);
  if (!idmap) {
    if (index >= MAX_IDMAPPED_MOUNTS) {
      throw new SpecError(
        field,
        `at most ${MAX_IDMAPPED_MOUNTS} bind mounts with a user namespace`,
      );
    }
    return ops.idmapTree({
      field,
      action: `clone the bind source ${m.source} before the user namespace`,
      index,
      recursive: o.recursive,
      ...treeAttrs(o),
      source: m.source!,
    });
  }
  if (!o.bind) {
    throw new SpecError(
      `${field}.uidMappings`,
      "idmapped mounts are only supported for bind mounts",
    );
  }
  if (index >= MAX_IDMAPPED_MOUNTS) {
    throw new SpecError(field, `at most ${MAX_IDMAPPED_MOUNTS} idmapped mounts are supported`);
  }
  // runtime-spec: idmap without mappings of its own uses the container's user namespace maps.
  const uid = m.uidMappings ?? linux.uidMappings ?? [];
  const gid = m.gidMappings ?? linux.gidMappings ?? [];
  if (!uid.length || !gid.length) {
    throw new SpecError(
      `${field}.uidMappings`,
      "an idmapped mount needs mappings: its own, or the container's linux.uidMappings",
    );
  }
  return ops.idmapTree({
    field,
    action: `idmapped bind of ${m.source} for ${m.destination}`,
    index,
    recursive: o.recursive,
    idmapRecursive: o.idmap === "ridmap",
    ...treeAttrs(o),
    source: m.source!,
    uidMap: mapText(uid),
    gidMap: mapText(gid),
  });
}

/** attr_set, attr_clr and propagation of a tree, from the mount's flags and r* options. */
function treeAttrs(
  o: ReturnType<typeof parseMountOptions>,
): { attrSet: number; attrClr: number; propagation: number } {
  let attrSet = o.attrSet;
  for (const [flag, attr] of FLAG_ATTRS) if (o.flags & flag) attrSet |= attr;
  // One propagation type for the whole tree (mount_setattr takes one); the last one wins.
  const propagation = (o.propagation.at(-1) ?? 0) & ~MS.REC;
  return { attrSet, attrClr: o.attrClr, propagation };
}
