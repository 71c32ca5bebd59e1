/**
 * The agent's own view of libdrun: the symbols a seccomp notify agent needs (listening unix
 * socket, SCM_RIGHTS receive, SECCOMP_IOCTL_NOTIF_*) and typed wrappers that never expose a
 * pointer. The blocking calls are `nonblocking` FFI calls, so they run on Deno's blocking
 * thread pool and many listeners can wait at once without stalling the JS thread.
 * @module
 */
import { libdrunMemfdPath } from "../native/load.ts";

const SYMBOLS = {
  drun_unix_listen: { parameters: ["buffer", "i32"], result: "i64" },
  drun_accept: { parameters: ["i32", "i32"], result: "i64", nonblocking: true },
  drun_recv_with_fd: {
    parameters: ["i32", "buffer", "usize", "buffer", "i32"],
    result: "i64",
    nonblocking: true,
  },
  drun_notif_recv: { parameters: ["i32", "buffer", "i32"], result: "i64", nonblocking: true },
  drun_notif_send: { parameters: ["i32", "u64", "i64", "i32", "u32"], result: "i32" },
  drun_notif_id_valid: { parameters: ["i32", "u64"], result: "i32" },
  drun_notif_addfd: { parameters: ["i32", "u64", "i32", "i32", "u32"], result: "i64" },
  drun_close: { parameters: ["i32"], result: "i32" },
} as const satisfies Deno.ForeignLibraryInterface;

type Lib = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];
let lib: Lib | undefined;

function native(): Lib {
  if (!lib) lib = Deno.dlopen(libdrunMemfdPath(), SYMBOLS).symbols;
  return lib;
}

/** Size of `struct seccomp_notif`. */
export const NOTIF_SIZE = 80;
/** `SECCOMP_USER_NOTIF_FLAG_CONTINUE`: let the syscall run as if unfiltered. */
export const USER_NOTIF_FLAG_CONTINUE = 1;
/** `SECCOMP_ADDFD_FLAG_SETFD`: install at the given fd number. */
export const ADDFD_FLAG_SETFD = 1;
/** `SECCOMP_ADDFD_FLAG_SEND`: install the fd and answer the notification with its number. */
export const ADDFD_FLAG_SEND = 2;

/**
 * An errno carried by an Error, as Node's and drun's native errors do.
 *
 * @example
 * ```ts
 * try {
 *   await readMemory(1234, 0x7ffd0000n, 16);
 * } catch (e) {
 *   if (e instanceof ErrnoError && e.errno === 3) console.log("the task is gone");
 * }
 * ```
 */
export class ErrnoError extends Error {
  /** The positive errno. */
  readonly errno: number;
  /** Creates an error for `what` failing with `errno`. */
  constructor(what: string, errno: number) {
    super(`${what}: errno ${errno}`);
    this.name = "ErrnoError";
    this.errno = errno;
  }
}

function cstr(s: string): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(s + "\0") as Uint8Array<ArrayBuffer>;
}

/** Binds and listens on a unix stream socket at `path` (close-on-exec). Returns the fd. */
export function unixListen(path: string, backlog = 128): number {
  const rc = Number(native().drun_unix_listen(cstr(path), backlog));
  if (rc < 0) throw new ErrnoError(`listen on ${path}`, -rc);
  return rc;
}

/** Waits up to `timeoutMs` for a connection: its fd, or null on timeout. */
export async function accept(fd: number, timeoutMs: number): Promise<number | null> {
  const rc = Number(await native().drun_accept(fd, timeoutMs));
  if (rc === 0) return null;
  if (rc === -1000) throw new ErrnoError("accept (listener hung up)", 22);
  if (rc < 0) throw new ErrnoError("accept", -rc);
  return rc;
}

/** Result of one receive: bytes read (0 at EOF) and the fd that came with them, if any. */
export interface Received {
  /** Bytes placed in the buffer; 0 means the peer closed. */
  bytes: number;
  /** An fd passed with SCM_RIGHTS (close-on-exec), or -1. */
  fd: number;
}

