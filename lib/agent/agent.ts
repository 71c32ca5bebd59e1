/**
 * A seccomp user-notification agent: listens on a unix socket for the listener fds that drun
 * (or any OCI runtime) sends for `linux.seccomp.listenerPath`, and answers every notified
 * syscall through a handler. Each container's listener is served by its own loop, so many
 * containers are served at once and a slow handler only delays its own syscall.
 * @module
 */
import {
  accept,
  ADDFD_FLAG_SEND,
  ADDFD_FLAG_SETFD,
  closeFd,
  notifAddFd,
  notifIdValid,
  notifRecv,
  notifSend,
  unixListen,
} from "./ffi.ts";
import {
  encodeResponse,
  type Notification,
  type Response,
  toNotification,
} from "./notification.ts";
import { type ContainerProcessState, DEFAULT_MAX_STATE_BYTES, readHandshake } from "./handshake.ts";
import { readMemory, readString } from "./memory.ts";

/**
 * What a handler gets besides the notification: the listener and helpers bound to it.
 *
 * @example
 * ```ts
 * const handler: NotificationHandler = async (n, ctx: NotificationContext) => {
 *   const path = await ctx.readString(n.args[1]); // mkdirat's pathname
 *   return path.startsWith("/tmp/") ? { continue: true } : { error: 13 };
 * };
 * ```
 */
export interface NotificationContext {
  /** The listener fd of this container. */
  notifFd: number;
  /** The container process state sent with it. */
  state: ContainerProcessState;
  /** Whether the notification is still pending (the task has not been killed). */
  valid(): boolean;
  /** Reads the task's memory, checking the notification is valid before and after. */
  readMemory(addr: bigint, len: number): Promise<Uint8Array>;
  /** Reads a NUL-terminated string from the task's memory, with the same checks. */
  readString(addr: bigint, max?: number): Promise<string>;
  /**
   * Installs `srcfd` into the task (close-on-exec there) and returns its number there. With
   * `send`, the kernel also answers the syscall with that number and the handler's own answer
   * is not sent.
   */
  addFd(srcfd: number, opts?: { newfd?: number; send?: boolean }): number;
}

/**
 * Answers one notification. Throwing or rejecting answers ENOSYS and reports via onError.
 *
 * @example
 * ```ts
 * const handler: NotificationHandler = (n) =>
 *   n.syscall === "mkdir" ? { error: 1 } : { continue: true };
 * ```
 */
export type NotificationHandler = (
  n: Notification,
  ctx: NotificationContext,
) => Response | Promise<Response>;

/**
 * Something the agent did, for logs and tests.
 *
 * @example
 * ```ts
 * const log = (e: AgentEvent) => {
 *   if (e.type === "notification") console.log(e.containerId, e.syscall, e.response);
 * };
 * ```
 */
export type AgentEvent =
  | {
    type: "connection";
    at: number;
    state: ContainerProcessState;
    fdsReceived: number;
    bytes: number;
  }
  | {
    type: "notification";
    at: number;
    containerId: string;
    pid: number;
    nr: number;
    syscall?: string;
    response: Response;
    /** errno of the answer when the kernel refused it (ENOENT: the task moved on). */
    sendErrno?: number;
  }
  | {
    type: "listener-closed";
    at: number;
    containerId: string;
    reason: "gone" | "closed" | "error";
  }
  | { type: "error"; at: number; where: string; message: string };

/**
 * Options of {@link SeccompAgent.listen}.
 *
 * @example
 * ```ts
 * const opts: AgentOptions = {
 *   handler: () => ({ continue: true }),
 *   onError: (e, where) => console.error(where, e.message),
 * };
 * ```
 */
export interface AgentOptions {
  /** The policy; by default every syscall continues. */
  handler?: NotificationHandler;
  /** Failures that do not stop the agent: bad connections, handler errors, refused answers. */
  onError?: (error: Error, where: string) => void;
  /** Called for every event (also kept in `events`). */
  onEvent?: (event: AgentEvent) => void;
  /** How long each wait on a socket lasts before checking for close() (ms, default 200). */
  pollMs?: number;
  /** How long a runtime may take to send the state and fd (ms, default 5000). */
  handshakeTimeoutMs?: number;
  /** Largest container state accepted, in bytes (default 64 MiB). */
  maxStateBytes?: number;
  /** How many events `events` keeps, oldest dropped first (default 10000). */
  maxEvents?: number;
}

