/**
 * The runtime's side of `linux.seccomp.listenerPath`: connecting to the agent with errors
 * that say what the agent failed to do, how long the init gives it, and which syscall an
 * init is stuck in when an agent never answers.
 * @module
 */
import { DrunError, SpecError } from "../errors.ts";
import { unixConnect } from "../native/ffi.ts";
import { SYSCALLS } from "./tables.generated.ts";

/** The annotation that sets the seccomp agent deadline of one container, in milliseconds. */
export const SECCOMP_TIMEOUT_ANNOTATION = "run.drun.seccomp.timeout";
/** How long the agent gets to accept, read the state and answer, unless annotated. */
export const DEFAULT_SECCOMP_TIMEOUT_MS = 10_000;

/**
 * The agent deadline for a container: its `run.drun.seccomp.timeout` annotation (1 to
 * 600000 ms) or the default.
 *
 * @example
 * ```ts
 * import { seccompTimeoutMs } from "./listener.ts";
 * seccompTimeoutMs({ "run.drun.seccomp.timeout": "2000" }); // 2000
 * seccompTimeoutMs(undefined); // 10000
 * ```
 */
export function seccompTimeoutMs(annotations: Record<string, string> | undefined): number {
  const raw = annotations?.[SECCOMP_TIMEOUT_ANNOTATION];
  if (raw === undefined) return DEFAULT_SECCOMP_TIMEOUT_MS;
  const ms = /^\d{1,6}$/.test(raw) ? Number(raw) : NaN;
  if (!(ms >= 1 && ms <= 600_000)) {
    throw new SpecError(
      `annotations.${SECCOMP_TIMEOUT_ANNOTATION}`,
      "must be a whole number of milliseconds from 1 to 600000",
    );
  }
  return ms;
}

/**
 * Connects to the agent at `path` without ever blocking: a listen backlog that is full (the
 * agent stopped accepting) fails at once, as runc does.
 *
 * @example
 * ```ts ignore
 * import { connectListener } from "./listener.ts";
 * const fd = connectListener("/run/agent.sock");
 * ```
 */
export function connectListener(path: string): number {
  try {
    return unixConnect(path);
  } catch (e) {
    const errno = (e as { errno?: number }).errno;
    const why = errno === 11
      ? `the seccomp agent at ${path} is not accepting connections (its listen backlog is full)`
      : (e as Error).message;
    throw new DrunError("ESECCOMP", why, "linux.seccomp.listenerPath");
  }
}

// Built on the first timeout only: the map is ~400 entries no successful create needs.
let x86_64Names: Map<number, string> | undefined;

/**
 * The syscall `pid` is blocked in, by name (from /proc/<pid>/syscall), or undefined when it
 * runs or is gone.
 *
 * @example
 * ```ts
 * import { blockedSyscall } from "./listener.ts";
 * console.log(blockedSyscall(Deno.pid)); // "running", or a name when blocked
 * ```
 */
export function blockedSyscall(pid: number): string | undefined {
  try {
    const first = Deno.readTextFileSync(`/proc/${pid}/syscall`).trim().split(" ")[0];
    if (first === "running" || first === "-1") return undefined;
    const nr = Number(first);
    x86_64Names ??= new Map(Object.entries(SYSCALLS.x86_64).map(([n, no]) => [no, n]));
    return x86_64Names.get(nr) ?? `syscall ${nr}`;
  } catch {
    return undefined;
  }
}
