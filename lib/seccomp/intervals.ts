/**
 * Decides, per architecture, what the filter does for every possible syscall number: the
 * profile's rules resolved to numbers, split into ordered alternatives, and laid out as
 * contiguous number intervals with one outcome each. Code generation then only has to search
 * the intervals.
 * @module
 */

import { ERRNO, SECCOMP_RET } from "./constants.ts";
import {
  AUDIT_ARCH,
  LITTLE_ENDIAN,
  type SeccompArch,
  SYSCALL_BLOCKS,
  SYSCALLS,
  X32_SYSCALL_BIT,
} from "./tables.generated.ts";
import type { Condition, ValidProfile } from "./validate.ts";

/**
 * Architectures a kernel can run natively (the `hostArch` option).
 *
 * @example
 * ```ts
 * const arch: HostArch = Deno.build.arch === "aarch64" ? "aarch64" : "x86_64";
 * ```
 */
export type HostArch =
  | "x86_64"
  | "x86"
  | "aarch64"
  | "arm"
  | "riscv64"
  | "loongarch64"
  | "ppc64le"
  | "s390x";

/** Which architectures' syscalls a kernel of each host architecture accepts. */
export const RUNNABLE: Readonly<Record<HostArch, readonly SeccompArch[]>> = {
  x86_64: ["x86_64", "x86", "x32"],
  x86: ["x86"],
  aarch64: ["aarch64", "arm"],
  arm: ["arm"],
  riscv64: ["riscv64"],
  loongarch64: ["loongarch64"],
  ppc64le: ["ppc64le"],
  s390x: ["s390x"],
};

/** Seccomp return value for syscall numbers past every known one. */
export const RET_ENOSYS = (SECCOMP_RET.ERRNO | ERRNO.ENOSYS) >>> 0;

/** One way a rule can match: all its conditions hold. */
export interface Alternative {
  /** Conditions, ANDed; empty means always. */
  conditions: Condition[];
  /** Seccomp return value when they hold. */
  action: number;
}

/** What the filter does for a syscall number. */
export type Outcome =
  | { kind: "ret"; value: number }
  | { kind: "chain"; alternatives: Alternative[]; fallback: number };

/** A run of syscall numbers `[start, end]` sharing one outcome. */
export interface Interval {
  /** First number. */
  start: number;
  /** Last number. */
  end: number;
  /** What happens. */
  outcome: Outcome;
}

/** Everything code generation needs for one architecture. */
export interface ArchPlan {
  /** The architecture. */
  arch: SeccompArch;
  /** Its `seccomp_data.arch` value. */
  audit: number;
  /** Whether its `seccomp_data.args` are little-endian. */
  littleEndian: boolean;
  /** Intervals sorted by start, contiguous, covering every nr this arch's code can see. */
  intervals: Interval[];
}

/** Architectures the filter handles: the host's own first, then listed ones it can run. */
export function handledArches(host: HostArch, listed: readonly SeccompArch[]): SeccompArch[] {
  const out: SeccompArch[] = [RUNNABLE[host][0]];
  for (const a of listed) if (RUNNABLE[host].includes(a) && !out.includes(a)) out.push(a);
  return out;
}

/** Number of `name` on `arch` as it appears in `seccomp_data.nr`, or undefined. */
export function syscallNumber(arch: SeccompArch, name: string): number | undefined {
  const table = SYSCALLS[arch];
  if (!Object.hasOwn(table, name)) return undefined;
  return arch === "x32" ? (table[name] | X32_SYSCALL_BIT) >>> 0 : table[name];
}

/**
 * The words every unknown-name warning carries, so callers can log those at debug level.
 *
 * @example
 * ```ts
 * import { UNKNOWN_SYSCALL } from "./intervals.ts";
 * "x: unknown syscall \"foo\" on x86_64; skipped".includes(UNKNOWN_SYSCALL); // true
 * ```
 */
export const UNKNOWN_SYSCALL = "unknown syscall";

/** Warnings for names no handled architecture knows. */
export function unknownNameWarnings(profile: ValidProfile, arches: SeccompArch[]): string[] {
  const out: string[] = [];
  for (const rule of profile.rules) {
    rule.names.forEach((name, i) => {
      if (arches.every((a) => syscallNumber(a, name) === undefined)) {
        out.push(
          `${rule.path}.names[${i}]: ${UNKNOWN_SYSCALL} ${JSON.stringify(name)} on ` +
            `${arches.join(", ")}; skipped`,
        );
      }
    });
  }
  return out;
}

