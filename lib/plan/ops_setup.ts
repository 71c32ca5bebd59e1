/**
 * Constructors of the ops that sequence the init: namespaces, the handshakes with the runtime,
 * hooks, the terminal, fds, names and files, and the execve at the end. Each argument says
 * which number or string of the op it is and what zig/src/child.zig does with it;
 * tests/unit/plan_ops_test.ts checks the positions.
 * @module
 */
import { Op, type PlanOp, planOp, type Step } from "./encode.ts";

/** RUN_HOOK: a hook run by the init itself, in the container's namespaces. */
export interface RunHookArgs extends Step {
  /** str 0: the program executed. */
  path: string;
  /** strs 1..: its argv (num 0 is their count). */
  args: string[];
  /** strs after argv: its environment. */
  env: string[];
  /** num 1: killed after this many ms (0: no limit). */
  timeoutMs: number;
  /** num 2: the state JSON on its stdin, the container `creating` (0) or `created` (1). */
  state: "creating" | "created";
}

/**
 * The sequencing op constructors.
 *
 * @example
 * ```ts
 * const op = setupOps.setns({
 *   field: "linux.namespaces[0]",
 *   action: "join network namespace /proc/1/ns/net",
 *   nsFlag: 0x40000000,
 *   path: "/proc/1/ns/net",
 * });
 * ```
 */
export const setupOps = {
  /** SIGNALS_RESET: every handler back to SIG_DFL, the signal mask emptied. */
  signalsReset: (a: Step): PlanOp => planOp(Op.SIGNALS_RESET, a),
  /** WAIT_PARENT: wait for the runtime's GO (id maps, cgroups); its payload is kept for later ops. */
  waitParent: (a: Step): PlanOp => planOp(Op.WAIT_PARENT, a),
  /** SETNS: str 0 opened and joined with setns(fd, num 0), a CLONE_NEW* flag. */
  setns: (a: Step & { nsFlag: number; path: string }): PlanOp =>
    planOp(Op.SETNS, a, [a.nsFlag], [a.path]),
  /** UNSHARE: unshare(num 0). */
  unshare: (a: Step & { flags: number }): PlanOp => planOp(Op.UNSHARE, a, [a.flags]),
  /**
   * FORK_PID: a child cloned with CLONE_NEW* flags num 0 (0: none, to enter a joined pid
   * namespace) carries on; this process reports its pid and exits.
   */
  forkPid: (a: Step & { cloneFlags: number }): PlanOp => planOp(Op.FORK_PID, a, [a.cloneFlags]),
  /** SYNC_HOOKS: tell the runtime to run its hooks, wait for its GO. */
  syncHooks: (a: Step): PlanOp => planOp(Op.SYNC_HOOKS, a),
  /** RUN_HOOK. */
  runHook: (a: RunHookArgs): PlanOp =>
    planOp(Op.RUN_HOOK, a, [a.args.length, a.timeoutMs, a.state === "created" ? 1 : 0], [
      a.path,
      ...a.args,
      ...a.env,
    ]),
  /** OPEN_SLOT: str 0 opened with open flags num 1, the fd kept in slot num 0 (0-7). */
  openSlot: (a: Step & { slot: number; flags: number; path: string }): PlanOp =>
    planOp(Op.OPEN_SLOT, a, [a.slot, a.flags], [a.path]),
  /** FIFO_WAIT: the exec fifo in slot num 0 reopened for writing: blocks until `start`. */
  fifoWait: (a: Step & { slot: number }): PlanOp => planOp(Op.FIFO_WAIT, a, [a.slot]),
  /** READY: tell the runtime setup is done. */
  ready: (a: Step): PlanOp => planOp(Op.READY, a),
  /** SETSID: a new session (already a leader is fine). */
  setsid: (a: Step): PlanOp => planOp(Op.SETSID, a),
  /** CONSOLE: a pty, its master sent to the runtime, sized num 0 rows x num 1 cols (0: as is). */
  console: (a: Step & { rows: number; cols: number }): PlanOp =>
    planOp(Op.CONSOLE, a, [a.rows, a.cols]),
  /** KEYRING: join a new session keyring named str 0 (no keyring support is no failure). */
  keyring: (a: Step & { name: string }): PlanOp => planOp(Op.KEYRING, a, [], [a.name]),
  /**
   * CLOSE_FDS: every fd from num 0 up closed, but the sync socket, the slots and nums 1..
   * (`keep`).
   */
  closeFds: (a: Step & { from: number; keep: number[] }): PlanOp =>
    planOp(Op.CLOSE_FDS, a, [a.from, ...a.keep]),
  /** LO_UP: the loopback interface brought up. */
  loUp: (a: Step): PlanOp => planOp(Op.LO_UP, a),
  /** SETHOSTNAME: str 0. */
  sethostname: (a: Step & { name: string }): PlanOp => planOp(Op.SETHOSTNAME, a, [], [a.name]),
  /** SETDOMAINNAME: str 0. */
  setdomainname: (a: Step & { name: string }): PlanOp => planOp(Op.SETDOMAINNAME, a, [], [a.name]),
  /** WRITE_FILE: str 1 written to the existing file str 0 (truncated), in one write. */
  writeFile: (a: Step & { path: string; content: string }): PlanOp =>
    planOp(Op.WRITE_FILE, a, [], [a.path, a.content]),
  /**
   * RESOLVE_EXEC: str 0 found as execvp would, along str 1 (a PATH) when it has no slash, and
   * checked to be an executable regular file; EXEC runs what it found.
   */
  resolveExec: (a: Step & { file: string; searchPath: string }): PlanOp =>
    planOp(Op.RESOLVE_EXEC, a, [], [a.file, a.searchPath]),
  /** EXEC: execve of what RESOLVE_EXEC found, argv the first num 0 strings, envp the rest. */
  exec: (a: Step & { args: string[]; env: string[] }): PlanOp =>
    planOp(Op.EXEC, a, [a.args.length], [...a.args, ...a.env]),
};
