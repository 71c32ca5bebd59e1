/**
 * OCI mount options → mount(2) flags. Split into what the first mount call takes, what a
 * bind mount needs in a second remount call (the kernel ignores most flags on MS_BIND),
 * propagation changes (a separate call each), and the data string for the filesystem.
 * @module
 */

/** MS_* constants. */
export const MS = {
  RDONLY: 0x1,
  NOSUID: 0x2,
  NODEV: 0x4,
  NOEXEC: 0x8,
  SYNCHRONOUS: 0x10,
  REMOUNT: 0x20,
  MANDLOCK: 0x40,
  DIRSYNC: 0x80,
  NOSYMFOLLOW: 0x100,
  NOATIME: 0x400,
  NODIRATIME: 0x800,
  BIND: 0x1000,
  MOVE: 0x2000,
  REC: 0x4000,
  SILENT: 0x8000,
  UNBINDABLE: 0x20000,
  PRIVATE: 0x40000,
  SLAVE: 0x80000,
  SHARED: 0x100000,
  RELATIME: 0x200000,
  STRICTATIME: 0x1000000,
  LAZYTIME: 0x2000000,
  I_VERSION: 0x800000,
} as const;

/** Options that set (`set: true`) or clear a flag. */
const FLAG_OPTIONS: Record<string, { flag: number; set: boolean }> = {
  ro: { flag: MS.RDONLY, set: true },
  rw: { flag: MS.RDONLY, set: false },
  nosuid: { flag: MS.NOSUID, set: true },
  suid: { flag: MS.NOSUID, set: false },
  nodev: { flag: MS.NODEV, set: true },
  dev: { flag: MS.NODEV, set: false },
  noexec: { flag: MS.NOEXEC, set: true },
  exec: { flag: MS.NOEXEC, set: false },
  sync: { flag: MS.SYNCHRONOUS, set: true },
  async: { flag: MS.SYNCHRONOUS, set: false },
  dirsync: { flag: MS.DIRSYNC, set: true },
  mand: { flag: MS.MANDLOCK, set: true },
  nomand: { flag: MS.MANDLOCK, set: false },
  noatime: { flag: MS.NOATIME, set: true },
  atime: { flag: MS.NOATIME, set: false },
  nodiratime: { flag: MS.NODIRATIME, set: true },
  diratime: { flag: MS.NODIRATIME, set: false },
  relatime: { flag: MS.RELATIME, set: true },
  norelatime: { flag: MS.RELATIME, set: false },
  strictatime: { flag: MS.STRICTATIME, set: true },
  nostrictatime: { flag: MS.STRICTATIME, set: false },
  iversion: { flag: MS.I_VERSION, set: true },
  noiversion: { flag: MS.I_VERSION, set: false },
  lazytime: { flag: MS.LAZYTIME, set: true },
  nolazytime: { flag: MS.LAZYTIME, set: false },
  nosymfollow: { flag: MS.NOSYMFOLLOW, set: true },
  symfollow: { flag: MS.NOSYMFOLLOW, set: false },
  remount: { flag: MS.REMOUNT, set: true },
  defaults: { flag: 0, set: false },
};

const PROPAGATION: Record<string, number> = {
  private: MS.PRIVATE,
  rprivate: MS.PRIVATE | MS.REC,
  shared: MS.SHARED,
  rshared: MS.SHARED | MS.REC,
  slave: MS.SLAVE,
  rslave: MS.SLAVE | MS.REC,
  unbindable: MS.UNBINDABLE,
  runbindable: MS.UNBINDABLE | MS.REC,
};

/** MOUNT_ATTR_* bits of mount_setattr(2). */
export const MOUNT_ATTR = {
  RDONLY: 0x1,
  NOSUID: 0x2,
  NODEV: 0x4,
  NOEXEC: 0x8,
  ATIME_MASK: 0x70,
  RELATIME: 0x0,
  NOATIME: 0x10,
  STRICTATIME: 0x20,
  NODIRATIME: 0x80,
  NOSYMFOLLOW: 0x200000,
} as const;

