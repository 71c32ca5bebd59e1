/**
 * The symbol table of libdrun and typed wrappers around it. Everything that touches raw fds
 * or the child goes through here, so the rest of the TypeScript never sees pointers.
 * @module
 */
import { embeddedArtifacts, libdrunMemfdPath } from "./load.ts";
import { errnoText } from "../linux/errno.ts";
import { NativeError } from "../errors.ts";

const SYMBOLS = {
  drun_launch: { parameters: ["buffer", "usize", "i32", "buffer", "buffer"], result: "i64" },
  drun_sealed_memfd: { parameters: ["buffer", "buffer", "usize"], result: "i64" },
  drun_send_with_fd: { parameters: ["i32", "buffer", "usize", "i32"], result: "i64" },
  drun_wait: { parameters: ["i32", "i32"], result: "i64", nonblocking: true },
  drun_unix_connect: { parameters: ["buffer"], result: "i64" },
  drun_close: { parameters: ["i32"], result: "i32" },
  drun_mkfifo: { parameters: ["buffer", "u32"], result: "i32" },
  drun_kill: { parameters: ["i32", "i32"], result: "i32" },
  drun_umount_detach: { parameters: ["buffer"], result: "i32" },
  drun_recv_with_fd: {
    parameters: ["i32", "buffer", "usize", "buffer", "i32"],
    result: "i64",
    nonblocking: true,
  },
  drun_send_fd: { parameters: ["buffer", "i32", "buffer"], result: "i64" },
  drun_read: { parameters: ["i32", "buffer", "usize", "i32"], result: "i64", nonblocking: true },
  drun_write: { parameters: ["i32", "buffer", "usize"], result: "i64" },
  drun_copy_winsize: { parameters: ["i32", "i32"], result: "i32" },
  drun_fifo_start: { parameters: ["buffer", "i32"], result: "i32", nonblocking: true },
  drun_bpf: { parameters: ["i32", "buffer", "u32"], result: "i64" },
  drun_open_dir: { parameters: ["buffer"], result: "i64" },
  drun_pipe: { parameters: ["buffer"], result: "i32" },
  drun_set_subreaper: { parameters: [], result: "i32" },
  drun_write_bg: {
    name: "drun_write",
    parameters: ["i32", "buffer", "usize"],
    result: "i64",
    nonblocking: true,
  },
  drun_open: { parameters: ["buffer", "u32", "u32"], result: "i64" },
  drun_pidfd_open: { parameters: ["i32"], result: "i64" },
  drun_pidfd_wait: { parameters: ["i32", "i32"], result: "i32", nonblocking: true },
} as const satisfies Deno.ForeignLibraryInterface;

type Lib = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];
let lib: Lib | undefined;

/**
 * Opens libdrun ahead of the first native call. Kept async for callers that await it; the
 * load itself is synchronous now (a sealed memfd, nothing to hash).
 *
 * @example
 * ```ts
 * import { loadNative } from "./ffi.ts";
 * await loadNative();
 * ```
 */
export function loadNative(): Promise<void> {
  native();
  return Promise.resolve();
}

/**
 * Opens libdrun once per process, from its sealed memfd, and returns its symbols.
 *
 * @example
 * ```ts
 * import { native } from "./ffi.ts";
 * native().drun_close(-1);
 * ```
 */
export function native(): Lib {
  if (!lib) lib = Deno.dlopen(libdrunMemfdPath(), SYMBOLS).symbols;
  return lib;
}

let initFd = -1;

/**
 * The sealed memfd holding drun-init, made once per process and kept open (close-on-exec)
 * for every launch: whatever a container does to /proc/<init>/exe, it cannot change it.
 *
 * @example
 * ```ts
 * import { initMemfd } from "./ffi.ts";
 * console.log(`/proc/self/fd/${initMemfd()}`);
 * ```
 */
export function initMemfd(): number {
  if (initFd >= 0) return initFd;
  const bytes = embeddedArtifacts().init;
  const fd = Number(native().drun_sealed_memfd(cstr("drun-init"), bytes, BigInt(bytes.length)));
  if (fd < 0) throw errnoError("memfd for drun-init", -fd);
  initFd = fd;
  return fd;
}

