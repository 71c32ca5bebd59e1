/**
 * A declarative policy for a seccomp notify agent, and the pure engine that applies it: which
 * argument of a syscall is a path, path normalisation, glob matching, rule selection. Nothing
 * here touches the system, so all of it is unit-tested without a container.
 *
 * A policy document (JSON):
 *
 * ```json
 * {
 *   "defaultAction": "allow",
 *   "defaultErrno": "EPERM",
 *   "rules": [
 *     { "syscalls": ["chmod", "fchmodat"], "paths": ["/etc/**"], "action": "deny", "errno": "EROFS" },
 *     { "syscalls": ["mkdir", "mkdirat"], "action": "log" }
 *   ]
 * }
 * ```
 *
 * Rules are tried in order and the first that matches decides; when none does, the default
 * action does. A rule with `paths` matches only when one of the syscall's path arguments
 * matches one of the globs.
 * @module
 */
import { SECCOMP_ARCHES, SYSCALLS } from "../seccomp/tables.generated.ts";
import type { Response } from "./notification.ts";

/**
 * What a rule does: let the syscall run, fail it with an errno, or let it run and log it.
 *
 * @example
 * ```ts
 * const action: PolicyAction = "deny";
 * ```
 */
export type PolicyAction = "allow" | "deny" | "log";

/**
 * One rule of a {@link Policy}.
 *
 * @example
 * ```ts
 * const rule: PolicyRule = { syscalls: ["mkdir", "mkdirat"], paths: ["/etc/**"], action: "deny" };
 * ```
 */
export interface PolicyRule {
  /** Syscall names the rule applies to. */
  syscalls: string[];
  /** Globs; when present the rule applies only when a path argument matches one of them. */
  paths?: string[];
  /** The action. */
  action: PolicyAction;
  /** For `deny`: the errno (a positive number). Defaults to the policy's `defaultErrno`. */
  errno?: number;
}

/**
 * A validated policy.
 *
 * @example
 * ```ts
 * const policy: Policy = parsePolicy({ defaultAction: "allow", rules: [] });
 * ```
 */
export interface Policy {
  /** Action when no rule matches (default `allow`). */
  defaultAction: PolicyAction;
  /** Errno of a `deny` that names none (default EPERM). */
  defaultErrno: number;
  /** The rules, first match wins. */
  rules: PolicyRule[];
}

/**
 * A policy document that is not valid; `path` is the JSON path of the offending field.
 *
 * @example
 * ```ts
 * try {
 *   parsePolicy({ rules: [{ syscalls: ["mkdir"], action: "nope" }] });
 * } catch (e) {
 *   if (e instanceof PolicyError) console.error(e.path); // "rules[0].action"
 * }
 * ```
 */
export class PolicyError extends Error {
  /** JSON path of the field (`rules[2].errno`), or `""` for the document itself. */
  readonly path: string;
  /** Creates the error; the message is prefixed with the path. */
  constructor(path: string, message: string) {
    super(path ? `${path}: ${message}` : message);
    this.name = "PolicyError";
    this.path = path;
  }
}

/**
 * What the policy decided for one notification.
 *
 * @example
 * ```ts
 * const d: Decision = decide(ALLOW_ALL, "mkdir", []);
 * console.log(d.action, d.rule); // "allow" -1
 * ```
 */
export interface Decision {
  /** The action taken. */
  action: PolicyAction;
  /** For `deny`, the errno returned. */
  errno?: number;
  /** Index of the deciding rule, or -1 for the default action. */
  rule: number;
  /** The answer for the kernel. */
  response: Response;
}

/**
 * The Linux errno names (generic numbering: x86, arm, aarch64, riscv, s390 share it).
 *
 * @example
 * ```ts
 * console.log(ERRNO.EROFS); // 30
 * ```
 */