const ENOENT = 2;
const EINTR = 4;
const ENOSYS = 38;

/**
 * A listening agent. Create with {@link SeccompAgent.listen}; stop with {@link close}.
 *
 * @example
 * ```ts
 * const agent = await SeccompAgent.listen("/run/agent.sock", {
 *   handler: (n) => n.syscall === "mkdir" ? { error: 1 } : { continue: true },
 * });
 * // ... containers with linux.seccomp.listenerPath "/run/agent.sock" run ...
 * await agent.close();
 * ```
 */
export class SeccompAgent {
  /** The socket path. */
  readonly path: string;
  /** Connections that gave a listener fd and a valid state. */
  connectionsServed = 0;
  /** Recent events, oldest first. */
  readonly events: AgentEvent[] = [];
  /** Resolves when the accept loop and every listener loop have ended. */
  readonly done: Promise<void>;

  #fd: number;
  #ino: number | null;
  #closing = false;
  #opts: Required<Omit<AgentOptions, "onEvent" | "onError">> & AgentOptions;
  #tasks = new Set<Promise<void>>();
  #active = 0;

  private constructor(path: string, fd: number, opts: AgentOptions) {
    this.path = path;
    this.#fd = fd;
    this.#ino = inode(path);
    this.#opts = {
      handler: () => ({ continue: true }),
      pollMs: 200,
      handshakeTimeoutMs: 5000,
      maxStateBytes: DEFAULT_MAX_STATE_BYTES,
      maxEvents: 10000,
      ...opts,
    };
    this.done = this.#acceptLoop();
  }

  /**
   * Listens on `path`. A socket file left by an agent that is gone is removed first; a path
   * another live agent listens on, or that is not a socket, is an error.
   */
  static async listen(path: string, opts: AgentOptions = {}): Promise<SeccompAgent> {
    await removeStaleSocket(path);
    const fd = unixListen(path);
    return new SeccompAgent(path, fd, opts);
  }

  /** Listener fds currently served. */
  get activeListeners(): number {
    return this.#active;
  }

  /**
   * Stops accepting, ends every listener loop (their containers' notified syscalls then
   * fail with ENOSYS), closes all fds and removes the socket file.
   */
  async close(): Promise<void> {
    if (this.#closing) return await this.done;
    this.#closing = true;
    await this.done;
    try {
      if (this.#ino === null || inode(this.path) === this.#ino) Deno.removeSync(this.path);
    } catch { /* already gone */ }
  }

  #event(e: AgentEvent): void {
    this.events.push(e);
    if (this.events.length > this.#opts.maxEvents) this.events.shift();
    try {
      this.#opts.onEvent?.(e);
    } catch { /* a logging hook must not stop the agent */ }
  }

  #error(where: string, err: unknown): void {
    const e = err instanceof Error ? err : new Error(String(err));
    this.#event({ type: "error", at: Date.now(), where, message: e.message });
    try {
      this.#opts.onError?.(e, where);
    } catch { /* ignore */ }
  }

  #spawn(p: Promise<void>): void {
    this.#tasks.add(p);
    p.finally(() => this.#tasks.delete(p));
  }

  async #acceptLoop(): Promise<void> {
    try {
      while (!this.#closing) {
        let conn: number | null;
        try {
          conn = await accept(this.#fd, this.#opts.pollMs);
        } catch (e) {
          this.#error("accept", e);
          await new Promise((r) => setTimeout(r, this.#opts.pollMs));
          continue;
        }
        if (conn !== null) this.#spawn(this.#serveConnection(conn));
      }
    } finally {
      closeFd(this.#fd);
      while (this.#tasks.size) await Promise.allSettled([...this.#tasks]);
    }
  }

  async #serveConnection(conn: number): Promise<void> {
    let hs;
    try {
      hs = await readHandshake(
        conn,
        this.#opts.handshakeTimeoutMs,
        this.#opts.maxStateBytes,
      );
    } catch (e) {
      this.#error("connection", e);
      return;
    }
    this.connectionsServed++;
    this.#event({
      type: "connection",
      at: Date.now(),
      state: hs.state,
      fdsReceived: hs.fdsReceived,
      bytes: hs.bytes,
    });
    await this.#serveListener(hs.notifFd, hs.state);
  }

  async #serveListener(fd: number, state: ContainerProcessState): Promise<void> {
    this.#active++;
    const pending = new Set<Promise<void>>();
    let reason: "gone" | "closed" | "error" = "closed";
    try {
      while (!this.#closing) {
        const r = await notifRecv(fd, this.#opts.pollMs);
        if (r.kind === "timeout") continue;
        if (r.kind === "gone") {
          reason = "gone";
          break;
        }
        if (r.kind === "error") {
          // ENOENT: the task was killed between poll and receive.
          if (r.errno === ENOENT || r.errno === EINTR) continue;
          this.#error(
            `listener of ${state.state.id}`,
            new Error(`SECCOMP_IOCTL_NOTIF_RECV: errno ${r.errno}`),
          );
          reason = "error";
          break;
        }
        const p = this.#answer(fd, toNotification(r.notif, state));
        pending.add(p);
        p.finally(() => pending.delete(p));
      }
      await Promise.allSettled([...pending]);
    } finally {
      closeFd(fd);
      this.#active--;
      this.#event({ type: "listener-closed", at: Date.now(), containerId: state.state.id, reason });
    }
  }

  async #answer(fd: number, n: Notification): Promise<void> {
    let answered = false;
    const guard = { notifFd: fd, id: n.id };
    const ctx: NotificationContext = {
      notifFd: fd,
      state: n.state,
      valid: () => notifIdValid(fd, n.id),
      readMemory: (addr, len) => readMemory(n.pid, addr, len, guard),
      readString: (addr, max) => readString(n.pid, addr, max, guard),
      addFd: (srcfd, o = {}) => {
        const flags = (o.newfd !== undefined ? ADDFD_FLAG_SETFD : 0) |
          (o.send ? ADDFD_FLAG_SEND : 0);
        const got = notifAddFd(fd, n.id, srcfd, o.newfd ?? 0, flags);
        if (o.send) answered = true;
        return got;
      },
    };
    let response: Response;
    let enc;
    try {
      response = await this.#opts.handler(n, ctx);
      enc = encodeResponse(response);
    } catch (e) {
      this.#error(`handler for ${n.syscall ?? n.nr}`, e);
      response = { error: ENOSYS };
      enc = encodeResponse(response);
    }
    let sendErrno: number | undefined;
    if (!answered) {
      const rc = notifSend(fd, n.id, enc.val, enc.error, enc.flags);
      if (rc < 0) {
        sendErrno = -rc;
        if (-rc !== ENOENT) {
          this.#error(
            `answer to ${n.syscall ?? n.nr}`,
            new Error(`SECCOMP_IOCTL_NOTIF_SEND: errno ${-rc}`),
          );
        }
      }
    }
    this.#event({
      type: "notification",
      at: Date.now(),
      containerId: n.state.state.id,
      pid: n.pid,
      nr: n.nr,
      syscall: n.syscall,
      response,
      sendErrno,
    });
  }
}

