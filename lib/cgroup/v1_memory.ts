/**
 * The v1 memory controller: limits, swap, reservation and OOM control, written in the order
 * the kernel accepts (memory.limit <= memory.memsw.limit after every write).
 * @module
 */
import { DrunError } from "../errors.ts";
import type { LinuxResources } from "../spec/types.ts";
import { hasKnob, readNumber, writeKnob } from "./fs.ts";

/**
 * Writes `linux.resources.memory` into the memory cgroup `d`; `base` is the JSON path of
 * the resources, `updating` makes `checkBeforeUpdate` apply.
 *
 * @example
 * ```ts ignore
 * writeV1Memory("/sys/fs/cgroup/memory/drun-c1", { limit: 64 << 20 }, "linux.resources", false, console.warn);
 * ```
 */
export function writeV1Memory(
  d: string,
  m: NonNullable<LinuxResources["memory"]>,
  base: string,
  updating: boolean,
  warn: (msg: string) => void,
): void {
  const p = `${base}.memory`;
  const hasMemsw = hasKnob(d, "memory.memsw.limit_in_bytes");
  if (updating && m.checkBeforeUpdate && m.limit && m.limit > 0) {
    const usage = readNumber(d, "memory.usage_in_bytes") ?? 0;
    if (usage > m.limit) {
      throw new DrunError(
        "ECGROUP",
        `new limit ${m.limit} is below the current usage ${usage}`,
        `${p}.limit`,
      );
    }
  }
  const limit = m.limit || undefined;
  let swap = m.swap || undefined;
  // Unlimited memory with no word on swap means unlimited swap too.
  if (limit === -1 && swap === undefined && hasMemsw) swap = -1;
  if (swap !== undefined && !hasMemsw) {
    if (swap > 0) warn(`${p}.swap: swap accounting is off on this host; ignored`);
    swap = undefined;
  }
  const writeLimit = () => {
    if (limit !== undefined) writeKnob(d, "memory.limit_in_bytes", String(limit), `${p}.limit`);
  };
  const writeSwap = () => {
    if (swap !== undefined) {
      writeKnob(d, "memory.memsw.limit_in_bytes", String(swap), `${p}.swap`);
    }
  };
  // memory.limit <= memory.memsw.limit must hold after each write.
  const curSwap = readNumber(d, "memory.memsw.limit_in_bytes") ?? Infinity;
  const newLimit = limit === -1 ? Infinity : limit ?? 0;
  if (limit !== undefined && swap !== undefined && newLimit > curSwap) {
    writeSwap();
    writeLimit();
  } else {
    writeLimit();
    writeSwap();
  }
  if (m.reservation) {
    writeKnob(d, "memory.soft_limit_in_bytes", String(m.reservation), `${p}.reservation`);
  }
  if (m.kernel) {
    warn(`${p}.kernel: kernel memory limits are not supported by Linux 5.16+; ignored`);
  }
  if (m.kernelTCP) {
    if (hasKnob(d, "memory.kmem.tcp.limit_in_bytes")) {
      writeKnob(d, "memory.kmem.tcp.limit_in_bytes", String(m.kernelTCP), `${p}.kernelTCP`);
    } else warn(`${p}.kernelTCP: not supported by this kernel; ignored`);
  }
  if (m.swappiness !== undefined) {
    writeKnob(d, "memory.swappiness", String(m.swappiness), `${p}.swappiness`);
  }
  if (m.disableOOMKiller !== undefined && (m.disableOOMKiller || updating)) {
    writeKnob(d, "memory.oom_control", m.disableOOMKiller ? "1" : "0", `${p}.disableOOMKiller`);
  }
}
