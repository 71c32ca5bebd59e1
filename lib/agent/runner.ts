/**
 * A seccomp notify agent driven by a declarative policy (see `policy.ts`), printing one line
 * per notification: what `drun seccomp-agent` runs (cli/commands/seccomp_agent.ts parses its
 * flags). It listens on a socket, which containers name as `linux.seccomp.listenerPath`;
 * SIGINT or SIGTERM close it and remove the socket; SIGUSR2 prints a `stats` line (open fds,
 * listeners, connections, notifications).
 * @module
 */
import { type AgentEvent, type NotificationContext, SeccompAgent } from "./agent.ts";
import type { Notification } from "./notification.ts";
import { ALLOW_ALL, decide, type Decision, needsPaths, type Policy } from "./policy.ts";
import { parsePolicyText, PolicyError } from "./policy_parse.ts";
import { AT_FDCWD, normalizePath, pathArgs } from "./paths.ts";
import { errnoName } from "../linux/errno.ts";
import { DrunError } from "../errors.ts";

/**
 * Output format of the command.
 *
 * @example
 * ```ts
 * const format: AgentOutputFormat = "json";
 * ```
 */
export type AgentOutputFormat = "text" | "json";

/**
 * One line of the command's output, before formatting.
 *
 * @example
 * ```ts
 * const line: AgentLine = { event: "listening", socket: "/run/agent.sock", pid: 42 };
 * ```
 */
export type AgentLine =
  | { event: "listening"; socket: string; pid: number }
  | {
    event: "connection";
    id: string;
    pid: number;
    status?: string;
    bundle?: string;
    metadata?: string;
  }
  | { event: "closed"; id: string; reason: string }
  | {
    event: "notification";
    id: string;
    pid: number;
    syscall?: string;
    nr: number;
    path?: string | null;
    paths?: (string | null)[];
    args?: string[];
    decision: Decision["action"];
    errno?: number;
    rule: number;
  }
  | { event: "error"; where: string; message: string }
  | {
    event: "stats";
    fds: number;
    listeners: number;
    connections: number;
    notifications: number;
  }
  | { event: "stopped" };

/**
 * Formats one output line (without the newline); `time` is an ISO timestamp.
 *
 * @example
 * ```ts
 * formatLine({ event: "stopped" }, "text", new Date().toISOString());
 * ```
 */
export function formatLine(line: AgentLine, format: AgentOutputFormat, time: string): string {
  if (format === "json") return JSON.stringify({ time, ...line });
  switch (line.event) {
    case "listening":
      return `${time} listening on ${line.socket} (pid ${line.pid})`;
    case "connection":
      return `${time} ${line.id} connected: pid=${line.pid} status=${line.status ?? "?"}`;
    case "closed":
      return `${time} ${line.id} listener closed (${line.reason})`;
    case "notification": {
      const what = line.syscall ?? `syscall#${line.nr}`;
      let detail: string;
      if (line.paths) {
        detail = line.paths.map((p) => p === null ? "?" : JSON.stringify(p)).join(" ");
      } else if (line.path !== undefined) {
        detail = line.path === null ? "?" : JSON.stringify(line.path);
      } else detail = `(${(line.args ?? []).join(", ")})`;
      let verdict: string = line.decision;
      if (line.errno !== undefined) verdict += ` ${errnoName(line.errno) ?? line.errno}`;
      const rule = line.rule < 0 ? "default" : `rules[${line.rule}]`;
      return `${time} ${line.id} pid=${line.pid} ${what} ${detail} -> ${verdict} (${rule})`;
    }
    case "error":
      return `${time} error (${line.where}): ${line.message}`;
    case "stats":
      return `${time} stats fds=${line.fds} listeners=${line.listeners} ` +
        `connections=${line.connections} notifications=${line.notifications}`;
    case "stopped":
      return `${time} stopped`;
  }
}

/**
 * Reads and checks a policy file; errors name the file and the JSON path.
 *
 * @example
 * ```ts
 * const policy = loadPolicyFile("/etc/drun/policy.json");
 * ```
 */
export function loadPolicyFile(file: string): Policy {
  let text: string;
  try {
    text = Deno.readTextFileSync(file);
  } catch (e) {
    throw new DrunError("EINVALID_ARG", `cannot read ${file}: ${(e as Error).message}`, "--policy");
  }
  try {
    return parsePolicyText(text);
  } catch (e) {
    if (e instanceof PolicyError) {
      throw new DrunError("EINVALID_ARG", `policy ${file}: ${e.message}`, "--policy");
    }
    throw e;
  }
}

/**
 * The number of fds this process has open (the directory read itself counts as one).
 *
 * @example
 * ```ts
 * const before = openFdCount();
 * ```
 */
export function openFdCount(): number {
  let n = 0;
  for (const _ of Deno.readDirSync("/proc/self/fd")) n++;
  return n;
}

function readLink(p: string): string | undefined {
  try {
    return Deno.readLinkSync(p);
  } catch {
    return undefined;
  }
}

