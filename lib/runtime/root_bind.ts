/**
 * The root bind of a container that has no mount namespace of its own (none listed in
 * `linux.namespaces`, so the runtime's is inherited). Its init binds the rootfs onto itself in
 * the runtime's namespace, makes that bind private and chroots into it; every mount of the
 * config lands on top of it. Nothing unmounts those when the container ends, so the runtime
 * does: before launch it records which mount the bind will be stacked on, and delete (or a
 * failed create) detaches the bind stacked on exactly that mount, with everything below it.
 * Anything else mounted at the rootfs (an engine's overlay, say) is never touched.
 * @module
 */
import { mountOf, parseMountInfo } from "../linux/mountinfo.ts";
import { umountDetach } from "../native/ffi.ts";
import { errnoText } from "../linux/errno.ts";

/** Where a container's root bind goes, recorded in its state before the init exists. */
export interface RootBind {
  /** The rootfs as mountinfo shows it (a realpath). */
  path: string;
  /** The runtime's mount namespace (`mnt:[…]`): the bind exists only there. */
  mntNs: string;
  /** Id of the mount the rootfs lay on before the bind. */
  below: number;
}

function mountsNow() {
  return parseMountInfo(Deno.readTextFileSync("/proc/self/mountinfo"));
}

/**
 * Records where the root bind of `rootfs` will be stacked (call before the init exists).
 *
 * @example
 * ```ts ignore
 * state.rootBind = recordRootBind("/srv/bundle/rootfs");
 * ```
 */
export function recordRootBind(rootfs: string): RootBind {
  const path = Deno.realPathSync(rootfs);
  const below = mountOf(mountsNow(), path);
  if (!below) throw new Error(`no mount holds ${path}`);
  return { path, mntNs: Deno.readLinkSync("/proc/self/ns/mnt"), below: below.id };
}

/**
 * Detaches the container's root bind and every mount on it, when it is still there. A
 * runtime in another mount namespace cannot reach it: it warns and leaves it.
 *
 * @example
 * ```ts ignore
 * if (state.rootBind) removeRootBind(state.rootBind, console.warn);
 * ```
 */
export function removeRootBind(bind: RootBind, warn: (msg: string) => void): void {
  if (Deno.readLinkSync("/proc/self/ns/mnt") !== bind.mntNs) {
    warn(`the mounts of ${bind.path} are in mount namespace ${bind.mntNs}; not removed`);
    return;
  }
  // Stacked binds of one path are listed in the order they were made: ours is the one whose
  // parent is the recorded mount.
  const mounts = mountsNow();
  const ours = mounts.find((m) => m.mountPoint === bind.path && m.parent === bind.below);
  if (!ours) return;
  if (mountOf(mounts, bind.path)?.id !== ours.id) {
    warn(`${bind.path} has a mount over the container's root bind; not removed`);
    return;
  }
  const rc = umountDetach(bind.path);
  if (rc < 0) warn(`umount ${bind.path}: ${errnoText(-rc)}`);
}
