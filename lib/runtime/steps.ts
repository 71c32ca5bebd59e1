/**
 * The steps `create` (./create.ts) and `exec` (./exec.ts) share to start a process from a
 * plan, in order: prepare → launch → configure → handshake, and one undo when any of them
 * fails. The conversation on the sync socket they drive (lib/launch.ts reads the messages):
 *
 * ```
 *  runtime (Deno)                                      child (drun-init walking the plan)
 *  prepare    compile the filter; connect the
 *             agent's socket when it notifies
 *  launch     drun_launch(plan) ────────────────────>  clone + execveat(sealed memfd)
 *             close our listener fd (the child has
 *             its own copy now)
 *             <─────────────────────────────── PID ──  FORK_PID: fork the successor, exit
 *             reap the forker (once per FORK_PID)
 *  configure  the caller's: uid/gid maps, cgroups,     WAIT_PARENT
 *             state.json
 *  handshake  GO + payload ─────────────────────────>  the rest of the plan
 *             <───────────────────────────── HOOKS ──  create: the mounts exist
 *             the runtime's hooks, then GO ─────────>
 *             <─────────────────────────── CONSOLE ──  the pty master (process.terminal)
 *             <──────────────────────────── TIMING ──  filter installed, listener fd sent
 *             <──────────────────── READY or ERROR ──  step, errno, detail
 *  later      <─────────────── ERROR, or EOF at exec ─  execve (create: after `start`)
 *  abort      SIGKILL and reap the last pid known, close our fds (any failure above)
 * ```
 * @module
 */
import type { Spec } from "../spec/types.ts";
import type { PlanInput } from "../plan/input.ts";
import { encodePlan, type LaunchPlan, Op } from "../plan/encode.ts";
import { closeFd, killPid, launch, MsgKind, sendMessage, waitPid } from "../native/ffi.ts";
import type { OciState } from "../state/oci.ts";
import { compileSeccompCached } from "../seccomp/compile.ts";
import { UNKNOWN_SYSCALL } from "../seccomp/intervals.ts";
import { validatedSeccomp } from "../spec/validate/linux.ts";
import { connectListener, seccompTimeoutMs } from "../seccomp/listener.ts";
import {
  awaitExec,
  awaitReady,
  initFromFork,
  type ReadyTimeouts,
  seccompPayload,
} from "../launch.ts";
import type { Warn } from "./options.ts";

/**
 * The container's filter, ready for a plan.
 *
 * @example
 * ```ts ignore
 * const seccomp: PreparedSeccomp | undefined = prepareSeccomp(spec);
 * ```
 */
export interface PreparedSeccomp {
  /** The plan input's `seccomp`; its `listenerFd` is -1 until the listener is connected. */
  readonly input: NonNullable<PlanInput["seccomp"]>;
  /** The agent's socket, when the filter notifies. */
  readonly listenerPath?: string;
}

/**
 * prepare: compiles the spec's filter and routes the compiler's warnings (names this
 * kernel's tables do not know are only debug notes: engines' default profiles list several).
 * Without `log` the warnings are dropped, as `exec` does: `create` said them already.
 *
 * @example
 * ```ts ignore
 * const seccomp = prepareSeccomp(spec, { warn: console.warn, debug: () => {} });
 * const plan = buildPlan({ spec, rootfs, fifoPath, seccomp: seccomp?.input });
 * ```
 */
export function prepareSeccomp(
  spec: Spec,
  log?: { warn: Warn; debug: Warn },
): PreparedSeccomp | undefined {
  const profile = spec.linux?.seccomp;
  if (!profile) return undefined;
  // A cold compile of Docker's profile costs ~10 ms per CLI process; from the per-user
  // cache (keyed by profile, compiler and table hashes) under 1 ms.
  // validateSpec's checked profile, when the spec came from it: compiled without a second pass.
  const compiled = compileSeccompCached(profile, {
    path: "linux.seccomp",
    valid: validatedSeccomp(profile),
  });
  if (log) {
    for (const w of compiled.warnings) (w.includes(UNKNOWN_SYSCALL) ? log.debug : log.warn)(w);
  }
  return {
    input: {
      program: compiled.program,
      flags: compiled.flags,
      listenerFd: compiled.usesNotify ? -1 : undefined,
      timeoutMs: seccompTimeoutMs(spec.annotations),
    },
    listenerPath: compiled.usesNotify ? profile.listenerPath : undefined,
  };
}

/**
 * The message the seccomp agent gets with the listener fd (empty when the filter does not
 * notify): the state of the filtered process `pid`.
 *
 * @example
 * ```ts ignore
 * const msg = agentMessage(seccomp, spec, pid, { ...toOciState(st), status: "running" });
 * ```
 */