// deno-fmt-ignore
export const ERRNO: Readonly<Record<string, number>> = {
  EPERM: 1, ENOENT: 2, ESRCH: 3, EINTR: 4, EIO: 5, ENXIO: 6, E2BIG: 7, ENOEXEC: 8, EBADF: 9,
  ECHILD: 10, EAGAIN: 11, EWOULDBLOCK: 11, ENOMEM: 12, EACCES: 13, EFAULT: 14, ENOTBLK: 15,
  EBUSY: 16, EEXIST: 17, EXDEV: 18, ENODEV: 19, ENOTDIR: 20, EISDIR: 21, EINVAL: 22,
  ENFILE: 23, EMFILE: 24, ENOTTY: 25, ETXTBSY: 26, EFBIG: 27, ENOSPC: 28, ESPIPE: 29,
  EROFS: 30, EMLINK: 31, EPIPE: 32, EDOM: 33, ERANGE: 34, EDEADLK: 35, EDEADLOCK: 35,
  ENAMETOOLONG: 36, ENOLCK: 37, ENOSYS: 38, ENOTEMPTY: 39, ELOOP: 40, ENOMSG: 42, EIDRM: 43,
  ECHRNG: 44, EL2NSYNC: 45, EL3HLT: 46, EL3RST: 47, ELNRNG: 48, EUNATCH: 49, ENOCSI: 50,
  EL2HLT: 51, EBADE: 52, EBADR: 53, EXFULL: 54, ENOANO: 55, EBADRQC: 56, EBADSLT: 57,
  EBFONT: 59, ENOSTR: 60, ENODATA: 61, ETIME: 62, ENOSR: 63, ENONET: 64, ENOPKG: 65,
  EREMOTE: 66, ENOLINK: 67, EADV: 68, ESRMNT: 69, ECOMM: 70, EPROTO: 71, EMULTIHOP: 72,
  EDOTDOT: 73, EBADMSG: 74, EOVERFLOW: 75, ENOTUNIQ: 76, EBADFD: 77, EREMCHG: 78,
  ELIBACC: 79, ELIBBAD: 80, ELIBSCN: 81, ELIBMAX: 82, ELIBEXEC: 83, EILSEQ: 84, ERESTART: 85,
  ESTRPIPE: 86, EUSERS: 87, ENOTSOCK: 88, EDESTADDRREQ: 89, EMSGSIZE: 90, EPROTOTYPE: 91,
  ENOPROTOOPT: 92, EPROTONOSUPPORT: 93, ESOCKTNOSUPPORT: 94, EOPNOTSUPP: 95, ENOTSUP: 95,
  EPFNOSUPPORT: 96, EAFNOSUPPORT: 97, EADDRINUSE: 98, EADDRNOTAVAIL: 99, ENETDOWN: 100,
  ENETUNREACH: 101, ENETRESET: 102, ECONNABORTED: 103, ECONNRESET: 104, ENOBUFS: 105,
  EISCONN: 106, ENOTCONN: 107, ESHUTDOWN: 108, ETOOMANYREFS: 109, ETIMEDOUT: 110,
  ECONNREFUSED: 111, EHOSTDOWN: 112, EHOSTUNREACH: 113, EALREADY: 114, EINPROGRESS: 115,
  ESTALE: 116, EUCLEAN: 117, ENOTNAM: 118, ENAVAIL: 119, EISNAM: 120, EREMOTEIO: 121,
  EDQUOT: 122, ENOMEDIUM: 123, EMEDIUMTYPE: 124, ECANCELED: 125, ENOKEY: 126,
  EKEYEXPIRED: 127, EKEYREVOKED: 128, EKEYREJECTED: 129, EOWNERDEAD: 130,
  ENOTRECOVERABLE: 131, ERFKILL: 132, EHWPOISON: 133,
};

let names: Map<number, string> | undefined;

/**
 * The usual name of errno `n` (`ENOMEDIUM` for 123), or undefined.
 *
 * @example
 * ```ts
 * console.log(errnoName(123)); // "ENOMEDIUM"
 * ```
 */
