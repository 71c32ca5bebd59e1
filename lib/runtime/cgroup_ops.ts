/**
 * The container commands that work through its cgroups (pause, resume, ps, events, update),
 * as functions of a state root and an id; Runtime's methods of the same names call these.
 * @module
 */
import { DrunError } from "../errors.ts";
import type { LinuxResources } from "../spec/types.ts";
import { type ContainerState, readState, withLock } from "../state/store.ts";
import { cgroupsFromPaths, isPaused } from "../cgroup/mod.ts";
import type { CgroupManager, CgroupStats } from "../cgroup/types.ts";
import { validateResources } from "../cgroup/validate.ts";

/**
 * One line of `events`: runc's `{"type":"stats"|"oom","id":...,"data":...}`.
 *
 * @example
 * ```ts
 * for await (const ev of new Runtime("/run/drun").events("web")) {
 *   const e: ContainerEvent = ev;
 *   if (e.type === "oom") console.log(`${e.id}: a process was OOM-killed`);
 * }
 * ```
 */
export interface ContainerEvent {
  /** `stats` (with data) or `oom` (the OOM killer killed a process of the container). */
  type: "stats" | "oom";
  /** Container id. */
  id: string;
  /** The statistics, for `stats`. */
  data?: CgroupStats;
}

/**
 * Options of `events`.
 *
 * @example
 * ```ts
 * const opts: EventsOptions = { intervalMs: 1000, signal: AbortSignal.timeout(10_000) };
 * ```
 */
export interface EventsOptions {
  /** Print one stats event and return (runc's `--stats`). */
  stats?: boolean;
  /** Stats interval in ms (default 5000). */
  intervalMs?: number;
  /** Stops the stream. */
  signal?: AbortSignal;
  /** How often to look for OOM kills and the end of the container, in ms (default 100). */
  pollMs?: number;
}

function managerOf(st: ContainerState, warn?: (m: string) => void): CgroupManager {
  const m = cgroupsFromPaths(st.cgroupPaths, { warn });
  if (!m) {
    throw new DrunError("EBADSTATE", `container ${st.id} has no cgroups (created without them)`);
  }
  return m;
}

/** Freezes every process of a created or running container. */
export async function pauseContainer(root: string, id: string): Promise<void> {
  await withLock(root, id, async () => {
    const st = readState(root, id, isPaused);
    if (st.status !== "running" && st.status !== "created") {
      throw new DrunError("EBADSTATE", `cannot pause a container that is ${st.status}`);
    }
    await managerOf(st).freeze();
  });
}

/** Thaws a paused container. */
export async function resumeContainer(root: string, id: string): Promise<void> {
  await withLock(root, id, () => {
    const st = readState(root, id, isPaused);
    if (st.status !== "paused") {
      throw new DrunError("EBADSTATE", `cannot resume a container that is ${st.status}`);
    }
    managerOf(st).thaw();
  });
}

/** The host pids of every process in the container's cgroup (and below it). */
export function containerCgroupPids(root: string, id: string): number[] {
  const st = readState(root, id, isPaused);
  return managerOf(st).pids();
}

/** Changes the resource limits of a container that is not stopped. */
export async function updateContainer(
  root: string,
  id: string,
  resources: unknown,
  warn?: (m: string) => void,
): Promise<void> {
  const r: LinuxResources = validateResources(resources, "resources");
  await withLock(root, id, () => {
    const st = readState(root, id, isPaused);
    if (st.status === "stopped") {
      throw new DrunError("EBADSTATE", `cannot update a container that is stopped`);
    }
    managerOf(st, warn).update(r);
  });
}

/**
 * The container's events: with `stats`, one stats event (also for a stopped container whose
 * cgroup still exists). Otherwise a stream until the container stops: a stats event at once
 * and then every interval, and an `oom` event whenever the OOM killer kills one of its
 * processes.
 */
export async function* containerEvents(
  root: string,
  id: string,
  opts: EventsOptions = {},
): AsyncGenerator<ContainerEvent> {
  const st = readState(root, id, isPaused);
  const m = managerOf(st);
  if (opts.stats) {
    if (!m.exists()) throw new DrunError("EBADSTATE", `container ${id} has no cgroup left`);
    yield { type: "stats", id, data: m.stats() };
    return;
  }
  if (st.status === "stopped") throw new DrunError("EBADSTATE", `container ${id} is not running`);
  const interval = opts.intervalMs ?? 5000;
  const poll = Math.max(10, Math.min(opts.pollMs ?? 100, interval));
  let ooms = m.oomKillCount();
  let nextStats = 0;
  let wake: (() => void) | undefined;
  const onAbort = () => wake?.();
  opts.signal?.addEventListener("abort", onAbort, { once: true });
  try {
    while (!opts.signal?.aborted) {
      const n = m.oomKillCount();
      for (; ooms < n; ooms++) yield { type: "oom", id };
      let stopped = true;
      try {
        stopped = readState(root, id).status === "stopped";
      } catch { /* deleted meanwhile */ }
      if (stopped) {
        // A last look: the kill that ended the container may have been the OOM killer's.
        const last = m.oomKillCount();
        for (; ooms < last; ooms++) yield { type: "oom", id };
        return;
      }
      if (Date.now() >= nextStats) {
        nextStats = Date.now() + interval;
        if (m.exists()) yield { type: "stats", id, data: m.stats() };
      }
      await new Promise<void>((r) => {
        const t = setTimeout(r, poll);
        wake = () => {
          clearTimeout(t);
          r();
        };
      });
    }
  } finally {
    opts.signal?.removeEventListener("abort", onAbort);
  }
}

/**
 * SIGKILLs whatever is left in a container's cgroup (a container without its own pid
 * namespace can leave children behind its init), thaws it so frozen tasks can die, and waits
 * briefly until it is empty.
 */
export async function killCgroup(m: CgroupManager, timeoutMs = 2000): Promise<void> {
  if (!m.exists()) return;
  const until = Date.now() + timeoutMs;
  let thawed = false;
  while (true) {
    const pids = m.pids();
    if (!pids.length) return;
    for (const p of pids) {
      try {
        Deno.kill(p, "SIGKILL");
      } catch { /* gone */ }
    }
    if (!thawed) {
      thawed = true;
      try {
        if (m.isFrozen()) m.thaw();
      } catch { /* no freezer */ }
    }
    if (Date.now() > until) return;
    await new Promise((r) => setTimeout(r, 10));
  }
}
