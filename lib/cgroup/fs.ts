/**
 * Small filesystem helpers shared by the cgroup drivers: knob reads and writes that name the
 * config field on failure, directory chains, and removal with a short EBUSY retry.
 * @module
 */
import { dirname, join } from "../path.ts";
import { DrunError } from "../errors.ts";
import { parseMountInfo } from "../linux/mountinfo.ts";

/** Sleeps synchronously (the cgroup interface is synchronous where the runtime calls it). */
export function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** The message of an error without a trailing stack or line breaks. */
export function errText(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).replace(/\s*\n\s*/g, " ");
}

/**
 * Writes one value to a cgroup file in a single write(2), as the kernel wants (a file such as
 * devices.allow or io.max takes one rule per write). `field` names the config field.
 */
export function writeKnob(dir: string, file: string, value: string, field?: string): void {
  const path = join(dir, file);
  try {
    Deno.writeTextFileSync(path, value);
  } catch (e) {
    let why = errText(e);
    if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.PermissionDenied) {
      // cgroupfs refuses to create files: a missing knob shows up as EACCES.
      let exists = false;
      try {
        Deno.statSync(path);
        exists = true;
      } catch { /* missing */ }
      if (!exists) why = `${file} does not exist (controller not available in ${dir})`;
    }
    throw new DrunError("ECGROUP", `writing ${JSON.stringify(value)} to ${path}: ${why}`, field);
  }
}

/** Reads a cgroup file, or undefined when it does not exist. */
export function readKnob(dir: string, file: string): string | undefined {
  try {
    return Deno.readTextFileSync(join(dir, file));
  } catch {
    return undefined;
  }
}

/** Whether a cgroup file exists. */
export function hasKnob(dir: string, file: string): boolean {
  try {
    Deno.statSync(join(dir, file));
    return true;
  } catch {
    return false;
  }
}

/** A file holding one number (`max` and missing give undefined). */
export function readNumber(dir: string, file: string): number | undefined {
  const t = readKnob(dir, file)?.trim();
  if (t === undefined || t === "" || t === "max") return undefined;
  const n = Number(t);
  return Number.isFinite(n) ? n : undefined;
}

/**
 * A file holding one uint64 counter, exactly (`max` and missing give undefined).
 *
 * @example
 * ```ts
 * readCounter("/sys/fs/cgroup/memory/x", "memory.limit_in_bytes"); // 9223372036854771712n
 * ```
 */
export function readCounter(dir: string, file: string): bigint | undefined {
  const t = readKnob(dir, file)?.trim();
  return t !== undefined && /^-?\d+$/.test(t) ? BigInt(t) : undefined;
}

/**
 * A "key value" per line file with exact values (memory.stat, cpu.stat for statistics).
 *
 * @example
 * ```ts
 * readCounters("/sys/fs/cgroup/x", "memory.stat").anon; // 4096n
 * ```
 */
export function readCounters(dir: string, file: string): Record<string, bigint> {
  const out: Record<string, bigint> = {};
  for (const line of (readKnob(dir, file) ?? "").split("\n")) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined && /^-?\d+$/.test(v)) out[k] = BigInt(v);
  }
  return out;
}

/** A "key value" per line file (memory.stat, cpu.stat, memory.events, oom_control). */
export function readFlatKeyed(dir: string, file: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of (readKnob(dir, file) ?? "").split("\n")) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined && /^-?\d+$/.test(v)) out[k] = Number(v);
  }
  return out;
}

/** Whether `dir` exists. */
export function dirExists(dir: string): boolean {
  try {
    return Deno.statSync(dir).isDirectory;
  } catch {
    return false;
  }
}

/**
 * Makes `leaf` and its missing parents below `base` (which must exist), returning the
 * directories it created, top-down. `base` itself is never created.
 */
export function mkdirChain(base: string, leaf: string, field: string): string[] {
  const missing: string[] = [];
  for (let d = leaf; d !== base && d.startsWith(base) && !dirExists(d); d = dirname(d)) {
    missing.unshift(d);
  }
  const made: string[] = [];
  for (const d of missing) {
    try {
      Deno.mkdirSync(d);
      made.push(d);
    } catch (e) {
      if (e instanceof Deno.errors.AlreadyExists) continue;
      throw new DrunError("ECGROUP", `creating cgroup ${d}: ${errText(e)}`, field);
    }
  }
  return made;
}

