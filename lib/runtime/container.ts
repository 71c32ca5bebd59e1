/**
 * A handle on one container: start, state, kill, wait, exec, delete, its stdio streams, and
 * `await using` (Symbol.asyncDispose deletes it with force).
 * @module
 */
import type { Process } from "../spec/types.ts";
import { DrunError } from "../errors.ts";
import { type ExitStatus, killPid, loadNative, waitPid } from "../native/ffi.ts";
import { readState } from "../state/store.ts";
import type { OciState } from "../state/oci.ts";
import type { ContainerStdio } from "../stdio.ts";
import { waitInit, type WaitStatus } from "../wait.ts";
import type { ExecOptions, ExecResult } from "./exec.ts";
import type { CreateResult } from "./options.ts";

/**
 * What a Container asks of its Runtime (lib/runtime.ts implements it; declared here so the
 * two modules do not import each other).
 *
 * @example
 * ```ts ignore
 * const host: ContainerRuntime = new Runtime("/run/drun");
 * ```
 */
export interface ContainerRuntime {
  /** The state root. */
  readonly root: string;
  /** Releases a created container's process. */
  start(id: string): Promise<void>;
  /** The OCI state of a container. */
  state(id: string): OciState;
  /** Sends a signal to the init (or to every process with `all`). */
  kill(id: string, signal?: string | number, all?: boolean): Promise<void>;
  /** Deletes a container. */
  delete(id: string, opts?: { force?: boolean }): Promise<void>;
  /** Runs another process in the container. */
  exec(
    id: string,
    process: Process,
    opts?: ExecOptions & { signal?: AbortSignal },
  ): Promise<ExecResult>;
}

/**
 * One container of a Runtime. With `await using`, it is deleted (with force) when the scope
 * ends, and the parent's ends of its stdio pipes are closed.
 *
 * @example
 * ```ts ignore
 * import { defaultSpec, Runtime } from "jsr:@drun/drun";
 * const rt = new Runtime("/run/drun");
 * const spec = defaultSpec({ args: ["/bin/echo", "hi"], terminal: false });
 * spec.root = { path: "/srv/rootfs" };
 * await using c = await rt.create("demo", { spec, stdio: { stdout: "pipe" } });
 * await c.start();
 * console.log(await new Response(c.stdout).text()); // "hi\n"
 * console.log(await c.wait()); // { code: 0 }
 * ```
 */
export class Container implements AsyncDisposable {
  /** The runtime it belongs to. */
  readonly runtime: ContainerRuntime;
  /** Its id. */
  readonly id: string;
  /** What `create` learned, when this handle came from `create`. */
  readonly created?: CreateResult;
  /** Writes to the process's stdin, when `create` had `stdio` `"pipe"` for it. */
  readonly stdin?: WritableStream<Uint8Array>;
  /** The process's stdout, when `create` had `stdio` `"pipe"` for it. */
  readonly stdout?: ReadableStream<Uint8Array>;
  /** The process's stderr, when `create` had `stdio` `"pipe"` for it. */
  readonly stderr?: ReadableStream<Uint8Array>;
  #stdio?: ContainerStdio;
  #exit?: Promise<WaitStatus>;

  /** A handle; prefer Runtime.create / Runtime.get. */
  constructor(
    runtime: ContainerRuntime,
    id: string,
    created?: CreateResult,
    stdio?: ContainerStdio,
  ) {
    this.runtime = runtime;
    this.id = id;
    this.created = created;
    this.#stdio = stdio;
    this.stdin = stdio?.stdin;
    this.stdout = stdio?.stdout;
    this.stderr = stdio?.stderr;
  }

  /**
   * Releases the process (runs `execve`). Aborting `signal` before it has exec'd deletes the
   * container (with force) and rejects with the signal's reason.
   */
  async start(opts: { signal?: AbortSignal } = {}): Promise<void> {
    await this.undoOnAbort(opts.signal, async () => {
      await this.runtime.start(this.id);
      if (this.created?.execDone) await this.created.execDone();
    }, () => this.delete({ force: true }));
  }

