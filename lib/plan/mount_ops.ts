/**
 * The mount ops of a plan: one mount of the config (binds, trees, filesystems) and the cgroup
 * mount in its v1 and v2 layouts.
 * @module
 */
import { join } from "../path.ts";
import type { Mount } from "../spec/types.ts";
import type { Step } from "./encode.ts";
import { bindRemountFlags, MOUNT_ATTR, MS, parseMountOptions } from "./mount_options.ts";
import type { Add } from "./input.ts";
import { type CreateDest, ops } from "./ops.ts";

/** The ops of mount `m` (at config field `field`), whose destination resolves to `dest`. */
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
  const step = { field, action: `mount ${m.type ?? "bind"} on ${m.destination}` };
  const rel = dest.slice(1) || ".";
  const propagation = o.propagation.reduce((a, b) => a | b, 0);
  const { attrSet, attrClr } = o;
  if (o.bind) {
    let create: CreateDest = "dir";
    try {
      if (!Deno.statSync(m.source!).isDirectory) create = "file";
    } catch { /* validation already reported missing sources */ }
    if (tree !== undefined) {
      const action = `move the bind tree onto ${m.destination}`;
      add(ops.mountTree({ field, action, index: tree, target: rel, create }));
      return;
    }
    add(ops.mountInRoot({
      ...step,
      source: m.source!,
      target: rel,
      flags: MS.BIND | (o.recursive ? MS.REC : 0),
      propagation,
      create,
      bind: true,
      remountFlags: bindRemountFlags(o),
      attrSet,
      attrClr,
    }));
    return;
  }
  if (m.type === "cgroup" || m.type === "cgroup2") {
    addCgroupMount(add, o.flags, dest, step, m.type, cgroupLines, cg);
    return;
  }
  add(ops.mountInRoot({
    ...step,
    source: m.source ?? m.type ?? "none",
    target: rel,
    fstype: m.type ?? "",
    data: o.data,
    flags: o.flags,
    propagation,
    create: "dir",
    attrSet,
    attrClr,
  }));
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
 * (runc's layout), made read-only afterwards when the options say ro. `step` is the mount's
 * own (`mount cgroup on /sys/fs/cgroup`); each hierarchy's step names the hierarchy.
 */
export function addCgroupMount(
  add: Add,
  flags: number,
  dest: string,
  step: Step,
  type: string,
  lines?: string[],
  cg: CgroupView = { cgroupns: false, userns: false },
) {
  const rel = dest.slice(1);
  const all = lines ?? ownCgroupLines();
  const v1 = all.map((l) => l.split(":")).filter((p) => p[0] !== "0" && p[1] !== "");
  if (type === "cgroup2" || v1.length === 0) {
    add(ops.mountInRoot({
      ...step,
      source: "cgroup2",
      target: rel,
      fstype: "cgroup2",
      flags,
      create: "dir",
    }));
    return;
  }
  // Keep the tmpfs's fd (slot 1) when it turns read-only after its submounts exist.
  const keep = flags & MS.RDONLY ? 1 : 0;
  add(ops.mountInRoot({
    field: step.field,
    action: `${step.action} (tmpfs)`,
    source: "tmpfs",
    target: rel,
    fstype: "tmpfs",
    data: "mode=755",
    flags: MS.NOSUID | MS.NODEV | MS.NOEXEC,
    create: "dir",
    attrSet: 0,
    attrClr: 0,
    keepSlot: keep,
  }));
  for (const [, controllers, path] of v1) {
    const name = controllers.startsWith("name=") ? controllers.slice(5) : controllers;
    const data = controllers.startsWith("name=") ? `none,${controllers}` : controllers;
    // Without a cgroup namespace a cgroupfs mount would show the whole host hierarchy (and
    // a user namespace may not mount one at all): bind the container's own cgroup there,
    // as runc does.
    const own = cg.paths?.[controllers.split(",")[0]];
    const part = { field: step.field, action: `${step.action} (${name})` };
    if (!cg.cgroupns && (own || cg.userns)) {
      add(ops.mountInRoot({
        ...part,
        source: own ?? join("/sys/fs/cgroup", name, path ?? "/"),
        target: `${rel}/${name}`,
        flags: MS.BIND | MS.REC,
        create: "dir",
        bind: true,
        remountFlags: MS.REMOUNT | MS.BIND | (flags & MS.RDONLY) | MS.NOSUID | MS.NODEV |
          MS.NOEXEC,
      }));
      continue;
    }
    add(ops.mountInRoot({
      ...part,
      source: "cgroup",
      target: `${rel}/${name}`,
      fstype: "cgroup",
      data,
      flags: flags | MS.NOSUID | MS.NODEV | MS.NOEXEC,
      create: "dir",
    }));
  }
  if (keep) {
    // Through the fd kept above: a path here would be resolved again, on the host, where a
    // symlink swapped into the rootfs could point it at any filesystem.
    add(ops.setattrSlot({
      field: step.field,
      action: `${step.action} (read-only)`,
      slot: 1,
      attrSet: MOUNT_ATTR.RDONLY | MOUNT_ATTR.NOSUID | MOUNT_ATTR.NODEV | MOUNT_ATTR.NOEXEC,
      attrClr: 0,
    }));
  }
}