export function errnoName(n: number): string | undefined {
  if (!names) {
    names = new Map();
    // The first name listed for a number is the usual one (EAGAIN before EWOULDBLOCK).
    for (const [k, v] of Object.entries(ERRNO)) if (!names.has(v)) names.set(v, k);
  }
  return names.get(n);
}

/**
 * An errno given as a name (`"ENOMEDIUM"`) or a number (1..4095); undefined if neither.
 *
 * @example
 * ```ts
 * console.log(parseErrno("EROFS"), parseErrno(13), parseErrno("nope")); // 30 13 undefined
 * ```
 */
export function parseErrno(v: unknown): number | undefined {
  if (typeof v === "number") return Number.isInteger(v) && v > 0 && v <= 4095 ? v : undefined;
  if (typeof v === "string") {
    if (/^\d+$/.test(v)) return parseErrno(Number(v));
    return Object.hasOwn(ERRNO, v.toUpperCase()) ? ERRNO[v.toUpperCase()] : undefined;
  }
  return undefined;
}

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

const globCache = new Map<string, RegExp>();

function escapeRe(c: string): string {
  return /[\\^$.*+?()[\]{}|/]/.test(c) ? `\\${c}` : c;
}

/**
 * Compiles a glob over `/`-separated paths: `*` is any run of characters but `/`, `?` one
 * such character, `[abc]`/`[a-z]`/`[!a]` a class (never `/`), `**` as a whole component any
 * number of components, zero included (`/tmp/**` matches `/tmp` and all below it), `\x` a
 * literal `x`. The glob is normalised like a path first.
 *
 * @example
 * ```ts
 * console.log(globToRegExp("/etc/**").test("/etc/ssl/certs")); // true
 * ```
 */
export function globToRegExp(glob: string): RegExp {
  const cached = globCache.get(glob);
  if (cached) return cached;
  const norm = glob.startsWith("/") ? normalizeGlob(glob) : glob;
  const parts = norm.split("/");
  let re = "";
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    const last = i === parts.length - 1;
    if (part === "**") {
      if (i === 0) re += last ? ".*" : "(?:.*/)?";
      else if (last) re += "(?:/.*)?";
      else re += "(?:/.*)?/";
      continue;
    }
    if (i > 0 && parts[i - 1] !== "**") re += "/";
    re += segmentToRe(part, glob);
  }
  const r = new RegExp(`^${re}$`, "s");
  globCache.set(glob, r);
  return r;
}

function normalizeGlob(glob: string): string {
  // Collapse `//` and `/./`; leave `..` alone (a glob with `..` matches nothing normalised).
  const parts = glob.split("/").filter((p, i) => i === 0 || (p !== "" && p !== "."));
  const s = parts.join("/");
  return s === "" ? "/" : s;
}

function segmentToRe(seg: string, glob: string): string {
  let re = "";
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i];
    if (c === "\\" && i + 1 < seg.length) re += escapeRe(seg[++i]);
    else if (c === "*") {
      while (seg[i + 1] === "*") i++;
      re += "[^/]*";
    } else if (c === "?") re += "[^/]";
    else if (c === "[") {
      const end = seg.indexOf("]", i + 2);
      if (end < 0) throw new SyntaxError(`unclosed [ in glob ${JSON.stringify(glob)}`);
      let body = seg.slice(i + 1, end);
      const neg = body[0] === "!" || body[0] === "^";
      if (neg) body = body.slice(1);
      body = body.replace(/[\\\]^]/g, (m) => `\\${m}`);
      re += neg ? `(?!/)[^${body}]` : `[${body}]`;
      i = end;
    } else re += escapeRe(c);
  }
  return re;
}

/**
 * Whether normalised `path` matches `glob` (see {@link globToRegExp}).
 *
 * @example
 * ```ts
 * console.log(matchGlob("/tmp/*.log", "/tmp/a.log")); // true
 * console.log(matchGlob("/tmp/*", "/tmp/a/b")); // false
 * ```
 */
export function matchGlob(glob: string, path: string): boolean {
  return globToRegExp(glob).test(path);
}

let known: Set<string> | undefined;