  /** The OCI state. */
  state(): OciState {
    return this.runtime.state(this.id);
  }

  /** Sends a signal to the init, or with `all` to every process of the container. */
  async kill(signal: string | number = "SIGTERM", all = false): Promise<void> {
    await this.runtime.kill(this.id, signal, all);
  }

  /**
   * Waits for the init to exit. In the process that created the container it resolves to the
   * exit status (the same one on every call); in any other process to `{}`: the kernel gives
   * a status only to the parent. Aborting `signal` stops the wait, not the container.
   */
  async wait(opts: { signal?: AbortSignal } = {}): Promise<WaitStatus> {
    await loadNative();
    if (!this.#exit) {
      const st = this.created?.state ?? readState(this.runtime.root, this.id);
      const exit = waitInit(st, opts.signal);
      this.#exit = exit;
      // An aborted wait must not stick: the next call waits afresh.
      exit.catch(() => this.#exit === exit && (this.#exit = undefined));
      return await exit;
    }
    const exit = this.#exit;
    const signal = opts.signal;
    if (!signal) return await exit;
    signal.throwIfAborted();
    let onAbort = () => {};
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(signal.reason);
      signal.addEventListener("abort", onAbort, { once: true });
    });
    try {
      return await Promise.race([exit, aborted]);
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
  }

  /**
   * Runs another process in the container (see Runtime.exec). Aborting `signal` kills that
   * process (SIGKILL) and rejects with the signal's reason; with `detach`, the signal covers
   * the call only (until the process has exec'd).
   */
  async exec(
    process: Process,
    opts: ExecOptions & { signal?: AbortSignal } = {},
  ): Promise<ExecResult> {
    const { signal, ...rest } = opts;
    // With library stdio the runtime reads the pipes and takes the signal itself.
    if (opts.stdio !== undefined || opts.input !== undefined) {
      return await this.runtime.exec(this.id, process, opts);
    }
    if (!signal) return await this.runtime.exec(this.id, process, rest);
    signal.throwIfAborted();
    // Detached, so the pid is known before the wait an abort must cut short.
    const { pid } = await this.runtime.exec(this.id, process, { ...rest, detach: true });
    const kill = async () => {
      killPid(pid, 9);
      await waitPid(pid).catch(() => {});
    };
    if (signal.aborted) {
      await kill();
      throw signal.reason;
    }
    if (opts.detach) return { pid, wait: () => waitPid(pid) };
    try {
      const st = await waitInit({ pid }, signal);
      // The exec'd process is a child of this one: its status is known.
      return { pid, status: st.code === undefined ? undefined : st as ExitStatus };
    } catch (e) {
      if (signal.aborted) await kill();
      throw e;
    }
  }

  /** Deletes the container; `force` kills it first if it runs. */
  async delete(opts: { force?: boolean } = {}): Promise<void> {
    await this.runtime.delete(this.id, opts);
  }

  /** `await using`: deletes the container with force (if it still exists), closes its pipes. */
  async [Symbol.asyncDispose](): Promise<void> {
    try {
      await this.delete({ force: true });
    } catch (e) {
      if (!(e instanceof DrunError && e.code === "ENOTFOUND")) throw e;
    } finally {
      this.#stdio?.close();
    }
  }

  /** Runs `work`; when `signal` aborts meanwhile, runs `undo` and rejects with its reason. */
  private async undoOnAbort(
    signal: AbortSignal | undefined,
    work: () => Promise<void>,
    undo: () => Promise<void>,
  ): Promise<void> {
    signal?.throwIfAborted();
    try {
      await work();
    } catch (e) {
      if (!signal?.aborted) throw e;
    }
    if (signal?.aborted) {
      await undo();
      throw signal.reason;
    }
  }
}
