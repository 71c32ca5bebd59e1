/**
 * Checking a policy document (see `policy.ts`): unknown keys, actions, errnos given by name
 * or number, syscall names known to some architecture, globs that compile and only on
 * syscalls that take a path. The first bad field becomes a {@link PolicyError} naming it.
 * @module
 */
import { ERRNO } from "../linux/errno.ts";
import { SECCOMP_ARCHES, SYSCALLS } from "../seccomp/tables.generated.ts";
import { globToRegExp } from "./glob.ts";
import { pathArgs } from "./paths.ts";
import type { Policy, PolicyAction, PolicyRule } from "./policy.ts";

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