/**
 * Whether any architecture's table knows the syscall `name`.
 *
 * @example
 * ```ts
 * console.log(isKnownSyscall("mkdirat"), isKnownSyscall("mkdri")); // true false
 * ```
 */
export function isKnownSyscall(name: string): boolean {
  if (!known) {
    known = new Set();
    for (const a of SECCOMP_ARCHES) for (const n of Object.keys(SYSCALLS[a])) known.add(n);
  }
  return known.has(name);
}

const ACTIONS: readonly PolicyAction[] = ["allow", "deny", "log"];
const TOP_KEYS = new Set(["defaultAction", "defaultErrno", "rules", "comment"]);
const RULE_KEYS = new Set(["syscalls", "paths", "action", "errno", "comment"]);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function action(v: unknown, path: string): PolicyAction {
  if (typeof v !== "string" || !ACTIONS.includes(v as PolicyAction)) {
    throw new PolicyError(path, `must be one of ${ACTIONS.join(", ")}, not ${JSON.stringify(v)}`);
  }
  return v as PolicyAction;
}

function errno(v: unknown, path: string): number {
  const n = parseErrno(v);
  if (n === undefined) {
    throw new PolicyError(
      path,
      typeof v === "string"
        ? `unknown errno name ${JSON.stringify(v)}`
        : `must be an errno name or a number from 1 to 4095, not ${JSON.stringify(v)}`,
    );
  }
  return n;
}

/**
 * Checks a parsed policy document and returns the policy; throws {@link PolicyError} naming
 * the JSON path of the first bad field. Unknown keys are errors (a typo would otherwise
 * silently change what the policy does); `comment` is allowed anywhere a key is.
 *
 * @example
 * ```ts
 * const policy = parsePolicy({
 *   defaultAction: "allow",
 *   rules: [{ syscalls: ["chmod"], paths: ["/etc/**"], action: "deny", errno: "EROFS" }],
 * });
 * ```
 */
export function parsePolicy(doc: unknown): Policy {
  if (!isObject(doc)) throw new PolicyError("", "the policy must be a JSON object");
  for (const k of Object.keys(doc)) {
    if (!TOP_KEYS.has(k)) throw new PolicyError(k, "unknown field");
  }
  const policy: Policy = {
    defaultAction: doc.defaultAction === undefined
      ? "allow"
      : action(doc.defaultAction, "defaultAction"),
    defaultErrno: doc.defaultErrno === undefined ? 1 : errno(doc.defaultErrno, "defaultErrno"),
    rules: [],
  };
  const rules = doc.rules ?? [];
  if (!Array.isArray(rules)) throw new PolicyError("rules", "must be an array");
  rules.forEach((r, i) => policy.rules.push(parseRule(r, `rules[${i}]`)));
  return policy;
}

function parseRule(r: unknown, at: string): PolicyRule {
  if (!isObject(r)) throw new PolicyError(at, "must be an object");
  for (const k of Object.keys(r)) {
    if (!RULE_KEYS.has(k)) throw new PolicyError(`${at}.${k}`, "unknown field");
  }
  if (!Array.isArray(r.syscalls) || r.syscalls.length === 0) {
    throw new PolicyError(`${at}.syscalls`, "must be a non-empty array of syscall names");
  }
  const syscalls: string[] = [];
  r.syscalls.forEach((n, j) => {
    const p = `${at}.syscalls[${j}]`;
    if (typeof n !== "string" || n === "") throw new PolicyError(p, "must be a syscall name");
    if (!isKnownSyscall(n)) throw new PolicyError(p, `unknown syscall ${JSON.stringify(n)}`);
    syscalls.push(n);
  });
  if (r.action === undefined) throw new PolicyError(`${at}.action`, "is required");
  const rule: PolicyRule = { syscalls, action: action(r.action, `${at}.action`) };
  if (r.errno !== undefined) {
    if (rule.action !== "deny") {
      throw new PolicyError(`${at}.errno`, `only a "deny" rule takes an errno`);
    }
    rule.errno = errno(r.errno, `${at}.errno`);
  }
  if (r.paths !== undefined) {
    if (!Array.isArray(r.paths) || r.paths.length === 0) {
      throw new PolicyError(`${at}.paths`, "must be a non-empty array of globs");
    }
    const paths: string[] = [];
    r.paths.forEach((g, j) => {
      const p = `${at}.paths[${j}]`;
      if (typeof g !== "string" || g === "") throw new PolicyError(p, "must be a glob");
      try {
        globToRegExp(g);
      } catch (e) {
        throw new PolicyError(p, (e as Error).message);
      }
      paths.push(g);
    });
    syscalls.forEach((n, j) => {
      if (pathArgs(n).length === 0) {
        throw new PolicyError(
          `${at}.syscalls[${j}]`,
          `${n} takes no path argument, so the rule's paths cannot apply to it`,
        );
      }
    });
    rule.paths = paths;
  }
  return rule;
}

