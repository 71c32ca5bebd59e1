/**
 * A private cgroup subtree under this process's own cgroup for the engines' containers, and
 * killing what the engines leave behind, so a suite removes exactly what it made.
 * @module
 */
import { dirname, join } from "node:path";
import { pidsMentioning } from "../helpers.ts";
import { until } from "./commands.ts";

/** Mount points of every cgroup hierarchy (v1 controllers, named ones, the v2 tree). */
function cgroupMounts(): string[] {
  return Deno.readTextFileSync("/proc/self/mountinfo").trim().split("\n").flatMap((l) => {
    const f = l.split(" ");
    const fstype = f[f.indexOf("-") + 1];
    return fstype === "cgroup" || fstype === "cgroup2" ? [f[4]] : [];
  });
}

/** Hierarchy name (v1 controllers as in /proc/pid/cgroup, "" for v2) to path, of a pid. */
export function cgroupsOf(pid: number | "self"): Map<string, string> {
  const m = new Map<string, string>();
  for (const l of Deno.readTextFileSync(`/proc/${pid}/cgroup`).trim().split("\n")) {
    const [, ctrl, path] = /^\d+:([^:]*):(.*)$/.exec(l)!;
    for (const c of ctrl.split(",")) m.set(c, path);
  }
  return m;
}

/**
 * A cgroup path nested under this process's own (its memory cgroup on v1, else the v2
 * one), for the engines' cgroup parent. Engines create it in every hierarchy; `cleanup`
 * removes it and any ancestor that did not exist before, and nothing else.
 */
export class CgroupScope {
  /** The cgroup path engines get, e.g. /x/y/drun-clients-123. */
  readonly path: string;
  readonly #missing: string[] = [];
  readonly #own = cgroupsOf("self");

  constructor(tag: string) {
    const base = this.#own.get("memory") ?? this.#own.get("") ?? "/";
    this.path = join(base, `${tag}-${Deno.pid}`);
    for (const mnt of cgroupMounts()) {
      for (let p = this.path; p !== "/"; p = dirname(p)) {
        if (!exists(join(mnt, p))) this.#missing.push(join(mnt, p));
      }
    }
  }

  /** Throws unless every cgroup of pid is in this scope or is the test's own. */
  assertContains(pid: number): void {
    for (const [ctrl, path] of cgroupsOf(pid)) {
      const inside = path === this.path || path.startsWith(this.path + "/");
      if (!inside && path !== this.#own.get(ctrl)) {
        throw new Error(`pid ${pid} is in ${ctrl}:${path}, outside ${this.path}`);
      }
    }
  }

  /** Hierarchy file of pid's cgroup, e.g. ("memory", "memory.limit_in_bytes"). */
  static read(pid: number, ctrl: string, file: string): string {
    const path = cgroupsOf(pid).get(ctrl)!;
    const mnt = cgroupMounts().find((m) => m.endsWith(`/${ctrl}`))!;
    return Deno.readTextFileSync(join(mnt, path, file)).trim();
  }

  /** SIGKILLs every process left in the subtree (only this test's containers go there). */
  killAll(): number[] {
    const pids = new Set<number>();
    for (const mnt of cgroupMounts()) {
      const top = join(mnt, this.path);
      if (!exists(top)) continue;
      for (const d of walkDirs(top)) {
        for (const p of readLines(join(d, "cgroup.procs"))) pids.add(Number(p));
      }
    }
    for (const p of pids) killPid(p);
    return [...pids];
  }

  /** Removes the subtree (deepest first) and the ancestors it created; returns leftovers. */
  async cleanup(): Promise<string[]> {
    const left: string[] = [];
    for (const mnt of cgroupMounts()) {
      const top = join(mnt, this.path);
      if (!exists(top)) continue;
      for (const d of [...walkDirs(top)].reverse()) {
        // A cgroup whose last process just exited can stay busy for a moment.
        await until(() => Promise.resolve(tryRmdir(d)), 3000);
      }
    }
    for (const d of this.#missing) tryRmdir(d); // listed deepest first
    for (const mnt of cgroupMounts()) {
      if (exists(join(mnt, this.path))) left.push(join(mnt, this.path));
    }
    return left;
  }
}

/** SIGKILLs the processes whose command line mentions `fragment` (a unique temp path). */
export function killMentioning(fragment: string): number[] {
  const pids = pidsMentioning(fragment);
  for (const p of pids) killPid(p);
  return pids;
}

function killPid(pid: number): void {
  try {
    Deno.kill(pid, "SIGKILL");
  } catch { /* gone */ }
}

function readLines(path: string): string[] {
  try {
    return Deno.readTextFileSync(path).split("\n").filter((l) => l);
  } catch {
    return [];
  }
}

function exists(p: string): boolean {
  try {
    Deno.statSync(p);
    return true;
  } catch {
    return false;
  }
}

function tryRmdir(d: string): boolean {
  try {
    Deno.removeSync(d);
    return true;
  } catch (e) {
    return e instanceof Deno.errors.NotFound;
  }
}

/** top and its subdirectories, parents before children. */
function* walkDirs(top: string): Generator<string> {
  yield top;
  for (const e of Deno.readDirSync(top)) {
    if (e.isDirectory) yield* walkDirs(join(top, e.name));
  }
}
