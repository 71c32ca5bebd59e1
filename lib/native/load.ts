/**
 * Where the native artifacts live at run time: only in sealed memfds, never in a file.
 *
 * libdrun is written into a memfd made through the C library Deno itself links (Deno has no
 * memfd API), sealed against every change, and `dlopen`ed as `/proc/self/fd/N`; drun-init,
 * the container's init, goes into a second sealed memfd that libdrun starts with execveat.
 * No path a non-root user could write is ever trusted, so there is nothing to hash and no
 * window between a check and a load. One path serves a checkout, the bundled single file,
 * `deno compile` and JSR alike.
 * @module
 */
import { INIT_BASE64, LIBDRUN_BASE64 } from "./embedded.generated.ts";

const MFD_CLOEXEC = 1;
const MFD_ALLOW_SEALING = 2;
const F_ADD_SEALS = 1033;
/** F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE. */
const SEALS_ALL = 0x1 | 0x2 | 0x4 | 0x8;

/**
 * Decodes base64 into bytes.
 *
 * @example
 * ```ts
 * import { decodeBase64 } from "./load.ts";
 * decodeBase64("AQI="); // Uint8Array [1, 2]
 * ```
 */
export function decodeBase64(b64: string): Uint8Array<ArrayBuffer> {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/**
 * The embedded artifacts' bytes, decoded on each call (tests compare them with a build).
 *
 * @example
 * ```ts
 * import { embeddedArtifacts } from "./load.ts";
 * const { libdrun, init } = embeddedArtifacts();
 * console.log(libdrun.length, init.length);
 * ```
 */
export function embeddedArtifacts(): {
  libdrun: Uint8Array<ArrayBuffer>;
  init: Uint8Array<ArrayBuffer>;
} {
  return { libdrun: decodeBase64(LIBDRUN_BASE64), init: decodeBase64(INIT_BASE64) };
}

const LIBC_SYMBOLS = {
  memfd_create: { parameters: ["buffer", "u32"], result: "i32" },
  write: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  fcntl: { parameters: ["i32", "i32", "i32"], result: "i32" },
  close: { parameters: ["i32"], result: "i32" },
} as const satisfies Deno.ForeignLibraryInterface;

let libdrunPath: string | undefined;

/**
 * The path to dlopen libdrun from: `/proc/self/fd/N` of a sealed memfd holding the embedded
 * shared object, made once per process (every dlopen of the same path shares one copy).
 *
 * @example
 * ```ts
 * import { libdrunMemfdPath } from "./load.ts";
 * const lib = Deno.dlopen(libdrunMemfdPath(), { drun_close: { parameters: ["i32"], result: "i32" } });
 * lib.close();
 * ```
 */
export function libdrunMemfdPath(): string {
  if (libdrunPath) return libdrunPath;
  const libc = Deno.dlopen("libc.so.6", LIBC_SYMBOLS).symbols;
  const bytes = decodeBase64(LIBDRUN_BASE64);
  const fd = libc.memfd_create(
    new TextEncoder().encode("libdrun\0"),
    MFD_CLOEXEC | MFD_ALLOW_SEALING,
  );
  if (fd < 0) throw new Error("libdrun: memfd_create failed");
  let done = 0;
  while (done < bytes.length) {
    const n = Number(libc.write(fd, bytes.subarray(done), BigInt(bytes.length - done)));
    if (n <= 0) {
      libc.close(fd);
      throw new Error("libdrun: writing the memfd failed");
    }
    done += n;
  }
  if (libc.fcntl(fd, F_ADD_SEALS, SEALS_ALL) < 0) {
    libc.close(fd);
    throw new Error("libdrun: sealing the memfd failed");
  }
  libdrunPath = `/proc/self/fd/${fd}`;
  return libdrunPath;
}