export function agentMessage(
  seccomp: PreparedSeccomp | undefined,
  spec: Spec,
  pid: number,
  state: OciState,
): Uint8Array {
  return seccomp?.listenerPath ? seccompPayload(spec, pid, state) : new Uint8Array();
}

/** What {@link LaunchHandle.handshake} sends and waits with. */
export interface Handshake {
  /** GO's payload (the hook states, the agent's message), passed as a sealed memfd. */
  payload?: Uint8Array;
  /** GO's value (create: the lengths of the two hook states). */
  value?: bigint;
  /** How long READY may take. */
  timeouts: ReadyTimeouts;
  /** Runs the runtime's hooks when the child asks (HOOKS). */
  onHooks?: () => Promise<void>;
  /** Receives the pty master (CONSOLE). */
  onConsole?: (fd: number) => void;
  /** Called once GO is sent (create's timing mark). */
  onGo?: () => void;
}

/**
 * One launched plan: the pid (the forker's until each PID arrives, then the last
 * successor's), the sync socket and the agent's listener. What it holds, {@link abort} and
 * {@link close} undo; `create` and `exec` call them from their catch and finally.
 *
 * @example
 * ```ts ignore
 * const launched = new LaunchHandle();
 * try {
 *   launched.connectNotifyListener(seccomp);
 *   const plan = buildExecPlan({ process, linux, namespaces, seccomp: seccomp?.input });
 *   const pid = await launched.launch(plan, stdioFds);
 *   cgroups?.join(pid);
 *   await launched.handshake({ timeouts: { timeoutMs: 60_000 } });
 * } catch (e) {
 *   await launched.abort();
 *   throw e;
 * } finally {
 *   launched.close();
 * }
 * ```
 */
export class LaunchHandle {
  /** The child's pid (0 before launch). */
  pid = 0;
  /** The runtime's end of the sync socket (-1 when none or taken). */
  syncFd = -1;
  /** The connection to the seccomp agent until the child has its copy (-1 when none). */
  listenerFd = -1;
  /** The plan launched, which names the step of an ERROR. */
  plan?: LaunchPlan;

  /**
   * prepare: connects the agent's socket when the filter notifies and puts its fd in the
   * plan input (a plan built before this carries -1: build it again).
   */
  connectNotifyListener(seccomp: PreparedSeccomp | undefined): boolean {
    if (!seccomp?.listenerPath) return false;
    this.listenerFd = connectListener(seccomp.listenerPath);
    seccomp.input.listenerFd = this.listenerFd;
    return true;
  }

  /**
   * launch: starts the plan and follows each fork of its head (new namespaces, a joined pid
   * namespace) to the process that runs the rest; returns that pid. `forkFailure` is the
   * error for a fork that sends no pid.
   */
  async launch(
    plan: LaunchPlan,
    stdioFds: readonly number[] | undefined,
    forkFailure?: string,
  ): Promise<number> {
    this.plan = plan;
    ({ pid: this.pid, syncFd: this.syncFd } = launch(encodePlan(plan), stdioFds));
    // The clone has its own copy (drun_launch returns once it has exec'd drun-init).
    this.#closeListener();
    for (const _ of plan.ops.filter((o) => o.kind === Op.FORK_PID)) {
      this.pid = await initFromFork(plan, this.syncFd, this.pid, forkFailure);
    }
    return this.pid;
  }

  /** handshake: GO, then the child's messages until READY; returns the seccomp handoff ns. */
  async handshake(h: Handshake): Promise<number | undefined> {
    sendMessage(this.syncFd, MsgKind.GO, h.payload, h.value);
    h.onGo?.();
    return await awaitReady(
      this.#plan(),
      this.syncFd,
      this.pid,
      h.timeouts,
      h.onHooks,
      h.onConsole,
    );
  }

  /** After READY: resolves once the process has exec'd, throws the step when it could not. */
  async awaitExec(): Promise<void> {
    await awaitExec(this.#plan(), this.syncFd);
  }

  /** Hands the sync socket over to the caller, who closes it; {@link close} then leaves it. */
  takeSyncFd(): number {
    const fd = this.syncFd;
    this.syncFd = -1;
    return fd;
  }

  /** On any failure: kills the last pid known and reaps it. */
  async abort(): Promise<void> {
    if (this.pid <= 0) return;
    killPid(this.pid, 9);
    await waitPid(this.pid).catch(() => {});
  }

  /** Closes the fds still held (finally, whether it worked or not). */
  close(): void {
    this.#closeListener();
    if (this.syncFd >= 0) closeFd(this.takeSyncFd());
  }

  #closeListener(): void {
    if (this.listenerFd < 0) return;
    closeFd(this.listenerFd);
    this.listenerFd = -1;
  }

  #plan(): LaunchPlan {
    if (!this.plan) throw new Error("LaunchHandle: not launched");
    return this.plan;
  }
}