/**
 * Parses and checks a policy file's text (see {@link parsePolicy}).
 *
 * @example
 * ```ts
 * const policy = parsePolicyText(await Deno.readTextFile("/etc/drun/agent-policy.json"));
 * ```
 */
export function parsePolicyText(text: string): Policy {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new PolicyError("", `invalid JSON: ${(e as Error).message}`);
  }
  return parsePolicy(doc);
}

/**
 * Whether some rule for `syscall` looks at paths (so the agent must read them).
 *
 * @example
 * ```ts
 * const policy = parsePolicy({
 *   rules: [{ syscalls: ["mkdir"], paths: ["/tmp/**"], action: "log" }],
 * });
 * console.log(needsPaths(policy, "mkdir"), needsPaths(policy, "read")); // true false
 * ```
 */
export function needsPaths(policy: Policy, syscall: string | undefined): boolean {
  if (!syscall) return false;
  return policy.rules.some((r) => r.paths && r.syscalls.includes(syscall));
}

function responseFor(action: PolicyAction, errnoValue: number): Response {
  return action === "deny" ? { error: errnoValue } : { continue: true };
}

/**
 * Decides for one notification. `paths` are the syscall's path arguments, normalised
 * (undefined where one could not be read); a rule with globs matches when any of them
 * matches any glob. An unknown syscall (no name) gets the default action.
 *
 * @example
 * ```ts
 * const policy = parsePolicy({
 *   rules: [{ syscalls: ["mkdir"], paths: ["/etc/**"], action: "deny" }],
 * });
 * console.log(decide(policy, "mkdir", ["/etc/x"]).response); // { error: 1 }
 * ```
 */
export function decide(
  policy: Policy,
  syscall: string | undefined,
  paths: readonly (string | undefined)[] = [],
): Decision {
  if (syscall) {
    for (let i = 0; i < policy.rules.length; i++) {
      const r = policy.rules[i];
      if (!r.syscalls.includes(syscall)) continue;
      if (r.paths) {
        const hit = paths.some((p) => p !== undefined && r.paths!.some((g) => matchGlob(g, p)));
        if (!hit) continue;
      }
      const e = r.errno ?? policy.defaultErrno;
      return {
        action: r.action,
        errno: r.action === "deny" ? e : undefined,
        rule: i,
        response: responseFor(r.action, e),
      };
    }
  }
  const e = policy.defaultErrno;
  return {
    action: policy.defaultAction,
    errno: policy.defaultAction === "deny" ? e : undefined,
    rule: -1,
    response: responseFor(policy.defaultAction, e),
  };
}

/**
 * The policy without a file: every syscall continues and is logged.
 *
 * @example
 * ```ts
 * const agent = await SeccompAgent.listen("/run/agent.sock", {
 *   handler: (n) => decide(ALLOW_ALL, n.syscall, []).response,
 * });
 * ```
 */
export const ALLOW_ALL: Policy = Object.freeze({
  defaultAction: "allow",
  defaultErrno: 1,
  rules: [],
}) as Policy;
