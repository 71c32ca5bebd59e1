/**
 * Container state on disk: `<root>/<id>/state.json`, the exec fifo beside it, and a lock.
 * The status is never stored as truth: it is derived from the init's pid, its start time
 * (so a reused pid is not mistaken for the container) and the fifo's presence.
 * @module
 */
import { join } from "../path.ts";
import { ArgError, DrunError } from "../errors.ts";

/**
 * OCI status values (plus `paused`, as runc reports it).
 *
 * @example
 * ```ts
 * const running = (s: Status) => s === "running" || s === "paused";
 * ```
 */
export type Status = "creating" | "created" | "running" | "stopped" | "paused";

/**
 * What drun keeps per container. The OCI state fields come first.
 *
 * @example
 * ```ts
 * const c = await new Runtime("/run/drun").create("web", { bundle: "/srv/web" });
 * const st: ContainerState | undefined = c.created?.state;
 * console.log(st?.pid, st?.startTime);
 * ```
 */
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
  /**
   * While `creating`: the runtime process doing it (pid and start time). A container whose
   * creator died before its init existed reads as `stopped`, so `delete --force` removes it.
   */
  creator?: { pid: number; startTime: number };
  /**
   * With no mount namespace of its own: the mount its root bind is stacked on in the
   * runtime's namespace, which delete detaches (lib/runtime/root_bind.ts).
   */
  rootBind?: { path: string; mntNs: string; below: number };
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

/**
 * Creates the state root (when missing) and the container's directory, both 0700 as runc
 * keeps them: the directory holds the config with its environment, secrets included.
 * Throws EEXISTS when the id is taken.
 *
 * @example
 * ```ts
 * const dir = makeContainerDir("/run/drun", "c1"); // "/run/drun/c1", mode 0700
 * ```
 */
export function makeContainerDir(root: string, id: string): string {
  try {
    Deno.mkdirSync(root, { recursive: true, mode: 0o700 });
  } catch (e) {
    throw new DrunError("EINVALID_ARG", `cannot create ${root}: ${oneLine(e)}`, "--root");
  }
  // Earlier versions made the root 0711; tighten such a root, never someone else's dir.
  const st = Deno.statSync(root);
  if ((st.mode! & 0o7777) === 0o711 && st.uid === Deno.uid()) Deno.chmodSync(root, 0o700);
  const dir = containerDir(root, id);
  try {
    Deno.mkdirSync(dir, { mode: 0o700 });
  } catch (e) {
    if (e instanceof Deno.errors.AlreadyExists) {
      throw new DrunError("EEXISTS", `container with id ${id} already exists`, "id");
    }
    throw new DrunError("EINVALID_ARG", `cannot create ${dir}: ${oneLine(e)}`, "--root");
  }
  // mkdir's mode passes through the umask, which can only narrow it; chmod makes it exact.
  Deno.chmodSync(dir, 0o700);
  return dir;
}

/**
 * Stores the validated config beside the state (exec needs the container's process
 * defaults and filter whatever the bundle becomes), readable by root alone.
 *
 * @example
 * ```ts
 * writeContainerConfig("/run/drun", "c1", { ociVersion: "1.2.0" });
 * ```
 */
export function writeContainerConfig(root: string, id: string, spec: unknown): void {
  const dir = containerDir(root, id);
  writePrivate(
    join(dir, `.config.json.${Deno.pid}`),
    join(dir, "config.json"),
    JSON.stringify(spec),
  );
}

/**
 * Writes `text` to a fresh 0600 file at `tmp` and renames it over `path`, so readers never
 * see half a file and the mode never comes from a stale leftover (a killed runtime's tmp).
 */
function writePrivate(tmp: string, path: string, text: string): void {
  try {
    Deno.removeSync(tmp);
  } catch { /* usually absent */ }
  Deno.writeTextFileSync(tmp, text, { mode: 0o600, createNew: true });
  Deno.renameSync(tmp, path);
}

function oneLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).replace(/\s*\n\s*/g, " ");
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
  } catch (e) {
    // Gone (or never there) is an answer; a refused read (Deno's sandbox) is not "gone":
    // taken as such it once left a created init behind with a state that said stopped.
    if (e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied) throw e;
    return undefined; // gone, exiting (ESRCH) or never there
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
    if (state.pid > 0) return procStartTime(state.pid) === state.startTime ? "creating" : "stopped";
    const c = state.creator;
    return c && procStartTime(c.pid) === c.startTime ? "creating" : "stopped";
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
      throw new DrunError("ENOTFOUND", `container ${id} does not exist`, "id");
    }
    throw new DrunError("EBADSTATE", `cannot read the state of ${id}: ${oneLine(e)}`, "id");
  }
  let state: ContainerState;
  try {
    state = JSON.parse(text);
  } catch (e) {
    // A torn or foreign file: say which container, not just what JSON.parse saw.
    throw new DrunError("EBADSTATE", `corrupt state.json of ${id}: ${oneLine(e)}`, "id");
  }
  state.status = liveStatus(state, root, paused);
  return state;
}

/** Writes state.json atomically (rename over) so readers never see half a file. */
export function writeState(root: string, state: ContainerState): void {
  const dir = containerDir(root, state.id);
  writePrivate(
    join(dir, `.state.json.${Deno.pid}`),
    join(dir, "state.json"),
    JSON.stringify(state),
  );
}

/** Ids of all containers under root. */
export function listIds(root: string): string[] {
  const ids: string[] = [];
  try {
    for (const e of Deno.readDirSync(root)) {
      // Dot names are valid ids (as for runc) and must be listed; directories without a
      // state.json (the runtime's own caches) are skipped by the reader.
      if (e.isDirectory) ids.push(e.name);
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
      throw new DrunError("ENOTFOUND", `container ${id} does not exist`, "id");
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