/**
 * Receives into `buf`, waiting up to `timeoutMs`. Extra fds beyond the first in one message
 * are closed by the native side. Throws TimedOut on timeout, ErrnoError on failure.
 */
export async function recvWithFd(
  fd: number,
  buf: Uint8Array<ArrayBuffer>,
  timeoutMs: number,
): Promise<Received> {
  const out = new Int32Array(1);
  const rc = Number(
    await native().drun_recv_with_fd(fd, buf, BigInt(buf.length), out, timeoutMs),
  );
  if (rc === -110) throw new Deno.errors.TimedOut("timed out waiting for the runtime's message");
  if (rc < 0) throw new ErrnoError("recvmsg", -rc);
  return { bytes: rc, fd: out[0] };
}

/** `struct seccomp_notif`, decoded. */
export interface RawNotif {
  /** Cookie for the answer. */
  id: bigint;
  /** Pid of the task, in the agent's pid namespace. */
  pid: number;
  /** `seccomp_data.nr`. */
  nr: number;
  /** `seccomp_data.arch` (AUDIT_ARCH_*). */
  arch: number;
  /** `seccomp_data.instruction_pointer`. */
  instructionPointer: bigint;
  /** `seccomp_data.args`. */
  args: bigint[];
}

/** What one wait on a listener fd gave. */
export type NotifResult =
  | { kind: "notif"; notif: RawNotif }
  | { kind: "timeout" }
  | { kind: "gone" }
  | { kind: "error"; errno: number };

/** Decodes a `struct seccomp_notif` buffer. */
export function decodeNotif(buf: Uint8Array): RawNotif {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const args: bigint[] = [];
  for (let i = 0; i < 6; i++) args.push(dv.getBigUint64(32 + 8 * i, true));
  return {
    id: dv.getBigUint64(0, true),
    pid: dv.getUint32(8, true),
    nr: dv.getInt32(16, true),
    arch: dv.getUint32(20, true),
    instructionPointer: dv.getBigUint64(24, true),
    args,
  };
}

/**
 * Waits up to `timeoutMs` for a notification on a listener fd. `gone` once every filtered
 * task has exited (POLLHUP); ENOENT (the task died between poll and receive) is an `error`.
 */
export async function notifRecv(fd: number, timeoutMs: number): Promise<NotifResult> {
  const buf = new Uint8Array(NOTIF_SIZE);
  const rc = Number(await native().drun_notif_recv(fd, buf, timeoutMs));
  if (rc === 0) return { kind: "notif", notif: decodeNotif(buf) };
  if (rc === -110) return { kind: "timeout" };
  if (rc === -1000) return { kind: "gone" };
  return { kind: "error", errno: -rc };
}

/**
 * Answers notification `id`: `error` is a negative errno (or 0), `val` the return value,
 * `flags` USER_NOTIF_FLAG_CONTINUE or 0. Returns 0 or -errno (ENOENT: the task moved on).
 */
export function notifSend(
  fd: number,
  id: bigint,
  val: bigint,
  error: number,
  flags: number,
): number {
  return native().drun_notif_send(fd, id, val, error, flags);
}

/** Whether notification `id` is still pending (its task still waits in that syscall). */
export function notifIdValid(fd: number, id: bigint): boolean {
  return native().drun_notif_id_valid(fd, id) === 0;
}

/**
 * SECCOMP_IOCTL_NOTIF_ADDFD: installs `srcfd` (a file of this process) into the target's fd
 * table, close-on-exec there. With ADDFD_FLAG_SETFD at `newfd`; with ADDFD_FLAG_SEND the
 * kernel also answers the notification with the new number. Returns the target's fd number.
 */
export function notifAddFd(fd: number, id: bigint, srcfd: number, newfd = 0, flags = 0): number {
  const rc = Number(native().drun_notif_addfd(fd, id, srcfd, newfd, flags));
  if (rc < 0) throw new ErrnoError("SECCOMP_IOCTL_NOTIF_ADDFD", -rc);
  return rc;
}

/** Closes an fd this module handed out. Returns 0 or -errno. */
export function closeFd(fd: number): number {
  return native().drun_close(fd);
}
