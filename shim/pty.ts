/**
 * Terminal size for ResizePty. drun's native library copies a window size between fds but
 * cannot set one from numbers, so this one ioctl goes through the C library, opened lazily
 * (only a shim that resizes a terminal pays for it).
 * @module
 */

const TIOCSWINSZ = 0x5414n;

let libc: Deno.DynamicLibrary<{ ioctl: { parameters: ["i32", "u64", "buffer"]; result: "i32" } }>;

/**
 * Sets the window size of the terminal whose master (or slave) is `fd`.
 *
 * @example
 * ```ts ignore
 * import { resizePty } from "./pty.ts";
 * resizePty(masterFd, 24, 80);
 * ```
 */
export function resizePty(fd: number, rows: number, cols: number): void {
  libc ??= Deno.dlopen("libc.so.6", {
    ioctl: { parameters: ["i32", "u64", "buffer"], result: "i32" },
  });
  const ws = new Uint16Array([rows, cols, 0, 0]);
  if (libc.symbols.ioctl(fd, TIOCSWINSZ, new Uint8Array(ws.buffer)) < 0) {
    throw new Error("ioctl(TIOCSWINSZ) failed");
  }
}
