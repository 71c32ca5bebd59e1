/**
 * The kernel's cpu/node list syntax (cpuset.cpus, cpuset.mems), on its own so that the cgroup
 * drivers, which `delete` and `kill --all` load, do not load the whole config validator.
 * @module
 */
import { ArgError } from "../errors.ts";

// Highest cpu/node number parseCpuList accepts; well above any real NR_CPUS but small enough
// that a hostile "0-4000000000" cannot make us allocate gigabytes.
const MAX_CPU = 65535;

/**
 * Parses a kernel cpu/node list such as `"0-2,4"` or `"0-7:2/4"` into sorted unique numbers.
 * An empty (or all-whitespace) string gives `[]`. Throws {@link ArgError} on malformed input.
 *
 * @example
 * ```ts
 * parseCpuList("0-2,4"); // [0, 1, 2, 4]
 * ```
 */
export function parseCpuList(s: string): number[] {
  const text = s.trim();
  if (text === "") return [];
  const out = new Set<number>();
  for (const part of text.split(",")) {
    const m = /^(\d+)(?:-(\d+)(?::(\d+)\/(\d+))?)?$/.exec(part);
    if (!m) throw new ArgError(`invalid cpu list "${s}": bad element "${part}"`);
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (hi < lo) throw new ArgError(`invalid cpu list "${s}": range ${part} is reversed`);
    if (hi > MAX_CPU) throw new ArgError(`invalid cpu list "${s}": ${hi} is above ${MAX_CPU}`);
    const used = m[3] === undefined ? 1 : Number(m[3]);
    const group = m[4] === undefined ? 1 : Number(m[4]);
    if (used < 1 || group < 1 || used > group) {
      throw new ArgError(`invalid cpu list "${s}": bad stride in ${part}`);
    }
    for (let c = lo; c <= hi; c++) if ((c - lo) % group < used) out.add(c);
  }
  return [...out].sort((a, b) => a - b);
}
