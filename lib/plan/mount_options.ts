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

/**
 * Recursive (mount_setattr) forms runc accepts. We apply them as their plain flag on the
 * remount, which covers the top mount; the recursive part needs mount_setattr (TODO in docs).
 */
const RECURSIVE = new Set([
  "rro",
  "rrw",
  "rnosuid",
  "rsuid",
  "rnodev",
  "rdev",
  "rnoexec",
  "rexec",
  "rnodiratime",
  "rdiratime",
  "rrelatime",
  "rnorelatime",
  "rnoatime",
  "ratime",
  "rstrictatime",
  "rnostrictatime",
  "rnosymfollow",
  "rsymfollow",
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
}

/** Parses OCI mount options; unknown bare words become filesystem data. */
export function parseMountOptions(options: string[] = [], type?: string): ParsedMountOptions {
  let flags = 0;
  let bind = type === "bind" || type === "rbind";
  let recursive = type === "rbind";
  const propagation: number[] = [];
  const data: string[] = [];
  const ignored: string[] = [];
  for (const opt of options) {
    if (opt === "bind") bind = true;
    else if (opt === "rbind") {
      bind = true;
      recursive = true;
    } else if (opt in FLAG_OPTIONS) {
      const f = FLAG_OPTIONS[opt];
      flags = f.set ? flags | f.flag : flags & ~f.flag;
    } else if (opt in PROPAGATION) propagation.push(PROPAGATION[opt]);
    else if (RECURSIVE.has(opt)) {
      const f = FLAG_OPTIONS[opt.slice(1)];
      flags = f.set ? flags | f.flag : flags & ~f.flag;
    } else if (opt === "tmpcopyup" || opt === "idmap" || opt === "ridmap") ignored.push(opt);
    else data.push(opt);
  }
  return { flags, bind, recursive, propagation, data: data.join(","), ignored };
}

/** The flags a bind mount's second (remount) call needs, or 0 when none is needed. */
export function bindRemountFlags(parsed: ParsedMountOptions): number {
  const extra = parsed.flags & ~(MS.REMOUNT | MS.BIND | MS.REC);
  return extra === 0 ? 0 : MS.REMOUNT | MS.BIND | extra;
}