/**
 * Reads the path arguments of a notified syscall, each made absolute against the caller's
 * cwd (or its dirfd, for the `*at` calls) as the container sees them, and normalised. An
 * argument that cannot be read is undefined.
 *
 * @example
 * ```ts
 * const [path] = await notifiedPaths(notification, ctx); // "/etc/passwd"
 * ```
 */
export async function notifiedPaths(
  n: Notification,
  ctx: NotificationContext,
): Promise<(string | undefined)[]> {
  const out: (string | undefined)[] = [];
  for (const pa of pathArgs(n.syscall)) {
    let raw: string | undefined;
    try {
      raw = await ctx.readString(n.args[pa.index], 4096);
    } catch {
      out.push(undefined);
      continue;
    }
    let base: string | undefined;
    if (!raw.startsWith("/")) {
      const dirfd = pa.dirfd === undefined ? AT_FDCWD : Number(BigInt.asIntN(32, n.args[pa.dirfd]));
      base = readLink(dirfd === AT_FDCWD ? `/proc/${n.pid}/cwd` : `/proc/${n.pid}/fd/${dirfd}`);
    }
    out.push(normalizePath(raw, base));
  }
  return out;
}

/**
 * What {@link runSeccompAgent} needs.
 *
 * @example
 * ```ts
 * const opts: SeccompAgentCommandOptions = { socket: "/run/agent.sock", quiet: true };
 * ```
 */
export interface SeccompAgentCommandOptions {
  /** Socket path. */
  socket: string;
  /** The policy (default: allow all). */
  policy?: Policy;
  /** Output format. */
  format?: AgentOutputFormat;
  /** Leave out notifications the policy allowed. */
  quiet?: boolean;
  /** Where lines go (default stdout). */
  write?: (line: string) => void;
  /** Resolves when the agent should stop (default: SIGINT or SIGTERM). */
  stop?: Promise<unknown>;
}

/**
 * Runs the agent until `stop`; returns the exit code.
 *
 * @example
 * ```ts
 * await runSeccompAgent({ socket: "/run/agent.sock", format: "json" }); // until SIGTERM
 * ```
 */
export async function runSeccompAgent(opts: SeccompAgentCommandOptions): Promise<number> {
  const policy = opts.policy ?? ALLOW_ALL;
  const format = opts.format ?? "text";
  const write = opts.write ?? ((l: string) => console.log(l));
  let notifications = 0;
  const emit = (line: AgentLine) => {
    try {
      write(formatLine(line, format, new Date().toISOString()));
    } catch { /* a closed stdout must not stop the agent */ }
  };

  const handler = async (n: Notification, ctx: NotificationContext) => {
    notifications++;
    const argsOfPaths = pathArgs(n.syscall);
    const wanted = needsPaths(policy, n.syscall) || !opts.quiet;
    const paths = argsOfPaths.length && wanted ? await notifiedPaths(n, ctx) : [];
    const d = decide(policy, n.syscall, paths);
    if (!(opts.quiet && d.action === "allow")) {
      const line: Extract<AgentLine, { event: "notification" }> = {
        event: "notification",
        id: n.state.state.id,
        pid: n.pid,
        syscall: n.syscall,
        nr: n.nr,
        decision: d.action,
        errno: d.errno,
        rule: d.rule,
      };
      if (argsOfPaths.length === 1) line.path = paths[0] ?? null;
      else if (argsOfPaths.length > 1) line.paths = paths.map((p) => p ?? null);
      else line.args = n.args.map((a) => `0x${a.toString(16)}`);
      if (d.errno === undefined) delete line.errno;
      emit(line);
    }
    return d.response;
  };

  const onEvent = (e: AgentEvent) => {
    if (e.type === "connection") {
      emit({
        event: "connection",
        id: e.state.state.id,
        pid: e.state.pid,
        status: e.state.state.status,
        bundle: e.state.state.bundle,
        metadata: e.state.metadata || undefined,
      });
    } else if (e.type === "listener-closed") {
      emit({ event: "closed", id: e.containerId, reason: e.reason });
    } else if (e.type === "error") {
      emit({ event: "error", where: e.where, message: e.message });
    }
  };

  const agent = await SeccompAgent.listen(opts.socket, {
    handler,
    onEvent,
    maxEvents: 0, // lines are printed as they come; nothing reads `events`
  });
  const stats = () =>
    emit({
      event: "stats",
      fds: openFdCount(),
      listeners: agent.activeListeners,
      connections: agent.connectionsServed,
      notifications,
    });
  const { promise: signalled, resolve: stopBySignal } = Promise.withResolvers<void>();
  const listeners: [Deno.Signal, () => void][] = [
    ["SIGINT", () => stopBySignal()],
    ["SIGTERM", () => stopBySignal()],
    ["SIGUSR2", stats],
  ];
  for (const [s, h] of listeners) Deno.addSignalListener(s, h);
  try {
    emit({ event: "listening", socket: agent.path, pid: Deno.pid });
    await Promise.race([opts.stop ?? signalled, agent.done]);
  } finally {
    for (const [s, h] of listeners) Deno.removeSignalListener(s, h);
    await agent.close();
    emit({ event: "stopped" });
  }
  return 0;
}