/**
 * Installs `srcfd` into the task behind notification `id` on listener `notifFd` and returns its
 * fd number there (see {@link NotificationContext.addFd} for the bound form).
 *
 * @example
 * ```ts
 * declare const socketFd: number; // a raw fd of this process, e.g. from an FFI call
 * const handler: NotificationHandler = (n, ctx) => ({
 *   value: addFd(ctx.notifFd, n.id, socketFd), // the fd number in the task answers the call
 * });
 * ```
 */
export function addFd(notifFd: number, id: bigint, srcfd: number): number {
  return notifAddFd(notifFd, id, srcfd);
}

function inode(path: string): number | null {
  try {
    return Deno.lstatSync(path).ino;
  } catch {
    return null;
  }
}

/** Removes `path` if it is a socket nobody listens on; throws if it is anything else. */
async function removeStaleSocket(path: string): Promise<void> {
  let st: Deno.FileInfo;
  try {
    st = Deno.lstatSync(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return;
    throw e;
  }
  if (!st.isSocket) throw new Deno.errors.AlreadyExists(`${path} exists and is not a socket`);
  try {
    const c = await Deno.connect({ transport: "unix", path });
    c.close();
  } catch (e) {
    if (e instanceof Deno.errors.ConnectionRefused) {
      Deno.removeSync(path);
      return;
    }
    throw e;
  }
  throw new Deno.errors.AddrInUse(`another agent listens on ${path}`);
}
