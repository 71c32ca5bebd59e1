/**
 * `drun seccomp-agent --socket PATH [--policy FILE] [--format text|json] [--quiet]`: serves
 * `linux.seccomp.listenerPath` with the agent of lib/agent/runner.ts.
 * @module
 */
import { resolve } from "../../lib/path.ts";
import { ArgError } from "../../lib/errors.ts";
import { loadPolicyFile, runSeccompAgent } from "../../lib/agent/runner.ts";
import type { Context } from "../context.ts";
import type { CommandSpec, Parsed } from "../flags.ts";

/**
 * The command line of `seccomp-agent`: its flags, argument counts and help text.
 *
 * @example
 * ```ts
 * console.log(commandHelp("seccomp-agent", "…", spec));
 * ```
 */
export const spec: CommandSpec = {
  usage: "",
  args: [0, 0],
  flags: [
    {
      name: "socket",
      aliases: ["s"],
      type: "string",
      value: "PATH",
      help: "unix socket to listen on (a stale one is replaced); required",
    },
    {
      name: "policy",
      aliases: ["p"],
      type: "string",
      value: "FILE",
      help: "JSON policy; without one every syscall continues",
    },
    {
      name: "format",
      aliases: ["f"],
      type: "string",
      value: "text|json",
      help: "one event per line, text (default) or json",
    },
    {
      name: "quiet",
      aliases: ["q"],
      type: "bool",
      help: "do not print notifications the policy allows (log and deny still print)",
    },
  ],
  description: `Receives each container's seccomp listener and answers every notified syscall by
the policy, printing one line per notification.

Policy:
  {"defaultAction": "allow"|"deny"|"log", "defaultErrno": "EPERM",
   "rules": [{"syscalls": ["chmod"], "paths": ["/etc/**"], "action": "deny", "errno": "EROFS"}]}
  First matching rule wins. "paths" globs (* ? [..] **) match the syscall's path arguments,
  made absolute against the caller's cwd or dirfd.

Signals: SIGINT/SIGTERM stop (socket removed), SIGUSR2 prints fd and connection counts.`,
};

/**
 * Runs `seccomp-agent` once main.ts has checked its flags and arguments; resolves to the exit code.
 *
 * @example
 * ```ts
 * const code = await run(ctx, parseFlags("seccomp-agent", spec.flags, args));
 * ```
 */
export async function run(_ctx: Context, p: Parsed): Promise<number> {
  const socket = p.string("socket");
  if (!socket) throw new ArgError("seccomp-agent: --socket is required");
  const format = p.string("format") ?? "text";
  if (format !== "text" && format !== "json") {
    throw new ArgError(`must be text or json, not ${format}`, "--format");
  }
  const policyFile = p.string("policy");
  return await runSeccompAgent({
    socket: resolve(socket),
    policy: policyFile ? loadPolicyFile(resolve(policyFile)) : undefined,
    format,
    quiet: p.bool("quiet"),
  });
}
