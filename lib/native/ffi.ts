/**
 * Typed wrappers around libdrun for fds and processes: everything that touches raw fds goes
 * through here (or sync.ts, re-exported), so the rest of the TypeScript never sees pointers.
 * @module
 */
import { cstr, errnoError, native } from "./core.ts";
export { cstr, errnoText, initMemfd, loadNative, native } from "./core.ts";
export * from "./sync.ts";

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