function isBusy(e: unknown): boolean {
  return e instanceof Deno.errors.Busy ||
    (e instanceof Error && /EBUSY|busy/i.test(e.message));
}

/**
 * Removes a cgroup directory and the sub-cgroups the container may have made in it,
 * deepest first, retrying each rmdir for up to `retryMs` while the kernel reports EBUSY
 * (exiting tasks leave their cgroup a moment after they are reaped). A missing directory is
 * not an error.
 */
export function removeCgroupTree(dir: string, retryMs = 2000): void {
  let children: string[] = [];
  try {
    children = [...Deno.readDirSync(dir)].filter((e) => e.isDirectory).map((e) => e.name);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return;
    throw new DrunError("ECGROUP", `reading cgroup ${dir}: ${errText(e)}`);
  }
  for (const c of children) removeCgroupTree(join(dir, c), retryMs);
  rmdirRetry(dir, retryMs);
}

/** rmdir with an EBUSY retry; true when the directory is gone. */
export function rmdirRetry(dir: string, retryMs = 2000): void {
  const until = Date.now() + retryMs;
  for (let delay = 5;; delay = Math.min(delay * 2, 100)) {
    try {
      Deno.removeSync(dir);
      return;
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return;
      if (!isBusy(e) || Date.now() >= until) {
        throw new DrunError("ECGROUP", `removing cgroup ${dir}: ${errText(e)}`);
      }
      sleepSync(delay);
    }
  }
}

/** rmdir that only succeeds on an empty, unused cgroup; false otherwise (never throws). */
export function rmdirIfUnused(dir: string): boolean {
  try {
    Deno.removeSync(dir);
    return true;
  } catch (e) {
    return e instanceof Deno.errors.NotFound;
  }
}

/** The pids listed in `cgroup.procs` of dir and every cgroup below it. */
export function procsRecursive(dir: string): number[] {
  const out = new Set<number>();
  const walk = (d: string) => {
    for (const l of (readKnob(d, "cgroup.procs") ?? "").split("\n")) {
      const n = Number(l.trim());
      if (l.trim() !== "" && Number.isInteger(n) && n > 0) out.add(n);
    }
    let entries: Deno.DirEntry[] = [];
    try {
      entries = [...Deno.readDirSync(d)];
    } catch { /* gone meanwhile */ }
    for (const e of entries) if (e.isDirectory) walk(join(d, e.name));
  };
  walk(dir);
  return [...out].sort((a, b) => a - b);
}

/** One line of /proc/self/cgroup. */
export interface OwnCgroupLine {
  /** Hierarchy id (0 for the unified hierarchy). */
  hierarchy: number;
  /** Controllers of the hierarchy (`name=systemd` for a named one; empty for v2). */
  controllers: string[];
  /** Path of the process's cgroup, relative to the hierarchy root. */
  path: string;
}

/** Parses /proc/self/cgroup (or injected text). */
export function parseProcCgroup(text: string): OwnCgroupLine[] {
  const out: OwnCgroupLine[] = [];
  for (const line of text.split("\n")) {
    const m = /^(\d+):([^:]*):(.*)$/.exec(line.trim());
    if (!m) continue;
    out.push({
      hierarchy: Number(m[1]),
      controllers: m[2] === "" ? [] : m[2].split(","),
      path: m[3] || "/",
    });
  }
  return out;
}

/** A cgroup filesystem mount from /proc/self/mountinfo. */
export interface CgroupMount {
  /** Mount point. */
  mountPoint: string;
  /** The cgroup the mount shows as its root (not `/` inside a cgroup namespace or a bind). */
  root: string;
  /** `cgroup` or `cgroup2`. */
  fsType: string;
  /** Super options (for v1 they name the controllers). */
  superOptions: string[];
}

/** Parses the cgroup mounts out of mountinfo text. */
export function parseCgroupMounts(text: string): CgroupMount[] {
  return parseMountInfo(text)
    .filter((m) => m.fsType === "cgroup" || m.fsType === "cgroup2")
    .map(({ root, mountPoint, fsType, superOptions }) => ({
      root,
      mountPoint,
      fsType,
      superOptions,
    }));
}
