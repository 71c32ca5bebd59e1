/**
 * Waiting for a container's init from any process. The kernel hands an exit status only to
 * the parent (wait4), so the process that created the container learns the code; any other
 * process waits on a pidfd and learns only that the init has exited.
 * @module
 */
import { closeFd, pidfdOpen, pidfdWait, waitPid } from "./native/ffi.ts";

/**
 * How a container's init ended, as far as the waiting process can know.
 *
 * @example
 * ```ts
 * // In a process other than the one that created "web":
 * const st: WaitStatus = await new Runtime("/run/drun").wait("web");
 * console.log(st.code === undefined ? "exited" : `exited with ${st.code}`);
 * ```
 */
export interface WaitStatus {
  /**
   * Exit code (128+signal when killed, as a shell reports it). Undefined when the waiting
   * process is not the init's parent: only the parent can read an exit status (runc and crun
   * have the same limit; their engines keep the parent, a shim, alive to read it).
   */
  code?: number;
  /** The signal that ended the process, when known. */
  signal?: number;
}

/** Which pid to wait for, and the start time that tells it from a later process with its pid. */
export interface InitIdentity {
  /** Host pid of the init. */
  pid: number;
  /** Its start time in clock ticks (field 22 of /proc/<pid>/stat). */
  startTime?: number;
}

/** How often a wait checks its AbortSignal while the init runs. */
const SLICE_MS = 250;

/**
 * Resolves once the init has exited. A child of this process is reaped and its status
 * returned; any other process yields `{}` (exited, status unknown). Aborting `signal` stops
 * the wait (it leaves the container alone) and rejects with the signal's reason.
 *
 * @example
 * ```ts ignore
 * import { waitInit } from "./wait.ts";
 * const st = await waitInit({ pid: 1234, startTime: 5678 }, AbortSignal.timeout(10_000));
 * console.log(st.code ?? "exited (status known only to the creating process)");
 * ```
 */
export async function waitInit(init: InitIdentity, signal?: AbortSignal): Promise<WaitStatus> {
  signal?.throwIfAborted();
  const own = isChild(init);
  let fd: number;
  try {
    fd = pidfdOpen(init.pid);
  } catch {
    // ESRCH: gone (and reaped) already.
    return {};
  }
  try {
    // The pidfd names whatever has the pid now: a child of ours cannot be reused before we
    // reap it, anything else must still have the init's start time.
    if (!own && !sameProcess(init)) return {};
    while (!(await pidfdWait(fd, SLICE_MS))) signal?.throwIfAborted();
  } finally {
    closeFd(fd);
  }
  return own ? await waitPid(init.pid) : {};
}

/** The status fields of /proc/<pid>/stat after the comm field, or undefined when gone. */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    // comm may hold spaces and parentheses: the fields start after the last ')'.
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  } catch {
    return undefined;
  }
}

/** True when the init (running or a zombie) is a child of this process. */
function isChild(init: InitIdentity): boolean {
  const f = statFields(init.pid);
  if (!f || Number(f[1]) !== Deno.pid) return false;
  return init.startTime === undefined || Number(f[19]) === init.startTime;
}

/** True when the pid still belongs to the init and it has not exited. */
function sameProcess(init: InitIdentity): boolean {
  const f = statFields(init.pid);
  if (!f || f[0] === "Z" || f[0] === "X") return false;
  return init.startTime === undefined || Number(f[19]) === init.startTime;
}
