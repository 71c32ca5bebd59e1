/**
 * Mount points from /proc/self/mountinfo, for unmounting what containers without a mount
 * namespace of their own left in the sandbox's.
 * @module
 */

/**
 * The mount points listed in mountinfo text, unescaped (`\040` is a space).
 * @example
 * ```ts
 * const points = parseMountPoints(Deno.readTextFileSync("/proc/self/mountinfo"));
 * console.log(points.includes("/"));
 * ```
 */
export function parseMountPoints(mountinfo: string): string[] {
  return mountinfo.split("\n").filter((l) => l.trim() !== "").map((l) =>
    l.split(" ")[4].replace(/\\(\d{3})/g, (_, o) => String.fromCharCode(parseInt(o, 8)))
  );
}
