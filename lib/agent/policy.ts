/**
 * A declarative policy for a seccomp notify agent and the decision it makes for one
 * notification. The document is checked by `policy_parse.ts`; path arguments and their
 * normalisation are in `paths.ts`, glob matching in `glob.ts`. Nothing here touches the
 * system, so all of it is unit-tested without a container.
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
import { matchGlob } from "./glob.ts";
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
