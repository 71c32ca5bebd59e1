/**
 * Constructors of the filesystem ops: the root (open, pivot, move, chroot), mounts inside and
 * outside it, idmapped trees, device nodes, links, masks and the cwd. Each argument says which
 * number or string of the op it is and what zig/src/child.zig (idmap.zig for IDMAP_TREE) does
 * with it; tests/unit/plan_ops_test.ts checks the positions.
 * @module
 */
import { Op, type PlanOp, planOp, type Step } from "./encode.ts";

/** What the init creates at a mount destination that is missing: a directory or an empty file. */
export type CreateDest = "dir" | "file";

/** The init's mkdir kind: 0 nothing, 1 a directory, 2 a file. */
const createKind = (c?: CreateDest) => c === "file" ? 2 : c === "dir" ? 1 : 0;

/** AT_RECURSIVE, the flag open_tree and mount_setattr take for "every submount too". */
const AT_RECURSIVE = 0x8000;

/** MOUNT_IN_ROOT: a mount onto a path below the rootfs, resolved without leaving it. */
export interface MountInRootArgs extends Step {
  /**
   * str 0. For a bind, the host path bound (opened O_PATH, bound through its fd); else the
   * source mount(2) gets (a device or a name; "" passes the fstype).
   */
  source: string;
  /** str 1: the destination relative to the rootfs (openat2 RESOLVE_IN_ROOT, never a `..` out). */
  target: string;
  /** str 2: the filesystem type ("" for a bind). */
  fstype?: string;
  /** str 3: the data. A tmpfs without `mode=` gets the mode of the directory it covers. */
  data?: string;
  /** num 0: the flags of the mount(2) call. */
  flags: number;
  /** num 1: propagation flags, applied to the new mount in a second call (0: none). */
  propagation?: number;
  /** num 2: what to create at a missing destination first (none when absent). */
  create?: CreateDest;
  /** num 3 (1): a bind mount of `source`. */
  bind?: boolean;
  /** num 4: flags of a remount of the new mount (a bind takes ro, nosuid... only so; 0: none). */
  remountFlags?: number;
  /** num 5: MOUNT_ATTR_* set on the new mount and every submount (mount_setattr). */
  attrSet?: number;
  /** num 6: MOUNT_ATTR_* cleared the same way. */
  attrClr?: number;
  /** num 7: the slot (1-7) that keeps the new mount's fd for a later SETATTR_SLOT (0: none). */
  keepSlot?: number;
}

/** MOUNT: mount(2) by path, in the mount namespace as it is (before or after the pivot). */
export interface MountArgs extends Step {
  /** str 0: the source ("" passes NULL). */
  source?: string;
  /** str 1: the target path, as the init sees it at this step. */
  target: string;
  /** str 2: the filesystem type ("" passes NULL). */
  fstype?: string;
  /** str 3: the data ("" passes NULL). */
  data?: string;
  /** num 0: the mount(2) flags. */
  flags: number;
  /** num 1 (1): a missing target (ENOENT) is no failure: the path is not in every image. */
  optionalTarget?: boolean;
}

/** MKNOD: a device node, its missing parents made 0755 first; an existing node is kept. */
export interface MknodArgs extends Step {
  /** str 0: the node's path in the container. */
  path: string;
  /** num 0: S_IF* type bits | permissions (set exactly, past the umask, by a chmod after). */
  mode: number;
  /** num 1: the device number (makedev). */
  dev: bigint;
  /** num 2: the owner (lchown). */
  uid: number;
  /** num 3: the group. */
  gid: number;
}

/** IDMAP_TREE: a detached clone of a bind source, idmapped or not, made by drun-init as host root. */
export interface IdmapTreeArgs extends Step {
  /** num 0: the index the tree is kept at, for MOUNT_TREE. */
  index: number;
  /** num 1 (AT_RECURSIVE): clone every submount (rbind). */
  recursive: boolean;
  /** num 2 (AT_RECURSIVE): idmap and set the attributes on every submount too (ridmap). */
  idmapRecursive?: boolean;
  /** num 3: MOUNT_ATTR_* to set (the idmap bit is the init's own). */
  attrSet: number;
  /** num 4: MOUNT_ATTR_* to clear. */
  attrClr: number;
  /** num 5: one propagation type for the whole tree (MS_* without MS_REC; 0: unchanged). */
  propagation: number;
  /** str 0: the host path cloned (open_tree). */
  source: string;
  /** str 1: the uid map in /proc/<pid>/uid_map's format; with `gidMap` "", no idmap at all. */
  uidMap?: string;
  /** str 2: the gid map, the same way. */
  gidMap?: string;
}

