/**
 * A seccomp agent that logs every `execve`/`execveat` of the containers that use it, with the
 * path and arguments, and lets each one continue.
 *
 * ```sh
 * deno run -A examples/seccomp_exec_logger.ts --socket /run/exec-logger.sock
 * ```
 *
 * with a profile that notifies the exec calls, e.g.
 * `{"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": "/run/exec-logger.sock",
 *   "syscalls": [{"names": ["execve", "execveat"], "action": "SCMP_ACT_NOTIFY"}]}`.
 *
 * What it prints is what the caller asked for, read before the kernel runs the call: good
 * for an audit trail, not for a decision (the caller's memory can change in between).
 * @module
 */
import { parseArgs } from "node:util";
import {
  type Notification,
  type NotificationContext,
  type Response,
  SeccompAgent,
} from "../lib/agent/mod.ts"; // jsr:@drun/drun/agent

const { values } = parseArgs({ options: { socket: { type: "string" } } });
if (!values.socket) {
  console.error("usage: seccomp_exec_logger.ts --socket PATH");
  Deno.exit(2);
}

/** Reads a NULL-terminated array of string pointers (argv), at most `max` entries. */
async function readArgv(ctx: NotificationContext, addr: bigint, max = 64): Promise<string[]> {
  const out: string[] = [];
  if (addr === 0n) return out;
  for (let i = 0; i < max; i++) {
    const raw = await ctx.readMemory(addr + BigInt(8 * i), 8);
    const ptr = new DataView(raw.buffer).getBigUint64(0, true);
    if (ptr === 0n) return out;
    out.push(await ctx.readString(ptr));
  }
  out.push("...");
  return out;
}

async function handler(n: Notification, ctx: NotificationContext): Promise<Response> {
  // execve(path, argv, envp); execveat(dirfd, path, argv, envp, flags).
  const at = n.syscall === "execveat" ? 1 : n.syscall === "execve" ? 0 : -1;
  if (at < 0) return { continue: true };
  try {
    const path = await ctx.readString(n.args[at]);
    const argv = await readArgv(ctx, n.args[at + 1]);
    console.log(
      `${new Date().toISOString()} ${n.state.state.id} pid=${n.pid} exec ${
        JSON.stringify(path)
      } argv=${JSON.stringify(argv)}`,
    );
  } catch (e) {
    console.log(`${n.state.state.id} pid=${n.pid} exec (unreadable: ${(e as Error).message})`);
  }
  return { continue: true };
}

const agent = await SeccompAgent.listen(values.socket, {
  handler,
  onError: (e, where) => console.error(`error (${where}): ${e.message}`),
});
const { promise: stop, resolve } = Promise.withResolvers<void>();
for (const sig of ["SIGINT", "SIGTERM"] as const) Deno.addSignalListener(sig, resolve);
console.log(`listening on ${agent.path}`);
await stop;
await agent.close();
Deno.exit(0);