/** Size of one sync message (see zig/src/sync.zig). */
export const MSG_SIZE = 256;
/** Kinds of sync messages. */
export const MsgKind = {
  READY: 1,
  ERROR: 2,
  TIMING: 3,
  PID: 4,
  HOOKS: 5,
  CONSOLE: 6,
  GO: 16,
} as const;

/** A decoded sync message from the child. */
export interface SyncMessage {
  /** One of MsgKind. */
  kind: number;
  /** Index of the plan op that sent it (for errors). */
  step: number;
  /** errno of the failed syscall, or 0. */
  errno: number;
  /** A number that goes with the kind (handoff latency for TIMING). */
  value: bigint;
  /** What failed, from the child. */
  detail: string;
  /** An fd that came with the message (the pty master for CONSOLE). */
  fd?: number;
}

/**
 * Starts drun-init on the encoded `plan`. `stdio[i]` becomes its fd i (-1 or absent: ours).
 * Returns its host pid and the runtime's end of the sync socket.
 *
 * @example
 * ```ts ignore
 * import { launch } from "./ffi.ts";
 * import { encodePlan } from "../plan/encode.ts";
 * const { pid, syncFd } = launch(encodePlan({ cloneFlags: 0, ops: [] }));
 * ```
 */
export function launch(
  plan: Uint8Array<ArrayBuffer>,
  stdio: readonly number[] = [],
): { pid: number; syncFd: number } {
  const out = new BigInt64Array(2);
  const fds = new Int32Array([stdio[0] ?? -1, stdio[1] ?? -1, stdio[2] ?? -1]);
  const pid = Number(
    native().drun_launch(
      plan,
      BigInt(plan.length),
      initMemfd(),
      new Uint8Array(fds.buffer),
      new Uint8Array(out.buffer),
    ),
  );
  if (pid < 0) throw errnoError("start the container init", -pid);
  return { pid, syncFd: Number(out[0]) };
}

/** Waits up to timeoutMs (negative: forever) for a message; null on EOF. */
export async function recvMessage(fd: number, timeoutMs: number): Promise<SyncMessage | null> {
  const buf = new Uint8Array(MSG_SIZE);
  const fdOut = new Int32Array(1);
  const n = Number(
    await native().drun_recv_with_fd(
      fd,
      buf,
      BigInt(buf.length),
      new Uint8Array(fdOut.buffer),
      timeoutMs,
    ),
  );
  if (n === 0) return null;
  if (n === -110) throw new Deno.errors.TimedOut("timed out waiting for the container init");
  if (n < 0) throw errnoError("recv", -n);
  const dv = new DataView(buf.buffer);
  const end = buf.indexOf(0, 24);
  return {
    kind: dv.getUint32(0, true),
    step: dv.getUint32(4, true),
    errno: dv.getInt32(8, true),
    value: dv.getBigInt64(16, true),
    detail: new TextDecoder().decode(buf.subarray(24, end < 0 ? MSG_SIZE : end)),
    fd: fdOut[0] >= 0 ? fdOut[0] : undefined,
  };
}

/** Sends GO (or another kind) with an optional payload and value to the child. */
export function sendMessage(fd: number, kind: number, payload?: Uint8Array, value = 0n): void {
  const buf = new Uint8Array(MSG_SIZE);
  new DataView(buf.buffer).setUint32(0, kind, true);
  new DataView(buf.buffer).setBigInt64(16, value, true);
  // A payload of any size travels as a sealed memfd the init maps (the packet stays small).
  let pass = -1;
  if (payload?.length) {
    const bytes = new Uint8Array(payload) as Uint8Array<ArrayBuffer>;
    pass = Number(native().drun_sealed_memfd(cstr("drun-go"), bytes, BigInt(bytes.length)));
    if (pass < 0) throw errnoError("memfd for the init's payload", -pass);
  }
  try {
    const n = Number(native().drun_send_with_fd(fd, buf, BigInt(buf.length), pass));
    if (n < 0) throw errnoError("send", -n);
  } finally {
    if (pass >= 0) closeFd(pass);
  }
}

/**
 * Decoded wait status.
 *
 * @example
 * ```ts
 * const r = await new Runtime("/run/drun").get("web").exec({
 *   args: ["/bin/false"], cwd: "/", user: { uid: 0, gid: 0 },
 * });
 * const status: ExitStatus | undefined = r.status;
 * console.log(status); // { code: 1 }
 * ```
 */
