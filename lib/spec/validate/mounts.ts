/**
 * Validation of `root` and `mounts[]`: paths, types, options (the mount option parser's
 * vocabulary), bind sources.
 * @module
 */
import { checkIdMapping } from "./ids.ts";
import { isAbsolute, posix, resolve } from "../../path.ts";
import { MOUNT_OPTION_WORDS } from "../../plan/mount_options.ts";
import type { Mount } from "../types.ts";
import {
  asCString,
  asObject,
  byteLength,
  type Ctx,
  fail,
  type Json,
  MAX_MOUNT_DATA,
  need,
  optArray,
  optBool,
  optCString,
  optString,
  PATH_MAX,
  pathLimits,
  statOrNull,
} from "./json.ts";

/**
 * Every bare mount option word drun understands: the mount option parser's vocabulary
 * (lib/plan/mount_options.ts), so the two cannot disagree.
 */
export const KNOWN_MOUNT_OPTIONS: ReadonlySet<string> = MOUNT_OPTION_WORDS;

// Filesystems accepted even when the host has not registered them yet: the kernel loads
// filesystem modules on demand at mount time, so /proc/filesystems alone would be too strict.
export const KNOWN_FS_TYPES = new Set([
  "proc",
  "sysfs",
  "tmpfs",
  "devpts",
  "mqueue",
  "cgroup",
  "cgroup2",
  "overlay",
  "ramfs",
  "hugetlbfs",
  "securityfs",
  "debugfs",
  "tracefs",
  "fusectl",
  "binfmt_misc",
  "devtmpfs",
  "bpf",
  "pstore",
  "configfs",
  "efivarfs",
  "nsfs",
  "fuse",
  "fuseblk",
  "ext2",
  "ext3",
  "ext4",
  "xfs",
  "btrfs",
  "squashfs",
  "erofs",
  "vfat",
  "iso9660",
  "nfs",
  "nfs4",
  "cifs",
  "smb3",
  "9p",
  "virtiofs",
]);

export const PROPAGATIONS = new Set([
  "shared",
  "slave",
  "private",
  "unbindable",
  "rshared",
  "rslave",
  "rprivate",
  "runbindable",
]);

/**
 * Whether a mount is a bind mount: type `bind`/`rbind`, or a `bind`/`rbind` option (which is
 * how runc-style configs say it, usually with type `none` or no type at all).
 */
export function isBindMount(m: Pick<Mount, "type" | "options">): boolean {
  if (m.type === "bind" || m.type === "rbind") return true;
  return (m.options ?? []).some((o) => o === "bind" || o === "rbind");
}

// ---------------------------------------------------------------------------------------------
// Sections

export function checkRoot(root: Json, ctx: Ctx): void {
  const p = asCString(need(root, "path", "root"), "root.path");
  if (p === "") fail("root.path", "must not be empty");
  optBool(root, "readonly", "root");
  const abs = isAbsolute(p) ? p : resolve(ctx.bundle, p);
  pathLimits(abs, "root.path");
  root.path = abs;
  ctx.rootfs = abs;
  if (ctx.checkFs) {
    const st = statOrNull(abs, "root.path");
    if (!st) fail("root.path", `no such directory: ${abs}`);
    if (!st.isDirectory) fail("root.path", `not a directory: ${abs}`);
  }
}

export function checkMount(raw: unknown, base: string, ctx: Ctx): void {
  const m = asObject(raw, base);
  let dest = asCString(need(m, "destination", base), `${base}.destination`);
  if (dest === "") fail(`${base}.destination`, "must not be empty");
  if (!dest.startsWith("/")) {
    dest = posix.join("/", dest);
    m.destination = dest;
  }
  pathLimits(dest, `${base}.destination`);
  // The runtime names the target on the host too (rootfs + destination) before pivot_root.
  if (ctx.rootfs && byteLength(ctx.rootfs) + byteLength(dest) >= PATH_MAX) {
    fail(`${base}.destination`, `with root.path, longer than ${PATH_MAX - 1} bytes (PATH_MAX)`);
  }
  const type = optString(m, "type", base);
  const source = optCString(m, "source", base);
  if (source !== undefined) pathLimits(source, `${base}.source`, source.startsWith("/"));
  const options = optArray(m, "options", base)?.map((o, j) =>
    asCString(o, `${base}.options[${j}]`)
  );
  if (options && options.reduce((n, o) => n + byteLength(o) + 1, 0) > MAX_MOUNT_DATA) {
    fail(`${base}.options`, `longer than ${MAX_MOUNT_DATA - 1} bytes together (one page)`);
  }
  const bind = isBindMount({ type, options });

  if (type === undefined || type === "") {
    if (!bind) fail(`${base}.type`, "required for a non-bind mount");
  } else if (type === "none") {
    if (!bind) fail(`${base}.type`, `"none" requires the bind or rbind option`);
  } else if (type !== "bind" && type !== "rbind" && !isKnownFsType(type)) {
    fail(`${base}.type`, `unknown mount type "${type}"`);
  }

  options?.forEach((o, j) => {
    if (o.includes("=") || KNOWN_MOUNT_OPTIONS.has(o)) return;
    // A bind mount has no filesystem to hand unknown words to, so they can only be typos.
    if (bind) fail(`${base}.options[${j}]`, `unknown mount option "${o}"`);
  });

  const uidMaps = optArray(m, "uidMappings", base);
  const gidMaps = optArray(m, "gidMappings", base);
  uidMaps?.forEach((x, j) => checkIdMapping(x, `${base}.uidMappings[${j}]`));
  gidMaps?.forEach((x, j) => checkIdMapping(x, `${base}.gidMappings[${j}]`));
  if (uidMaps && !gidMaps) fail(`${base}.gidMappings`, "required when uidMappings is set");
  if (gidMaps && !uidMaps) fail(`${base}.uidMappings`, "required when gidMappings is set");
  if (!bind) {
    const idx = options?.findIndex((o) => o === "idmap" || o === "ridmap") ?? -1;
    const where = uidMaps ? `${base}.uidMappings` : idx >= 0 ? `${base}.options[${idx}]` : "";
    if (where) fail(where, "idmapped mounts are only supported for bind mounts");
  }

  if (bind) {
    if (source === undefined || source === "") fail(`${base}.source`, "required for a bind mount");
    const abs = isAbsolute(source) ? source : resolve(ctx.bundle, source);
    pathLimits(abs, `${base}.source`);
    m.source = abs;
    if (ctx.checkFs && !statOrNull(abs, `${base}.source`)) {
      fail(`${base}.source`, `no such file or directory: ${abs}`);
    }
  }
}

let hostFilesystems: Set<string> | undefined;
export function isKnownFsType(type: string): boolean {
  if (KNOWN_FS_TYPES.has(type)) return true;
  if (!hostFilesystems) {
    hostFilesystems = new Set();
    try {
      for (const line of Deno.readTextFileSync("/proc/filesystems").split("\n")) {
        const name = line.split("\t").pop()?.trim();
        if (name) hostFilesystems.add(name);
      }
    } catch {
      // No /proc or no read permission: the built-in list has to do.
    }
  }
  if (hostFilesystems.has(type)) return true;
  // FUSE mounts name their subtype as "fuse.<name>" (e.g. fuse.sshfs).
  return /^fuse(blk)?\.[^\s,]+$/.test(type);
}
