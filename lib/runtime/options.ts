/**
 * The options and results of the runtime's calls (create, run), and the default state root.
 * @module
 */
import type { Spec } from "../spec/types.ts";
import type { ContainerState } from "../state/store.ts";
import type { StdioOption } from "../stdio.ts";

/** Default state root, as runc's /run/runc. */
export const DEFAULT_ROOT = "/run/drun";

/**
 * Options for `create`.
 *
 * @example
 * ```ts
 * const opts: CreateOptions = {
 *   bundle: "/srv/web",
 *   stdio: { stdin: "null", stdout: "pipe", stderr: "inherit" },
 *   signal: AbortSignal.timeout(30_000),
 * };
 * const c = await new Runtime("/run/drun").create("web", opts);
 * ```
 */
export interface CreateOptions {
  /** Bundle directory (config.json and, usually, the rootfs). Defaults to the cwd. */
  bundle?: string;
  /** An in-memory spec to use instead of `<bundle>/config.json`. */
  spec?: Spec;
  /** Write the init's host pid here. */
  pidFile?: string;
  /** Use MS_MOVE + chroot instead of pivot_root. */
  noPivot?: boolean;
  /** Pass fds 3 .. 3+N-1 to the container process. */
  preserveFds?: number;
  /** Keep the caller's session keyring instead of a new one (runc's --no-new-keyring). */
  noNewKeyring?: boolean;
  /**
   * Socket-activation fds (systemd's LISTEN_FDS): fds 3 .. 3+N-1 are passed and the process
   * gets LISTEN_FDS=N and LISTEN_PID=1, as runc does.
   */
  listenFds?: number;
  /** With process.terminal: a unix socket to send the pty master to (as runc/crun do). */
  consoleSocket?: string;
  /** With process.terminal and no consoleSocket: receives the pty master fd. */
  onConsole?: (fd: number) => void;
  /** How long to wait for the init to finish its setup (ms). */
  timeoutMs?: number;
  /**
   * The container process's stdin, stdout and stderr as fds of this process (each is dup'ed
   * into the init; -1 or absent: this process's own). The caller keeps and closes its fds.
   */
  stdioFds?: readonly number[];
  /**
   * The container process's stdin, stdout and stderr (all three, or one mode per stream):
   * `"inherit"` (default), `"pipe"` (then `Container.stdin`, `.stdout`, `.stderr` are
   * streams), `"null"`, or an fd of this process. The init holds them until `start` hands
   * them to the process. Only `Runtime.create` and `run` read it; excludes `stdioFds`.
   */
  stdio?: StdioOption;
  /**
   * Aborting it during the call kills the init and leaves nothing behind (no state dir,
   * cgroup or process); the call rejects with the signal's reason.
   */
  signal?: AbortSignal;
  /**
   * Keep the sync socket so `CreateResult.execDone` can report a failure between `start`
   * and execve (only meaningful when this process also starts the container).
   */
  watchExec?: boolean;
}

/**
 * What `create` learned on the way (for benchmarks and tests).
 *
 * @example
 * ```ts
 * const r: CreateResult = await new Runtime("/run/drun").createWithResult("web", {
 *   bundle: "/srv/web",
 * });
 * console.log(r.state.pid, r.handoffNs);
 * ```
 */
export interface CreateResult {
  /** The stored state. */
  state: ContainerState;
  /** Nanoseconds from seccomp filter install to the listener fd sent, when notifying. */
  handoffNs?: number;
  /**
   * With `watchExec`: resolves once the process has exec'd, rejects with the failing step
   * when it could not (after `start`).
   */
  execDone?: () => Promise<void>;
}

/**
 * Logger hook used for warnings (unknown seccomp syscalls etc.).
 *
 * @example
 * ```ts
 * const rt = new Runtime("/run/drun", (msg) => console.warn(`drun: ${msg}`));
 * ```
 */
export type Warn = (msg: string) => void;

/**
 * Options of `Runtime.run`: those of `create`, and what to feed and capture.
 *
 * @example
 * ```ts
 * const opts: RunOptions = { id: "job1", input: "data for stdin", text: true };
 * const r = await new Runtime("/run/drun").run("/srv/job", opts);
 * ```
 */
export interface RunOptions extends Omit<CreateOptions, "spec" | "bundle" | "watchExec"> {
  /** The container id (default `run-<uuid>`). */
  id?: string;
  /** With a Spec as the source: the bundle directory its relative paths are under (cwd). */
  bundle?: string;
  /** Written to the process's stdin, then closed (stdin becomes a pipe). */
  input?: string | Uint8Array;
  /** Decode the captured stdout and stderr as UTF-8 text. */
  text?: boolean;
}

/**
 * What `Runtime.run` returns.
 *
 * @example
 * ```ts
 * const r: RunResult<string> = await new Runtime("/run/drun").run("/srv/job", { text: true });
 * if (r.code !== 0) console.error(`failed (${r.code}): ${r.stderr}`);
 * ```
 */
export interface RunResult<T extends string | Uint8Array = Uint8Array> {
  /** Exit code (128+signal when killed). */
  code: number;
  /** The signal that ended the process, if any. */
  signal?: number;
  /** Everything the process wrote to stdout (empty unless it was a pipe). */
  stdout: T;
  /** Everything the process wrote to stderr (empty unless it was a pipe). */
  stderr: T;
}
