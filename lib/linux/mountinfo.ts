/**
 * /proc/<pid>/mountinfo, parsed: one entry per mount, in the order the kernel lists them
 * (a mount stacked on another path comes after what it covers).
 * @module
 */

/** One line of mountinfo (proc(5)). */
export interface MountInfo {
  /** Mount id (field 1). */
  id: number;
  /** Id of the parent mount (field 2). */
  parent: number;
  /** The path of the filesystem shown at the mount point (field 4). */
  root: string;
  /** Mount point, relative to the reader's root (field 5). */
  mountPoint: string;
  /** Filesystem type (after the separator). */
  fsType: string;
  /** Super options (after the separator). */
  superOptions: string[];
}

/** mountinfo escapes space, tab, newline and backslash as octal `\NNN`. */
function unescape(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o) => String.fromCharCode(parseInt(o, 8)));
}

/**
 * Parses mountinfo text; malformed lines are skipped.
 *
 * @example
 * ```ts
 * const [m] = parseMountInfo("36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw\n");
 * console.log(m.id, m.parent, m.mountPoint, m.fsType); // 36 35 "/mnt2" "ext3"
 * ```
 */
export function parseMountInfo(text: string): MountInfo[] {
  const out: MountInfo[] = [];
  for (const line of text.split("\n")) {
    const sep = line.indexOf(" - ");
    if (sep < 0) continue;
    const left = line.slice(0, sep).split(" ");
    const right = line.slice(sep + 3).split(" ");
    if (left.length < 5) continue;
    out.push({
      id: Number(left[0]),
      parent: Number(left[1]),
      root: unescape(left[3]),
      mountPoint: unescape(left[4]),
      fsType: right[0],
      superOptions: (right[2] ?? "").split(","),
    });
  }
  return out;
}

/**
 * The mount a path lies on: the last-listed mount whose mount point is the path or its
 * nearest ancestor. The path must be absolute and free of symlinks (a realpath).
 *
 * @example
 * ```ts
 * const mounts = parseMountInfo(Deno.readTextFileSync("/proc/self/mountinfo"));
 * console.log(mountOf(mounts, "/run/bundle/rootfs")?.id);
 * ```
 */
export function mountOf(mounts: readonly MountInfo[], path: string): MountInfo | undefined {
  let best: MountInfo | undefined;
  for (const m of mounts) {
    const mp = m.mountPoint;
    const under = mp === "/" || path === mp || path.startsWith(mp + "/");
    if (under && (!best || mp.length >= best.mountPoint.length)) best = m;
  }
  return best;
}
