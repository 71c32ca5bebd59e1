/**
 * The rootfs the library examples run in: the one given on their command line, or a
 * throw-away one holding a static busybox as /bin/sh.
 * @module
 */

/**
 * A rootfs path: `given` when set, else a new busybox rootfs under `tmp`.
 *
 * @example
 * ```ts
 * const rootfs = exampleRootfs(Deno.makeTempDirSync(), Deno.args[0]);
 * ```
 */
export function exampleRootfs(tmp: string, given?: string): string {
  if (given) return given;
  const rootfs = `${tmp}/rootfs`;
  for (const d of ["bin", "proc", "dev", "sys", "tmp"]) {
    Deno.mkdirSync(`${rootfs}/${d}`, { recursive: true });
  }
  Deno.copyFileSync("/bin/busybox", `${rootfs}/bin/busybox`);
  Deno.chmodSync(`${rootfs}/bin/busybox`, 0o755);
  Deno.symlinkSync("busybox", `${rootfs}/bin/sh`);
  return rootfs;
}
