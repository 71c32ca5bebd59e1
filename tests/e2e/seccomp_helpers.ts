/**
 * Helpers the seccomp notify and agent suites share: socket dirs, NOTIFY profiles, polling.
 * @module
 */
import type { Spec } from "../../lib/spec/types.ts";

/** The OCI linux.seccomp object. */
export type Seccomp = NonNullable<NonNullable<Spec["linux"]>["seccomp"]>;

/** Agents and containers outlive single test ops by design; Deno's sanitizers would object. */
export const NO_SANITIZE = { sanitizeOps: false, sanitizeResources: false };

/** A temporary directory for an agent socket, reachable by a container's non-root user. */
export function tempSocketDir(): string {
  const d = Deno.makeTempDirSync({ prefix: "drun-agent-" });
  Deno.chmodSync(d, 0o755);
  return d;
}

/** A profile that notifies `names` (or everything, when empty) and allows the rest. */
export function notifyOn(
  names: string[],
  listenerPath?: string,
  extra: Partial<Seccomp> = {},
): Seccomp {
  const s: Seccomp = names.length
    ? { defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names, action: "SCMP_ACT_NOTIFY" }] }
    : { defaultAction: "SCMP_ACT_NOTIFY" };
  if (listenerPath !== undefined) s.listenerPath = listenerPath;
  return { ...s, ...extra };
}

/** Polls `get` until it returns something truthy (returned), or fails after `ms`. */
export async function waitFor<T>(
  get: () => T | undefined | false,
  ms: number,
  what: string,
): Promise<T> {
  const until = Date.now() + ms;
  while (true) {
    const v = get();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
