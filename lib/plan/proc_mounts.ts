/**
 * Which mounts may land on or under the container's `/proc` (runc's rule since
 * CVE-2019-16884): something else mounted over `/proc` would hide the kernel's view of the
 * process (its AppArmor/SELinux attributes, its fds) behind files the config chose.
 * @module
 */
import { SpecError } from "../errors.ts";
import type { Mount } from "../spec/types.ts";
import { mountOf, parseMountInfo } from "../linux/mountinfo.ts";

/**
 * Files under /proc that lxcfs-style tools replace with container-aware copies; runc allows
 * bind mounts onto exactly these and nothing else inside /proc.
 */
export const PROC_FILES_ALLOWED: readonly string[] = [
  "/proc/cpuinfo",
  "/proc/diskstats",
  "/proc/meminfo",
  "/proc/stat",
  "/proc/swaps",
  "/proc/uptime",
  "/proc/loadavg",
  "/proc/slabinfo",
  "/proc/sys/kernel/ns_last_pid",
  "/proc/sys/crypto/fips_enabled",
];

/**
 * Refuses a mount whose resolved container path `dest` is `/proc` or lies inside it, unless
 * it is a fresh procfs on `/proc`, a bind of a procfs onto `/proc`, or one of
 * {@link PROC_FILES_ALLOWED}. `bind` says whether the mount is a bind mount.
 *
 * @example
 * ```ts
 * checkProcMount("/proc", { destination: "/proc", type: "proc" }, false, "mounts[0]"); // ok
 * checkProcMount("/proc/sys", { destination: "/proc/sys", type: "tmpfs" }, false, "mounts[1]");
 * // throws SpecError "mounts[1].destination: mounts inside /proc are refused ..."
 * ```
 */
export function checkProcMount(dest: string, m: Mount, bind: boolean, field: string): void {
  if (dest !== "/proc" && !dest.startsWith("/proc/")) return;
  const where = `${field}.destination`;
  if (dest === "/proc") {
    if (bind ? isOnProcfs(m.source ?? "") : m.type === "proc") return;
    throw new SpecError(where, "only a proc filesystem may be mounted on /proc");
  }
  if (PROC_FILES_ALLOWED.includes(dest)) return;
  throw new SpecError(
    where,
    `mounts inside /proc are refused (${dest}); only ${PROC_FILES_ALLOWED.join(", ")}`,
  );
}

/** Whether a host path lies on a procfs mount, from the deepest mount point containing it. */
function isOnProcfs(path: string): boolean {
  try {
    const mounts = parseMountInfo(Deno.readTextFileSync("/proc/self/mountinfo"));
    return mountOf(mounts, Deno.realPathSync(path))?.fsType === "proc";
  } catch {
    return false;
  }
}
