/**
 * Which argument of a syscall is a path (and under which dirfd a relative one is looked up),
 * and the lexical normalisation the policy matches paths after.
 * @module
 */

/**
 * Where a syscall takes a path: the argument index, and the dirfd a relative one is under.
 *
 * @example
 * ```ts
 * const [arg]: readonly PathArg[] = pathArgs("mkdirat"); // { index: 1, dirfd: 0 }
 * ```
 */
export interface PathArg {
  /** Index of the pointer argument. */
  index: number;
  /** Index of the dirfd argument; absent when relative paths are under the cwd. */
  dirfd?: number;
}

// deno-fmt-ignore
const CWD_ARG0 = [
  "open", "creat", "mkdir", "rmdir", "chmod", "chown", "chown32", "lchown", "lchown32",
  "unlink", "truncate", "truncate64", "chdir", "chroot", "stat", "stat64", "lstat", "lstat64",
  "oldstat", "oldlstat", "access", "readlink", "execve", "mknod", "utime", "utimes", "statfs",
  "statfs64", "setxattr", "lsetxattr", "getxattr", "lgetxattr", "listxattr", "llistxattr",
  "removexattr", "lremovexattr", "uselib", "acct", "swapon", "swapoff", "umount", "umount2",
];
// deno-fmt-ignore
const AT_ARG1 = [
  "openat", "openat2", "mkdirat", "mknodat", "fchownat", "futimesat", "newfstatat",
  "fstatat64", "unlinkat", "faccessat", "faccessat2", "fchmodat", "fchmodat2", "readlinkat",
  "execveat", "utimensat", "utimensat_time64", "statx", "name_to_handle_at", "open_tree",
  "open_tree_attr", "fspick", "mount_setattr", "setxattrat", "getxattrat", "listxattrat",
  "removexattrat", "file_getattr", "file_setattr",
];

const PATH_ARGS: ReadonlyMap<string, readonly PathArg[]> = new Map<string, PathArg[]>([
  ...CWD_ARG0.map((n) => [n, [{ index: 0 }]] as [string, PathArg[]]),
  ...AT_ARG1.map((n) => [n, [{ index: 1, dirfd: 0 }]] as [string, PathArg[]]),
  ["link", [{ index: 0 }, { index: 1 }]],
  ["rename", [{ index: 0 }, { index: 1 }]],
  ["pivot_root", [{ index: 0 }, { index: 1 }]],
  // symlink's first argument is the link's content, not a path that is looked up.
  ["symlink", [{ index: 1 }]],
  ["symlinkat", [{ index: 2, dirfd: 1 }]],
  ["linkat", [{ index: 1, dirfd: 0 }, { index: 3, dirfd: 2 }]],
  ["renameat", [{ index: 1, dirfd: 0 }, { index: 3, dirfd: 2 }]],
  ["renameat2", [{ index: 1, dirfd: 0 }, { index: 3, dirfd: 2 }]],
  ["move_mount", [{ index: 1, dirfd: 0 }, { index: 3, dirfd: 2 }]],
  // mount's source is often not a path ("tmpfs", "proc"); its target always is.
  ["mount", [{ index: 1 }]],
  ["inotify_add_watch", [{ index: 1 }]],
  ["fanotify_mark", [{ index: 4, dirfd: 3 }]],
]);

/**
 * The path arguments of syscall `name` (empty when it takes none this module knows).
 *
 * @example
 * ```ts
 * console.log(pathArgs("renameat2")); // [{ index: 1, dirfd: 0 }, { index: 3, dirfd: 2 }]
 * ```
 */
export function pathArgs(name: string | undefined): readonly PathArg[] {
  return (name && PATH_ARGS.get(name)) || [];
}

/**
 * `AT_FDCWD` as the low 32 bits of an argument.
 *
 * @example
 * ```ts
 * const relativeToCwd = (dirfd: bigint) => Number(BigInt.asIntN(32, dirfd)) === AT_FDCWD;
 * ```
 */
export const AT_FDCWD: number = -100;

/**
 * Normalises `path` lexically: made absolute against `base` when relative and a base is
 * given, `.` and empty components dropped, `..` taking one off (never above `/`). Symlinks
 * are not resolved. A relative path without a base stays relative, normalised.
 *
 * @example
 * ```ts
 * console.log(normalizePath("../etc//passwd", "/tmp/x")); // "/tmp/etc/passwd"
 * ```
 */
export function normalizePath(path: string, base?: string): string {
  let abs = path.startsWith("/");
  let full = path;
  if (!abs && base !== undefined && base.startsWith("/")) {
    full = `${base}/${path}`;
    abs = true;
  }
  const out: string[] = [];
  for (const part of full.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (out.length && out[out.length - 1] !== "..") out.pop();
      else if (!abs) out.push("..");
      continue;
    }
    out.push(part);
  }
  const joined = out.join("/");
  return abs ? `/${joined}` : joined || ".";
}
