/**
 * Container state on disk: `<root>/<id>/state.json`, the exec fifo beside it, and a lock.
 * The status is never stored as truth: it is derived from the init's pid, its start time
 * (so a reused pid is not mistaken for the container) and the fifo's presence.
 * @module
 */
import { join } from "../path.ts";
import { ArgError, DrunError } from "../errors.ts";

/** OCI status values (plus `paused`, as runc reports it). */
export type Status = "creating" | "created" | "running" | "stopped" | "paused";

/** What drun keeps per container. The OCI state fields come first. */
export interface ContainerState {
  /** OCI version of the state format. */
  ociVersion: string;
  /** Container id. */
  id: string;
  /** Derived status at read time. */
  status: Status;
  /** Host pid of the init process (0 once stopped and unknown). */
  pid: number;
  /** Absolute bundle path. */
  bundle: string;
  /** Annotations from the config. */
  annotations?: Record<string, string>;
  /** Absolute rootfs path. */
  rootfs: string;
  /** Creation time, RFC 3339. */
  created: string;
  /** Start time of the init in clock ticks since boot (field 22 of /proc/pid/stat). */
  startTime: number;
  /** Owner, as runc prints it in `list`. */
  owner: string;
  /** Whether the container has its own pid namespace (kill --all walks it). */
  ownPidNamespace: boolean;
  /** The container's cgroup directories per hierarchy, when drun created them. */
  cgroupPaths?: Record<string, string>;
}

/** OCI and runc id rules: letters, digits and `_+-.`, not `.` or `..`. */
export function validateId(id: string): void {
  if (!id) throw new ArgError("container id cannot be empty", "id");
  if (!/^[\w+\-.]+$/.test(id) || id === "." || id === ".." || id.length > 1024) {
    throw new ArgError(
      `invalid container id ${JSON.stringify(id)}: use letters, digits and _+-.`,
      "id",
    );
  }
}

/** The directory of one container. */
export function containerDir(root: string, id: string): string {
  return join(root, id);
}

/** Path of the exec fifo that `start` opens. */
export function fifoPath(root: string, id: string): string {
  return join(root, id, "exec.fifo");
}

/** Reads the start time of pid from /proc, or undefined if it is gone or a zombie. */
export function procStartTime(pid: number): number | undefined {
  if (!(pid > 0)) return undefined;
  let stat: string;
  try {
    stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  } catch {
    return undefined;
  }
  // comm may contain spaces and parentheses: fields start after the last ')'.
  const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  if (rest[0] === "Z" || rest[0] === "X") return undefined;
  return Number(rest[19]);
}

/** The freezer state of the container, if paused (filled in by the cgroup layer). */
export type PausedProbe = (state: ContainerState) => boolean;

/** Computes the live status of a stored state. */
export function liveStatus(state: ContainerState, root: string, paused?: PausedProbe): Status {
  if (state.status === "creating") {
    return procStartTime(state.pid) === state.startTime ? "creating" : "stopped";
  }
  if (procStartTime(state.pid) !== state.startTime) return "stopped";
  if (paused?.(state)) return "paused";
  try {
    Deno.statSync(fifoPath(root, state.id));
    return "created";
  } catch {
    return "running";
  }
}

/** Reads a container's state with its live status; throws ENOTFOUND when absent. */
export function readState(root: string, id: string, paused?: PausedProbe): ContainerState {
  validateId(id);
  let text: string;
  try {
    text = Deno.readTextFileSync(join(containerDir(root, id), "state.json"));
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new DrunError("ENOTFOUND", `container ${id} does not exist`);
    }
    throw e;
  }
  const state = JSON.parse(text) as ContainerState;
  state.status = liveStatus(state, root, paused);
  return state;
}

/** Writes state.json atomically (rename over) so readers never see half a file. */
export function writeState(root: string, state: ContainerState): void {
  const dir = containerDir(root, state.id);
  const tmp = join(dir, `.state.json.${Deno.pid}`);
  Deno.writeTextFileSync(tmp, JSON.stringify(state), { mode: 0o600 });
  Deno.renameSync(tmp, join(dir, "state.json"));
}

/** Ids of all containers under root. */
export function listIds(root: string): string[] {
  const ids: string[] = [];
  try {
    for (const e of Deno.readDirSync(root)) {
      if (e.isDirectory && !e.name.startsWith(".")) ids.push(e.name);
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  return ids.sort();
}

/**
 * Holds an exclusive flock on the container's directory for the duration of fn, so two
 * drun commands never act on one id at once; a second command waits for the first.
 */
export async function withLock<T>(
  root: string,
  id: string,
  fn: () => T | Promise<T>,
): Promise<T> {
  let dir: Deno.FsFile;
  try {
    dir = await Deno.open(containerDir(root, id), { read: true });
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new DrunError("ENOTFOUND", `container ${id} does not exist`);
    }
    throw e;
  }
  try {
    await dir.lock(true);
    return await fn();
  } finally {
    dir.close();
  }
}
