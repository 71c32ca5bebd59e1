/**
 * The rootfs containerd's snapshotter prepared (usually one overlay mount) mounted at
 * `<bundle>/rootfs` before the container is created, and unmounted when it is deleted, as
 * the runc shim does. mount(8) does the work: one call per container, and it knows every
 * filesystem's option syntax.
 * @module
 */
import { join } from "node:path";
import { parseMountInfo } from "../lib/linux/mountinfo.ts";

/** A containerd.types.Mount. */
export interface RootfsMount {
  /** Filesystem type ("overlay", "bind"). */
  type: string;
  /** Source. */
  source: string;
  /** fstab-style options. */
  options: string[];
}

async function run(cmd: string, args: string[]): Promise<{ ok: boolean; err: string }> {
  const out = await new Deno.Command(cmd, { args, cwd: "/", stdout: "null", stderr: "piped" })
    .output();
  return { ok: out.success, err: new TextDecoder().decode(out.stderr).trim() };
}

/**
 * Mounts `mounts` in order on `<bundle>/rootfs`; nothing to do for none (the bundle brings
 * its own rootfs).
 *
 * @example
 * ```ts ignore
 * import { mountRootfs } from "./mounts.ts";
 * await mountRootfs("/run/b", [{ type: "bind", source: "/srv/r", options: ["rbind"] }]);
 * ```
 */
export async function mountRootfs(bundle: string, mounts: RootfsMount[]): Promise<void> {
  if (!mounts.length) return;
  const target = join(bundle, "rootfs");
  Deno.mkdirSync(target, { recursive: true, mode: 0o711 });
  for (const m of mounts) {
    const type = m.type === "bind" ? [] : ["-t", m.type];
    const opts = m.options.length ? ["-o", m.options.join(",")] : [];
    const r = await run("mount", [...type, ...opts, "--", m.source, target]);
    if (!r.ok) {
      await unmountRootfs(bundle);
      throw new Error(`mount rootfs (${m.type} ${m.source}): ${r.err}`);
    }
  }
}

/**
 * Unmounts everything on `<bundle>/rootfs` (lazily: a process of the container that still
 * holds it does not keep the snapshot busy). A rootfs that was never mounted is fine.
 *
 * @example
 * ```ts ignore
 * import { unmountRootfs } from "./mounts.ts";
 * await unmountRootfs("/run/b");
 * ```
 */
export async function unmountRootfs(bundle: string): Promise<void> {
  const target = join(bundle, "rootfs");
  for (let i = 0; i < 8 && isMountPoint(target); i++) {
    if (!(await run("umount", ["-l", "--", target])).ok) break;
  }
}

/**
 * Whether `path` is a mount point of this mount namespace.
 *
 * @example
 * ```ts
 * import { isMountPoint } from "./mounts.ts";
 * if (!isMountPoint("/")) throw new Error("/ is always mounted");
 * ```
 */
export function isMountPoint(path: string): boolean {
  try {
    const mounts = parseMountInfo(Deno.readTextFileSync("/proc/self/mountinfo"));
    return mounts.some((m) => m.mountPoint === path);
  } catch {
    return false;
  }
}