/**
 * A rule's conditions as alternatives. Conditions on distinct indexes must all hold; once an
 * index repeats, every condition stands alone (ORed), which is what runc does with libseccomp
 * since one libseccomp rule can test each argument only once.
 */
function split(conditions: Condition[]): Condition[][] {
  if (conditions.length === 0) return [[]];
  const indexes = new Set(conditions.map((c) => c.index));
  return indexes.size === conditions.length ? [conditions] : conditions.map((c) => [c]);
}

const keyOf = (v: unknown) => JSON.stringify(v, (_k, x) => typeof x === "bigint" ? `${x}` : x);

function outcomeOf(alternatives: Alternative[], fallback: number): Outcome {
  if (alternatives.length === 0) return { kind: "ret", value: fallback };
  if (alternatives[0].conditions.length === 0) {
    return { kind: "ret", value: alternatives[0].action };
  }
  return { kind: "chain", alternatives, fallback };
}

/**
 * Numbers this arch's code can see. x32 shares x86_64's audit arch and only gets numbers with
 * the x32 bit; x86_64 keeps the full range since numbers above 2^31 without the bit reach it.
 */
function domainOf(arch: SeccompArch): [number, number] {
  return arch === "x32" ? [X32_SYSCALL_BIT, 0xffffffff] : [0, 0xffffffff];
}

/** Plans the code for one architecture. */
export function planArch(arch: SeccompArch, profile: ValidProfile): ArchPlan {
  const def = profile.defaultAction;
  const byNr = new Map<number, { alts: Alternative[]; seen: Set<string> }>();
  for (const rule of profile.rules) {
    // A rule that does what the default does changes nothing (runc skips it too).
    const alts = rule.action === def
      ? []
      : split(rule.conditions).map((conditions) => ({ conditions, action: rule.action }));
    for (const name of rule.names) {
      const nr = syscallNumber(arch, name);
      if (nr === undefined) continue;
      let entry = byNr.get(nr);
      if (!entry) byNr.set(nr, entry = { alts: [], seen: new Set() });
      for (const alt of alts) {
        const last = entry.alts[entry.alts.length - 1];
        // Nothing after an unconditional alternative, or after an identical one, can match.
        if (last && last.conditions.length === 0) break;
        const key = keyOf(alt);
        if (entry.seen.has(key)) continue;
        entry.seen.add(key);
        entry.alts.push(alt);
      }
    }
  }

  const [lo, hi] = domainOf(arch);
  const bias = arch === "x32" ? X32_SYSCALL_BIT : 0;
  const base: Interval[] = [];
  const enosys: Outcome = { kind: "ret", value: RET_ENOSYS };
  const dflt: Outcome = { kind: "ret", value: def };
  let cur = lo;
  SYSCALL_BLOCKS[arch].forEach(([first, last], i) => {
    const a = Math.max(first + bias, lo), b = Math.min(last + bias, hi);
    if (a > b) return;
    // Below the first block is ordinary unassigned space; a hole between blocks is not.
    if (a > cur) base.push({ start: cur, end: a - 1, outcome: i === 0 ? dflt : enosys });
    base.push({ start: a, end: b, outcome: dflt });
    cur = b + 1;
  });
  if (cur <= hi) base.push({ start: cur, end: hi, outcome: enosys });

  const intervals: Interval[] = [];
  const keys: string[] = [];
  const push = (start: number, end: number, outcome: Outcome) => {
    if (start > end) return;
    const key = keyOf(outcome);
    const n = intervals.length;
    if (n && keys[n - 1] === key && intervals[n - 1].end + 1 === start) {
      intervals[n - 1].end = end;
    } else {
      intervals.push({ start, end, outcome });
      keys.push(key);
    }
  };
  const numbers = [...byNr.keys()].sort((x, y) => x - y);
  let r = 0;
  for (const seg of base) {
    let from = seg.start;
    for (; r < numbers.length && numbers[r] <= seg.end; r++) {
      const nr = numbers[r];
      push(from, nr - 1, seg.outcome);
      // A named syscall gets its rules (or the default) even past the known range.
      push(nr, nr, outcomeOf(byNr.get(nr)!.alts, def));
      from = nr + 1;
    }
    push(from, seg.end, seg.outcome);
  }
  return { arch, audit: AUDIT_ARCH[arch], littleEndian: LITTLE_ENDIAN[arch], intervals };
}