export interface ExitStatus {
  /** Exit code, or 128+signal when killed, as a shell reports it. */
  code: number;
  /** The signal that ended the process, if any. */
  signal?: number;
}

/** Converts a raw wait status into an exit code. */
export function decodeStatus(status: number): ExitStatus {
  const sig = status & 0x7f;
  if (sig === 0) return { code: (status >> 8) & 0xff };
  return { code: 128 + sig, signal: sig };
}

/** Waits for a child of this process to exit (off the JS thread). */
export async function waitPid(pid: number): Promise<ExitStatus> {
  const rc = Number(await native().drun_wait(pid, 0));
  if (rc < 0) throw errnoError("wait4", -rc);
  return decodeStatus(rc);
}

/** Connects to a unix stream socket; the fd is inheritable by the child. */
export function unixConnect(path: string): number {
  const fd = Number(native().drun_unix_connect(cstr(path)));
  if (fd < 0) throw errnoError(`connect ${path}`, -fd);
  return fd;
}

/** Closes an fd from this library. */
export function closeFd(fd: number): void {
  native().drun_close(fd);
}

/** Creates a fifo at path. */
export function mkfifo(path: string, mode = 0o600): void {
  const rc = native().drun_mkfifo(cstr(path), mode);
  if (rc < 0) throw errnoError(`mkfifo ${path}`, -rc);
}

/**
 * Detaches the mount at path and every mount below it (umount2 MNT_DETACH, no symlink
 * followed). Returns 0 or -errno.
 *
 * @example
 * ```ts ignore
 * umountDetach("/run/bundle/rootfs");
 * ```
 */
export function umountDetach(path: string): number {
  return native().drun_umount_detach(cstr(path));
}

/** Sends signal number sig to pid. Returns 0 or -errno (ESRCH when gone). */
export function killPid(pid: number, sig: number): number {
  // 0 and negative pids name process groups (ours, for 0): never what a caller means here.
  if (!(pid > 0)) return -3; // ESRCH
  return native().drun_kill(pid, sig);
}

/**
 * Releases an init blocked on its exec fifo. Resolves true when released, false when no
 * init picked up within timeoutMs.
 */
export async function releaseFifo(path: string, timeoutMs: number): Promise<boolean> {
  const rc = await native().drun_fifo_start(cstr(path), timeoutMs);
  if (rc < 0) throw errnoError(`open exec fifo ${path}`, -rc);
  return rc === 1;
}

/** Sends fd to the unix socket at path (runc's --console-socket protocol). */
export function sendFdTo(path: string, fd: number, name = "/dev/ptmx"): void {
  const rc = Number(native().drun_send_fd(cstr(path), fd, cstr(name)));
  if (rc < 0) throw errnoError(`send to console socket ${path}`, -rc);
}

/** Reads from fd (off the JS thread); null at EOF, empty on timeout. */
export async function readFd(
  fd: number,
  buf: Uint8Array<ArrayBuffer>,
  timeoutMs: number,
): Promise<Uint8Array | null> {
  const n = Number(await native().drun_read(fd, buf, BigInt(buf.length), timeoutMs));
  if (n === -110) return new Uint8Array();
  if (n <= 0) return null;
  return buf.subarray(0, n);
}

/** Writes all of data to fd. */
export function writeFd(fd: number, data: Uint8Array<ArrayBuffer>): void {
  const n = Number(native().drun_write(fd, data, BigInt(data.length)));
  if (n < 0) throw errnoError("write", -n);
}

/** Copies the terminal window size from one fd to another. */
export function copyWinsize(from: number, to: number): void {
  native().drun_copy_winsize(from, to);
}

/**
 * bpf(2) with `attr` as the union bpf_attr (pointers inside it must be real addresses kept
 * alive by the caller). Returns the result (an fd for BPF_PROG_LOAD) or -errno.
 */
export function bpf(cmd: number, attr: Uint8Array<ArrayBuffer>): number {
  return Number(native().drun_bpf(cmd, attr, attr.length));
}

