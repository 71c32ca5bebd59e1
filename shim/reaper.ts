/**
 * Orphans the shim inherits as the subreaper: a container sharing the host's pid namespace
 * (or one whose init died first) leaves its children to the shim, which must reap them or
 * they stay zombies for as long as it lives. The processes the shim and drun's library
 * wait for themselves are left alone: only a child seen as a zombie on two sweeps in a row
 * and not tracked is reaped here, so no status anyone waits for is taken.
 * @module
 */
import { waitPid } from "../lib/native/ffi.ts";

const SWEEP_MS = 1000;

/** This process's children (every thread's), from /proc. */
function children(): number[] {
  const out: number[] = [];
  try {
    for (const t of Deno.readDirSync("/proc/self/task")) {
      try {
        const text = Deno.readTextFileSync(`/proc/self/task/${t.name}/children`).trim();
        if (text) out.push(...text.split(/\s+/).map(Number));
      } catch { /* thread gone */ }
    }
  } catch { /* no /proc */ }
  return out;
}

function isZombie(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) === "Z";
  } catch {
    return false;
  }
}

/**
 * Reaps untracked zombie children every second.
 *
 * @example
 * ```ts ignore
 * import { OrphanReaper } from "./reaper.ts";
 * const tracked = new Set<number>();
 * new OrphanReaper((pid) => tracked.has(pid)).start();
 * ```
 */
export class OrphanReaper {
  #last = new Set<number>();

  /** `tracked(pid)`: whether someone else waits for that child. */
  constructor(private tracked: (pid: number) => boolean) {}

  /** One sweep (tests call it directly). */
  sweep(): void {
    const zombies = new Set(children().filter((p) => !this.tracked(p) && isZombie(p)));
    for (const pid of zombies) {
      if (this.#last.has(pid)) waitPid(pid).catch(() => {});
    }
    this.#last = zombies;
  }

  /** Sweeps every second without keeping the process alive. */
  start(): void {
    Deno.unrefTimer(setInterval(() => this.sweep(), SWEEP_MS));
  }
}
