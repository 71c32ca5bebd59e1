/**
 * The runtime's side of the sync socket with a launched child: waiting for READY (running
 * hooks and taking the pty when asked), errors mapped to config fields, the messages the
 * child and the seccomp agent receive. The order of the conversation, drawn, and the steps
 * that drive it: lib/runtime/steps.ts.
 * @module
 */
import type { Spec } from "./spec/types.ts";
import { DrunError, LaunchError } from "./errors.ts";
import type { LaunchPlan } from "./plan/encode.ts";
import { describeStep } from "./plan/ops.ts";
import {
  closeFd,
  errnoText,
  MsgKind,
  recvMessage,
  sendFdTo,
  sendMessage,
  type SyncMessage,
  waitPid,
} from "./native/ffi.ts";
import { OCI_VERSION, type OciState } from "./state/oci.ts";
import { blockedSyscall } from "./seccomp/listener.ts";

/** How long {@link awaitReady} waits. */
export interface ReadyTimeouts {
  /** For the whole setup (ms). */
  timeoutMs: number;
  /**
   * With a seccomp filter: once it is installed (and any listener handed over, TIMING), the
   * init has only a few steps left; READY must follow within this (ms), or the error names
   * the syscall the init is blocked in (one a profile notifies to an agent that never answers).
   */
  agentTimeoutMs?: number;
}

/**
 * Waits for READY; an ERROR becomes a LaunchError naming the step's field.
 *
 * @example
 * ```ts ignore
 * const handoffNs = await awaitReady(plan, syncFd, pid, { timeoutMs: 60_000 });
 * ```
 */
export async function awaitReady(
  plan: LaunchPlan,
  fd: number,
  pid: number,
  timeouts: ReadyTimeouts,
  onHooks?: () => Promise<void>,
  onConsole?: (fd: number) => void,
): Promise<number | undefined> {
  let handoffNs: number | undefined;
  let deadline = Date.now() + timeouts.timeoutMs;
  let agentWait = false;
  while (true) {
    const left = Math.max(0, deadline - Date.now());
    let m;
    try {
      m = await recvMessage(fd, left);
    } catch (e) {
      if (e instanceof Deno.errors.TimedOut) throw setupTimeout(pid, timeouts, agentWait);
      throw e;
    }
    if (m === null) {
      throw new LaunchError(`container init (pid ${pid}) exited during setup`, 0);
    }
    if (m.kind === MsgKind.TIMING) {
      handoffNs = Number(m.value);
      if (timeouts.agentTimeoutMs !== undefined) {
        deadline = Math.min(deadline, Date.now() + timeouts.agentTimeoutMs);
        agentWait = true;
      }
    } else if (m.kind === MsgKind.READY) return handoffNs;
    else if (m.kind === MsgKind.ERROR) throw launchError(plan, m);
    else if (m.kind === MsgKind.CONSOLE && m.fd !== undefined) {
      if (onConsole) onConsole(m.fd);
      else closeFd(m.fd);
    } else if (m.kind === MsgKind.HOOKS) {
      await onHooks?.();
      sendMessage(fd, MsgKind.GO);
    }
  }
}

/** The error for an init that did not get READY in time, naming what it is blocked in. */
function setupTimeout(pid: number, t: ReadyTimeouts, agentWait: boolean): LaunchError {
  const blocked = blockedSyscall(pid);
  if (agentWait) {
    return new LaunchError(
      `the seccomp agent did not answer the init's ${
        blocked ?? "syscall"
      } within ${t.agentTimeoutMs} ms`,
      110,
      "linux.seccomp.listenerPath",
    );
  }
  const where = blocked ? ` (blocked in ${blocked})` : "";
  return new LaunchError(
    `container init did not finish its setup within ${t.timeoutMs} ms${where}`,
    110,
  );
}

/**
 * A FORK_PID step of the plan (new namespaces, a joined pid namespace): the process forks
 * its successor as our child, sends its pid and exits. Reap it, return the successor;
 * `failure` is the error when no pid comes.
 *
 * @example
 * ```ts ignore
 * const init = await initFromFork(plan, syncFd, launchedPid);
 * ```
 */
export async function initFromFork(
  plan: LaunchPlan,
  fd: number,
  child: number,
  failure = "joining the pid namespace failed",
): Promise<number> {
  const m = await recvMessage(fd, 10_000);
  await waitPid(child).catch(() => {});
  if (m?.kind === MsgKind.ERROR) throw launchError(plan, m);
  if (m?.kind !== MsgKind.PID) throw new LaunchError(failure, 0);
  return Number(m.value);
}

/**
 * After READY, the process's execve: its sync socket closes on exec (EOF), or an ERROR names
 * the step that failed (a missing binary, a refused exec).
 *
 * @example
 * ```ts ignore
 * await awaitExec(plan, syncFd); // `exec` waits here; `create` once `start` released it
 * ```
 */
export async function awaitExec(plan: LaunchPlan, fd: number): Promise<void> {
  const m = await recvMessage(fd, -1);
  if (m?.kind === MsgKind.ERROR) throw launchError(plan, m);
}

/** Turns the child's (step, errno, detail) into an error naming the config field and step. */
export function launchError(plan: LaunchPlan, m: SyncMessage): LaunchError {
  const op = plan.ops[m.step];
  // A step past the plan is drun-init failing before its first op (zig/src/init.zig).
  const action = op ? describeStep(op) : "start the container init";
  const why = m.errno ? `${m.detail}: ${errnoText(m.errno)}` : m.detail;
  return new LaunchError(`${action}: ${why}`, m.errno, op?.field);
}

/**
 * What to do with the pty master: send it to the console socket, or give it to the caller.
 * A terminal with neither is refused before anything starts (where would it go?).
 */
export function consoleHandler(
  terminal: boolean | undefined,
  opts: { consoleSocket?: string; onConsole?: (fd: number) => void },
): ((fd: number) => void) | undefined {
  if (!terminal) {
    if (opts.consoleSocket) {
      throw new DrunError("EINVALID_ARG", "only valid with process.terminal", "--console-socket");
    }
    return undefined;
  }
  if (opts.consoleSocket) {
    const path = opts.consoleSocket;
    return (fd) => {
      try {
        sendFdTo(path, fd);
      } finally {
        closeFd(fd);
      }
    };
  }
  if (opts.onConsole) return opts.onConsole;
  throw new DrunError("EINVALID_ARG", "a terminal needs --console-socket", "process.terminal");
}

/** JSON as UTF-8 bytes. */
export function encodeJson(v: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(v));
}

/**
 * The message a seccomp agent receives with the listener fd: the OCI "container process
 * state", `pid` being the filtered process (the init, or the exec'd process).
 */
export function seccompPayload(spec: Spec, pid: number, state: OciState): Uint8Array {
  return encodeJson({
    ociVersion: OCI_VERSION,
    fds: ["seccompFd"],
    pid,
    metadata: spec.linux?.seccomp?.listenerMetadata ?? "",
    state,
  });
}
