/**
 * OOM kills of a container, for /tasks/oom: the count in its memory cgroup, taken when the
 * container is created (a kill during a fast container's first milliseconds counts too) and
 * polled while it runs. The runc shim waits on memory.oom_control's eventfd instead; a poll
 * needs nothing the library lacks and reports within POLL_MS.
 * @module
 */
import { cgroupsFromPaths } from "../lib/cgroup/mod.ts";
import type { CgroupManager, CgroupPaths } from "../lib/cgroup/types.ts";

const POLL_MS = 200;

/** Calls onOom once per OOM kill in a container's cgroup until stopped. */
export class OomWatch {
  readonly #cg?: CgroupManager;
  #seen = 0;
  #timer?: ReturnType<typeof setInterval>;

  /**
   * Takes the count now (nothing to watch without a memory cgroup).
   *
   * @example
   * ```ts ignore
   * import { OomWatch } from "./oom.ts";
   * const w = new OomWatch(state.cgroupPaths, () => console.log("oom"));
   * w.start();
   * w.stop(); // a last look, then no more
   * ```
   */
  constructor(paths: CgroupPaths | undefined, private onOom: () => void) {
    try {
      this.#cg = cgroupsFromPaths(paths, { warn: () => {} });
      this.#seen = this.#count();
    } catch {
      this.#cg = undefined;
    }
  }

  #count(): number {
    try {
      return this.#cg?.oomKillCount() ?? 0;
    } catch {
      return this.#seen; // the cgroup went away
    }
  }

  #check(): void {
    for (const n = this.#count(); this.#seen < n; this.#seen++) this.onOom();
  }

  /** Starts polling. */
  start(): void {
    if (!this.#cg || this.#timer !== undefined) return;
    const t = setInterval(() => this.#check(), POLL_MS);
    Deno.unrefTimer(t);
    this.#timer = t;
  }

  /** Takes a last look (the kill that ended the container may be the OOM killer's), stops. */
  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    if (this.#cg) this.#check();
  }
}
