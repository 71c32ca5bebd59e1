/**
 * Resolution of container paths inside the rootfs, the way the kernel's RESOLVE_IN_ROOT
 * does it: absolute symlink targets restart at the rootfs, `..` never climbs above it.
 * The child resolves again with openat2(RESOLVE_IN_ROOT) at mount time, so this check is
 * about a clear early error, not about safety alone.
 * @module
 */
import { join } from "../path.ts";
import { SpecError } from "../errors.ts";

/**
 * Resolves `dest` (a container path) under `rootfs` following existing symlinks, and returns
 * the resolved container path. A relative symlink whose `..` would leave the rootfs is
 * refused: a runtime resolving it on the host would mount outside the container.
 */
export function resolveInRoot(rootfs: string, dest: string, field: string): string {
  const todo = dest.split("/").filter((c) => c !== "" && c !== ".");
  const done: string[] = [];
  let links = 0;
  while (todo.length > 0) {
    const c = todo.shift()!;
    if (c === "..") {
      done.pop();
      continue;
    }
    const hostPath = join(rootfs, ...done, c);
    let target: string | undefined;
    try {
      if (Deno.lstatSync(hostPath).isSymlink) target = Deno.readLinkSync(hostPath);
    } catch {
      // Missing from here on: the child creates the rest, nothing left to resolve.
      done.push(c, ...todo.filter((x) => x !== "." && x !== ""));
      break;
    }
    if (target === undefined) {
      done.push(c);
      continue;
    }
    if (++links > 40) throw new SpecError(field, `too many levels of symbolic links in ${dest}`);
    const parts = target.split("/").filter((x) => x !== "" && x !== ".");
    if (!target.startsWith("/")) {
      let depth = done.length;
      for (const p of parts) {
        depth += p === ".." ? -1 : 1;
        if (depth < 0) {
          throw new SpecError(
            field,
            `symlink /${[...done, c].join("/")} -> ${target} points outside the rootfs`,
          );
        }
      }
    } else {
      done.length = 0;
    }
    todo.unshift(...parts);
  }
  return "/" + done.join("/");
}