/**
 * The filesystem op constructors.
 *
 * @example
 * ```ts
 * const op = fsOps.mountInRoot({
 *   field: "mounts[1]",
 *   action: "mount tmpfs on /dev",
 *   source: "tmpfs",
 *   target: "dev",
 *   fstype: "tmpfs",
 *   data: "mode=755",
 *   flags: 0,
 *   create: "dir",
 * });
 * ```
 */
export const fsOps = {
  /** OPEN_ROOT: str 0, the rootfs, opened O_PATH: the root later ops resolve in and enter. */
  openRoot: (a: Step & { path: string }): PlanOp => planOp(Op.OPEN_ROOT, a, [], [a.path]),
  /** PIVOT: pivot_root into the opened root, the old root detached. */
  pivot: (a: Step): PlanOp => planOp(Op.PIVOT, a),
  /** MOVE_ROOT: move the opened root onto / and chroot there (a rootfs on ramfs). */
  moveRoot: (a: Step): PlanOp => planOp(Op.MOVE_ROOT, a),
  /** CHROOT: chroot into the opened root (the runtime's mount namespace: nothing is moved). */
  chroot: (a: Step): PlanOp => planOp(Op.CHROOT, a),
  /** MOUNT_IN_ROOT; nums 5-7 are encoded only when given. */
  mountInRoot: (a: MountInRootArgs): PlanOp =>
    planOp(Op.MOUNT_IN_ROOT, a, [
      a.flags,
      a.propagation ?? 0,
      createKind(a.create),
      a.bind ? 1 : 0,
      a.remountFlags ?? 0,
      a.attrSet,
      a.attrClr,
      a.keepSlot,
    ], [a.source, a.target, a.fstype ?? "", a.data ?? ""]),
  /** MOUNT; num 1 only when the target is optional. */
  mount: (a: MountArgs): PlanOp =>
    planOp(Op.MOUNT, a, [a.flags, a.optionalTarget ? 1 : undefined], [
      a.source ?? "",
      a.target,
      a.fstype ?? "",
      a.data ?? "",
    ]),
  /** MKNOD. */
  mknod: (a: MknodArgs): PlanOp => planOp(Op.MKNOD, a, [a.mode, a.dev, a.uid, a.gid], [a.path]),
  /** SYMLINK: str 1, a link to str 0 (`target`); an existing one is kept. */
  symlink: (a: Step & { target: string; link: string }): PlanOp =>
    planOp(Op.SYMLINK, a, [], [a.target, a.link]),
  /** CHDIR: str 0, the directory; num 0 (1) when `createMissing`: made 0755 when absent. */
  chdir: (a: Step & { dir: string; createMissing?: boolean }): PlanOp =>
    planOp(Op.CHDIR, a, [a.createMissing ? 1 : undefined], [a.dir]),
  /**
   * MASK_PATH: str 0 hidden: a directory under an empty read-only tmpfs, anything else under
   * the verified null device; a missing path is no failure.
   */
  maskPath: (a: Step & { path: string }): PlanOp => planOp(Op.MASK_PATH, a, [], [a.path]),
  /** SETATTR_SLOT: mount_setattr on the mount kept in num 0: set num 1, clear num 2. */
  setattrSlot: (a: Step & { slot: number; attrSet: number; attrClr: number }): PlanOp =>
    planOp(Op.SETATTR_SLOT, a, [a.slot, a.attrSet, a.attrClr]),
  /** IDMAP_TREE. */
  idmapTree: (a: IdmapTreeArgs): PlanOp =>
    planOp(Op.IDMAP_TREE, a, [
      a.index,
      a.recursive ? AT_RECURSIVE : 0,
      a.idmapRecursive ? AT_RECURSIVE : 0,
      a.attrSet,
      a.attrClr,
      a.propagation,
    ], [a.source, a.uidMap ?? "", a.gidMap ?? ""]),
  /**
   * MOUNT_TREE: the tree IDMAP_TREE kept at num 0 moved onto str 0 (relative to the rootfs),
   * created first as num 1 says.
   */
  mountTree: (a: Step & { index: number; target: string; create?: CreateDest }): PlanOp =>
    planOp(Op.MOUNT_TREE, a, [a.index, createKind(a.create)], [a.target]),
};