/** The recursive options runc accepts: attributes to set and to clear on every submount. */
const RECURSIVE_ATTRS: Record<string, { set: number; clr: number }> = {
  rro: { set: MOUNT_ATTR.RDONLY, clr: 0 },
  rrw: { set: 0, clr: MOUNT_ATTR.RDONLY },
  rnosuid: { set: MOUNT_ATTR.NOSUID, clr: 0 },
  rsuid: { set: 0, clr: MOUNT_ATTR.NOSUID },
  rnodev: { set: MOUNT_ATTR.NODEV, clr: 0 },
  rdev: { set: 0, clr: MOUNT_ATTR.NODEV },
  rnoexec: { set: MOUNT_ATTR.NOEXEC, clr: 0 },
  rexec: { set: 0, clr: MOUNT_ATTR.NOEXEC },
  rnodiratime: { set: MOUNT_ATTR.NODIRATIME, clr: 0 },
  rdiratime: { set: 0, clr: MOUNT_ATTR.NODIRATIME },
  rrelatime: { set: MOUNT_ATTR.RELATIME, clr: MOUNT_ATTR.ATIME_MASK },
  rnorelatime: { set: 0, clr: MOUNT_ATTR.ATIME_MASK },
  rnoatime: { set: MOUNT_ATTR.NOATIME, clr: MOUNT_ATTR.ATIME_MASK },
  ratime: { set: 0, clr: MOUNT_ATTR.NOATIME },
  rstrictatime: { set: MOUNT_ATTR.STRICTATIME, clr: MOUNT_ATTR.ATIME_MASK },
  rnostrictatime: { set: 0, clr: MOUNT_ATTR.STRICTATIME },
  rnosymfollow: { set: MOUNT_ATTR.NOSYMFOLLOW, clr: 0 },
  rsymfollow: { set: 0, clr: MOUNT_ATTR.NOSYMFOLLOW },
};

/** Words the parser knows and ignores (named in `ignored`, for a warning). */
const IGNORED_OPTIONS = ["tmpcopyup"] as const;

/**
 * Every bare option word the parser acts on or knowingly ignores: the one vocabulary the
 * validator's known options and `features.mountOptions` derive from. Anything else on a
 * non-bind mount is filesystem data.
 *
 * @example
 * ```ts
 * import { MOUNT_OPTION_WORDS } from "./mount_options.ts";
 * MOUNT_OPTION_WORDS.has("rnosuid"); // true
 * ```
 */
export const MOUNT_OPTION_WORDS: ReadonlySet<string> = new Set([
  "bind",
  "rbind",
  "idmap",
  "ridmap",
  ...Object.keys(FLAG_OPTIONS),
  ...Object.keys(PROPAGATION),
  ...Object.keys(RECURSIVE_ATTRS),
  ...IGNORED_OPTIONS,
]);

/** The parsed form of one mount's options. */
export interface ParsedMountOptions {
  /** Flags for the mount(2) call. */
  flags: number;
  /** Whether this is a bind mount (type bind, or a bind/rbind option). */
  bind: boolean;
  /** Whether the bind is recursive (rbind). */
  recursive: boolean;
  /** Propagation flags, each applied in its own call, in order. */
  propagation: number[];
  /** Filesystem data (comma-joined options the kernel flags do not cover). */
  data: string;
  /** Options drun knows but ignores (e.g. tmpcopyup), for warnings. */
  ignored: string[];
  /** mount_setattr bits to set recursively (from rro, rnosuid, ...). */
  attrSet: number;
  /** mount_setattr bits to clear recursively. */
  attrClr: number;
  /**
   * An idmapped mount: `idmap` maps the top mount only, `ridmap` every submount too
   * (runtime-spec); undefined when neither option is given.
   */
  idmap?: "idmap" | "ridmap";
}

