/**
 * The mount ops of a plan: one mount of the config (binds, trees, filesystems) and the cgroup
 * mount in its v1 and v2 layouts.
 * @module
 */
import { join } from "../path.ts";
import type { Mount } from "../spec/types.ts";
import { Op } from "./encode.ts";
import { bindRemountFlags, MOUNT_ATTR, MS, parseMountOptions } from "./mount_options.ts";
import type { Add } from "./input.ts";

export function addMount(
  add: Add,
  m: Mount,
  dest: string,
  field: string,
  cgroupLines?: string[],
  cg: CgroupView = { cgroupns: false, userns: false },
  tree?: number,
) {
  const o = parseMountOptions(m.options, m.type);
  const label = `${field}: mount ${m.type ?? "bind"} on ${m.destination}`;
  const rel = dest.slice(1) || ".";
  const propagation = o.propagation.reduce((a, b) => a | b, 0);
  if (o.bind) {
    let kind = 1;
    try {
      if (!Deno.statSync(m.source!).isDirectory) kind = 2;
    } catch { /* validation already reported missing sources */ }
    if (tree !== undefined) {
      add(Op.MOUNT_TREE, `${field}: move the bind tree onto ${m.destination}`, [tree, kind], [
        rel,
      ]);
      return;
    }
    const flags = MS.BIND | (o.recursive ? MS.REC : 0);
    add(Op.MOUNT_IN_ROOT, label, [
      flags,
      propagation,
      kind,
      1,
      bindRemountFlags(o),
      o.attrSet,
      o.attrClr,
    ], [
      m.source!,
      rel,
      "",
      "",
    ]);
    return;
  }
  if (m.type === "cgroup" || m.type === "cgroup2") {
    addCgroupMount(add, o.flags, dest, label, m.type, cgroupLines, cg);
    return;
  }
  add(Op.MOUNT_IN_ROOT, label, [o.flags, propagation, 1, 0, 0, o.attrSet, o.attrClr], [
    m.source ?? m.type ?? "none",
    rel,
    m.type ?? "",
    o.data,
  ]);
}

/** What a cgroup mount needs to know about the container. */
export interface CgroupView {
  /** It has its own cgroup namespace. */
  cgroupns: boolean;
  /** It has a user namespace. */
  userns: boolean;
  /** Its cgroup directory per controller. */
  paths?: Record<string, string>;
}

/** Reads the caller's cgroup membership lines. */
export function ownCgroupLines(): string[] {
  try {
    return Deno.readTextFileSync("/proc/self/cgroup").trim().split("\n");
  } catch {
    return [];
  }
}

/**
 * On a cgroup v2 host, one cgroup2 mount. On v1, a tmpfs with one mount per hierarchy
 * (runc's layout), made read-only afterwards when the options say ro.
 */
export function addCgroupMount(
  add: Add,
  flags: number,
  dest: string,
  label: string,
  type: string,
  lines?: string[],
  cg: CgroupView = { cgroupns: false, userns: false },
) {
  const rel = dest.slice(1);
  const all = lines ?? ownCgroupLines();
  const v1 = all.map((l) => l.split(":")).filter((p) => p[0] !== "0" && p[1] !== "");
  if (type === "cgroup2" || v1.length === 0) {
    add(Op.MOUNT_IN_ROOT, label, [flags, 0, 1, 0, 0], ["cgroup2", rel, "cgroup2", ""]);
    return;
  }
  // Keep the tmpfs's fd (slot 1) when it turns read-only after its submounts exist.
  const keep = flags & MS.RDONLY ? 1 : 0;
  add(Op.MOUNT_IN_ROOT, `${label} (tmpfs)`, [
    MS.NOSUID | MS.NODEV | MS.NOEXEC,
    0,
    1,
    0,
    0,
    0,
    0,
    keep,
  ], ["tmpfs", rel, "tmpfs", "mode=755"]);
  for (const [, controllers, path] of v1) {
    const name = controllers.startsWith("name=") ? controllers.slice(5) : controllers;
    const data = controllers.startsWith("name=") ? `none,${controllers}` : controllers;
    // Without a cgroup namespace a cgroupfs mount would show the whole host hierarchy (and
    // a user namespace may not mount one at all): bind the container's own cgroup there,
    // as runc does.
    const own = cg.paths?.[controllers.split(",")[0]];
    if (!cg.cgroupns && (own || cg.userns)) {
      add(Op.MOUNT_IN_ROOT, `${label} (${name})`, [
        MS.BIND | MS.REC,
        0,
        1,
        1,
        MS.REMOUNT | MS.BIND | (flags & MS.RDONLY) | MS.NOSUID | MS.NODEV | MS.NOEXEC,
      ], [own ?? join("/sys/fs/cgroup", name, path ?? "/"), `${rel}/${name}`, "", ""]);
      continue;
    }
    add(Op.MOUNT_IN_ROOT, `${label} (${name})`, [
      flags | MS.NOSUID | MS.NODEV | MS.NOEXEC,
      0,
      1,
      0,
      0,
    ], ["cgroup", `${rel}/${name}`, "cgroup", data]);
  }
  if (keep) {
    // Through the fd kept above: a path here would be resolved again, on the host, where a
    // symlink swapped into the rootfs could point it at any filesystem.
    add(Op.SETATTR_SLOT, `${label} (read-only)`, [
      1,
      MOUNT_ATTR.RDONLY | MOUNT_ATTR.NOSUID | MOUNT_ATTR.NODEV | MOUNT_ATTR.NOEXEC,
      0,
    ]);
  }
}