/** Opens a directory (read-only, close-on-exec) and returns its fd. */
export function openDir(path: string): number {
  const fd = Number(native().drun_open_dir(cstr(path)));
  if (fd < 0) throw errnoError(`open ${path}`, -fd);
  return fd;
}

/**
 * A pipe as raw fds (close-on-exec): `[read, write]`.
 *
 * @example
 * ```ts ignore
 * import { closeFd, pipe } from "./ffi.ts";
 * const [r, w] = pipe();
 * closeFd(r);
 * closeFd(w);
 * ```
 */
export function pipe(): [number, number] {
  const fds = new Int32Array(2);
  const rc = native().drun_pipe(new Uint8Array(fds.buffer));
  if (rc < 0) throw errnoError("pipe", -rc);
  return [fds[0], fds[1]];
}

/**
 * Opens `path` (close-on-exec) as a raw fd, for stdio the container process gets by number.
 *
 * @example
 * ```ts ignore
 * import { closeFd, openFd } from "./ffi.ts";
 * const fd = openFd("/dev/null", 2); // O_RDWR
 * closeFd(fd);
 * ```
 */
export function openFd(path: string, flags: number, mode = 0o644): number {
  const fd = Number(native().drun_open(cstr(path), flags, mode));
  if (fd < 0) throw errnoError(`open ${path}`, -fd);
  return fd;
}

/**
 * Makes this process the subreaper of everything it starts (PR_SET_CHILD_SUBREAPER), as a
 * shim must be: a container's orphans come back to it, never to pid 1.
 *
 * @example
 * ```ts ignore
 * import { setSubreaper } from "./ffi.ts";
 * setSubreaper();
 * ```
 */
export function setSubreaper(): void {
  const rc = native().drun_set_subreaper();
  if (rc < 0) throw errnoError("prctl(PR_SET_CHILD_SUBREAPER)", -rc);
}

/**
 * Writes all of data to fd off the JS thread (a pipe whose reader is slow blocks only a
 * worker thread).
 *
 * @example
 * ```ts ignore
 * import { writeFdAsync } from "./ffi.ts";
 * await writeFdAsync(1, new TextEncoder().encode("hi\n"));
 * ```
 */
export async function writeFdAsync(fd: number, data: Uint8Array<ArrayBuffer>): Promise<void> {
  const n = Number(await native().drun_write_bg(fd, data, BigInt(data.length)));
  if (n < 0) throw errnoError("write", -n);
}

/**
 * A pidfd on `pid` (close-on-exec): a handle that stays on this process even if its pid is
 * reused, and that any process may wait on.
 *
 * @example
 * ```ts ignore
 * import { closeFd, pidfdOpen } from "./ffi.ts";
 * closeFd(pidfdOpen(Deno.pid));
 * ```
 */
export function pidfdOpen(pid: number): number {
  const fd = Number(native().drun_pidfd_open(pid));
  if (fd < 0) throw errnoError(`pidfd_open ${pid}`, -fd);
  return fd;
}

/**
 * Waits up to timeoutMs (negative: forever) off the JS thread for the process behind a
 * pidfd to exit; true once it has.
 *
 * @example
 * ```ts ignore
 * import { pidfdOpen, pidfdWait } from "./ffi.ts";
 * console.log(await pidfdWait(pidfdOpen(Deno.pid), 0)); // false
 * ```
 */
export async function pidfdWait(fd: number, timeoutMs: number): Promise<boolean> {
  const rc = await native().drun_pidfd_wait(fd, timeoutMs);
  if (rc < 0) throw errnoError("poll pidfd", -rc);
  return rc === 1;
}

/** A NUL-terminated copy of s for the native side. */
export function cstr(s: string): Uint8Array<ArrayBuffer> {
  const b = new TextEncoder().encode(s + "\0");
  return new Uint8Array(b.buffer as ArrayBuffer);
}

/**
 * Human text for an errno (`EACCES: permission denied`), from lib/linux/errno.ts.
 *
 * @example
 * ```ts
 * import { errnoText } from "./ffi.ts";
 * errnoText(13); // "EACCES: permission denied"
 * ```
 */
export { errnoText };

function errnoError(what: string, errno: number): NativeError {
  return new NativeError(`${what}: ${errnoText(errno)}`, errno);
}
