/**
 * Linux capability names and numbers, and the masks the native side applies.
 * @module
 */
import { SpecError } from "../errors.ts";
import type { LinuxCapabilities } from "../spec/types.ts";

/** Capability names in number order (CAP_CHOWN = 0 ...). */
export const CAPABILITIES = [
  "CAP_CHOWN",
  "CAP_DAC_OVERRIDE",
  "CAP_DAC_READ_SEARCH",
  "CAP_FOWNER",
  "CAP_FSETID",
  "CAP_KILL",
  "CAP_SETGID",
  "CAP_SETUID",
  "CAP_SETPCAP",
  "CAP_LINUX_IMMUTABLE",
  "CAP_NET_BIND_SERVICE",
  "CAP_NET_BROADCAST",
  "CAP_NET_ADMIN",
  "CAP_NET_RAW",
  "CAP_IPC_LOCK",
  "CAP_IPC_OWNER",
  "CAP_SYS_MODULE",
  "CAP_SYS_RAWIO",
  "CAP_SYS_CHROOT",
  "CAP_SYS_PTRACE",
  "CAP_SYS_PACCT",
  "CAP_SYS_ADMIN",
  "CAP_SYS_BOOT",
  "CAP_SYS_NICE",
  "CAP_SYS_RESOURCE",
  "CAP_SYS_TIME",
  "CAP_SYS_TTY_CONFIG",
  "CAP_MKNOD",
  "CAP_LEASE",
  "CAP_AUDIT_WRITE",
  "CAP_AUDIT_CONTROL",
  "CAP_SETFCAP",
  "CAP_MAC_OVERRIDE",
  "CAP_MAC_ADMIN",
  "CAP_SYSLOG",
  "CAP_WAKE_ALARM",
  "CAP_BLOCK_SUSPEND",
  "CAP_AUDIT_READ",
  "CAP_PERFMON",
  "CAP_BPF",
  "CAP_CHECKPOINT_RESTORE",
] as const;

/** The highest capability the running kernel knows. */
export function lastCap(): number {
  try {
    return Number(Deno.readTextFileSync("/proc/sys/kernel/cap_last_cap").trim());
  } catch {
    return CAPABILITIES.length - 1;
  }
}

/**
 * A bit mask from capability names. Names the kernel does not know (above last_cap) are
 * dropped, as runc does, so one config works across kernels; unknown names are errors.
 */
export function capMask(names: string[] | undefined, path: string, last = lastCap()): bigint {
  let mask = 0n;
  (names ?? []).forEach((name, i) => {
    const n = (CAPABILITIES as readonly string[]).indexOf(name);
    if (n < 0) throw new SpecError(`${path}[${i}]`, `unknown capability ${JSON.stringify(name)}`);
    if (n <= last) mask |= 1n << BigInt(n);
  });
  return mask;
}

/**
 * The capability sets of a process run by `exec`, as runc computes them: the process's own
 * sets when it has any, else the container's (never the runtime's); then each name of `add`
 * (`exec --cap`) joins the bounding, effective and permitted sets. It joins the ambient set
 * only when the process has an inheritable set, and never the inheritable set itself, so
 * an added cap is not handed on to whatever the process execs next.
 *
 * @example
 * ```ts
 * const caps = execCapabilities(undefined, { bounding: ["CAP_KILL"] }, ["CAP_CHOWN"]);
 * // caps.bounding: ["CAP_KILL", "CAP_CHOWN"]; caps.inheritable: undefined
 * ```
 */
export function execCapabilities(
  own: LinuxCapabilities | undefined,
  container: LinuxCapabilities | undefined,
  add: string[] = [],
): LinuxCapabilities {
  const caps: LinuxCapabilities = structuredClone(own ?? container ?? {});
  if (add.length === 0) return caps;
  const sets: (keyof LinuxCapabilities)[] = ["bounding", "effective", "permitted"];
  if (caps.inheritable) sets.push("ambient");
  for (const set of sets) caps[set] = [...new Set([...(caps[set] ?? []), ...add])];
  return caps;
}