/** Parses OCI mount options; unknown bare words become filesystem data. */
export function parseMountOptions(options: string[] = [], type?: string): ParsedMountOptions {
  let flags = 0;
  let bind = type === "bind" || type === "rbind";
  let recursive = type === "rbind";
  const propagation: number[] = [];
  const data: string[] = [];
  const ignored: string[] = [];
  let attrSet = 0;
  let attrClr = 0;
  let idmap: ParsedMountOptions["idmap"];
  for (const opt of options) {
    if (opt === "bind") bind = true;
    else if (opt === "rbind") {
      bind = true;
      recursive = true;
    } else if (opt in FLAG_OPTIONS) {
      const f = FLAG_OPTIONS[opt];
      flags = f.set ? flags | f.flag : flags & ~f.flag;
    } else if (opt in PROPAGATION) propagation.push(PROPAGATION[opt]);
    else if (Object.hasOwn(RECURSIVE_ATTRS, opt)) {
      // Later options win; the atime bits are one field, cleared as a whole when changed.
      const { set, clr } = RECURSIVE_ATTRS[opt];
      attrSet = (attrSet & ~clr) | set;
      attrClr = (attrClr & ~(set & ~MOUNT_ATTR.ATIME_MASK)) | clr;
    } else if (opt === "idmap" || opt === "ridmap") idmap = opt;
    else if ((IGNORED_OPTIONS as readonly string[]).includes(opt)) ignored.push(opt);
    else data.push(opt);
  }
  return {
    flags,
    bind,
    recursive,
    propagation,
    data: data.join(","),
    ignored,
    attrSet,
    attrClr,
    idmap,
  };
}

/** The flags a bind mount's second (remount) call needs, or 0 when none is needed. */
export function bindRemountFlags(parsed: ParsedMountOptions): number {
  const extra = parsed.flags & ~(MS.REMOUNT | MS.BIND | MS.REC);
  return extra === 0 ? 0 : MS.REMOUNT | MS.BIND | extra;
}

/**
 * The MS_* bits of `flags` by name, for error messages: the option word that sets a bit where
 * there is one (`ro`, `nosuid`; `rbind` and `rprivate` for a bind or propagation with MS_REC),
 * else the lower-case MS_ name (`move`, `rec`), else the bit in hex.
 *
 * @example
 * ```ts
 * import { mountFlagNames, MS } from "./mount_options.ts";
 * mountFlagNames(MS.NOSUID | MS.STRICTATIME); // ["nosuid", "strictatime"]
 * mountFlagNames(MS.BIND | MS.REC | MS.RDONLY); // ["ro", "rbind"]
 * ```
 */
export function mountFlagNames(flags: number): string[] {
  const rec = (flags & MS.REC) !== 0;
  // MS_REC reads as the "r" of the bind or propagation word it goes with, when there is one.
  const recTaken = rec && (flags & (MS.BIND | PROPAGATION_BITS)) !== 0;
  const names: string[] = [];
  for (let i = 0; i < 32; i++) {
    const bit = 2 ** i;
    if (((flags >>> i) & 1) === 0 || (bit === MS.REC && recTaken)) continue;
    names.push(flagWord(bit, rec));
  }
  return names;
}

const PROPAGATION_BITS = MS.PRIVATE | MS.SHARED | MS.SLAVE | MS.UNBINDABLE;

/** The name of one MS_* bit (see mountFlagNames). */
function flagWord(bit: number, rec: boolean): string {
  const withRec = rec && (bit === MS.BIND || bit & PROPAGATION_BITS) ? bit | MS.REC : bit;
  if (bit === MS.BIND) return withRec === bit ? "bind" : "rbind";
  const words = [
    ...Object.entries(PROPAGATION).filter(([, v]) => v === withRec).map(([w]) => w),
    ...Object.entries(FLAG_OPTIONS).filter(([, o]) => o.set && o.flag === bit).map(([w]) => w),
    ...Object.entries(MS).filter(([, v]) => v === bit).map(([k]) => k.toLowerCase()),
  ];
  return words[0] ?? `0x${bit.toString(16)}`;
}
