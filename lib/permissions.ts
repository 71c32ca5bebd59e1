/**
 * The Deno permissions drun needs, checked once before a command does anything.
 *
 * drun reads `/proc/<pid>/*` (process start times, mountinfo, status), writes
 * `/proc/<pid>/{uid_map,gid_map,setgroups}`, creates cgroups under `/sys/fs/cgroup` and
 * opens device nodes under `/dev`. Deno (since 1.43) lets a program touch `/proc`, `/sys`,
 * `/dev` and `/etc` only under `--allow-all`, whatever `--allow-read`/`--allow-write` say, and
 * any `--deny-*` flag takes that away again. So the one set that works is `-A` with no deny
 * flags; `--allow-ffi`, which drun needs for its shared object, is as strong anyway.
 *
 * Without the check, a command run with less got far enough to clone a container's init,
 * then failed on a `/proc` read that lower layers treat as "process gone", leaving an init
 * waiting forever and a state directory behind.
 * @module
 */

/**
 * The flag drun must be run with.
 * @example
 * ```ts
 * console.log(`deno run ${REQUIRED_PERMISSIONS} cli.ts state c1`);
 * ```
 */
export const REQUIRED_PERMISSIONS = "--allow-all";

/** The permissions a `-A` run has; any one not granted names what was left out. */
const NAMED = ["read", "write", "env", "run", "ffi", "sys"] as const;

/**
 * Why this process cannot run drun, in one line, or undefined when it can.
 * @example
 * ```ts
 * const problem = permissionProblem();
 * if (problem) console.error(problem);
 * ```
 */
export function permissionProblem(): string | undefined {
  try {
    // The cheapest call that needs exactly what drun needs: a path under /proc.
    Deno.statSync("/proc/self");
    return undefined;
  } catch (e) {
    // NotCapable is Deno's sandbox; an OS error (EACCES, no /proc) is the command's to report.
    if (!(e instanceof Deno.errors.NotCapable)) return undefined;
  }
  const missing = NAMED.filter((name) => Deno.permissions.querySync({ name }).state !== "granted")
    .map((n) => `--allow-${n}`);
  const why = missing.length
    ? `missing ${missing.join(" ")}`
    : "separate --allow-* flags, or -A with a --deny-* flag, are not enough";
  return `drun: needs Deno's ${REQUIRED_PERMISSIONS} (-A): ${why}; Deno opens /proc, /sys and ` +
    `/dev only under -A with no --deny-* flag (deno run -A ...)`;
}

/**
 * Prints the problem and exits with status 1 when permissions fall short; the entry point
 * calls this before parsing anything, so nothing is created.
 * @example
 * ```ts
 * if (import.meta.main) exitUnlessPermitted();
 * ```
 */
export function exitUnlessPermitted(): void {
  const problem = permissionProblem();
  if (problem === undefined) return;
  console.error(problem);
  Deno.exit(1);
}
