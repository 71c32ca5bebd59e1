/**
 * libdrun's symbol table, opened once per process from its sealed memfd, and the two helpers
 * every wrapper needs (NUL-terminated strings, errno errors). The wrappers themselves are in
 * ffi.ts (fds, processes) and sync.ts (the conversation with the init).
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

/** The symbols of libdrun, typed. */
export type Lib = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];
let lib: Lib | undefined;

/**
 * Opens libdrun ahead of the first native call. Kept async for callers that await it; the
 * load itself is synchronous now (a sealed memfd, nothing to hash).
 *
 * @example
 * ```ts
 * import { loadNative } from "./core.ts";
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
 * import { native } from "./core.ts";
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
 * import { initMemfd } from "./core.ts";
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
 * import { errnoText } from "./core.ts";
 * errnoText(13); // "EACCES: permission denied"
 * ```
 */
export { errnoText };

/**
 * A NativeError for a failed native call: `what: ENAME: text`, with its errno.
 *
 * @example
 * ```ts
 * throw errnoError("open /x", 2); // NativeError: open /x: ENOENT: no such file or directory
 * ```
 */
export function errnoError(what: string, errno: number): NativeError {
  return new NativeError(`${what}: ${errnoText(errno)}`, errno);
}
