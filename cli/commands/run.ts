/**
 * `drun run [options] <container-id>`: create, start and (unless `--detach`) wait, exiting
 * with the container's code (128+N when killed by signal N).
 * @module
 */
import { killPid, waitPid } from "../../lib/native/ffi.ts";
import { signalNumber } from "../../lib/linux/signals.ts";
import type { Context } from "../context.ts";
import type { CommandSpec, Parsed } from "../flags.ts";
import { parseId } from "../args.ts";
import { proxyPty, type PtyProxy } from "../tty_proxy.ts";
import { CREATE_FLAGS, createOptions } from "./create.ts";

/**
 * The command line of `run`: its flags, argument counts and help text.
 *
 * @example
 * ```ts
 * console.log(commandHelp("run", "…", spec));
 * ```
 */
export const spec: CommandSpec = {
  usage: "<container-id>",
  args: [1, 1],
  flags: [
    ...CREATE_FLAGS,
    { name: "detach", aliases: ["d"], type: "bool", help: "return once the process has started" },
    { name: "keep", type: "bool", help: "do not delete the container after it exits" },
    { name: "no-subreaper", type: "bool", help: "accepted for runc compatibility; unused" },
  ],
  description: "Signals to drun (INT, TERM, HUP, QUIT, USR1, USR2) are forwarded to the\n" +
    "container. With process.terminal and no --console-socket, drun joins the pty to its own\n" +
    "terminal.",
};

/** Signals a foreground `run` passes on to the container's init. */
const FORWARDED = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2"] as const;

/**
 * Runs `run` once main.ts has checked its flags and arguments; resolves to the exit code.
 *
 * @example
 * ```ts
 * const code = await run(ctx, parseFlags("run", spec.flags, args));
 * ```
 */
export async function run(ctx: Context, p: Parsed): Promise<number> {
  const id = parseId(p.args[0]);
  const detach = p.bool("detach");
  const rt = await ctx.runtime();
  let proxy: PtyProxy | undefined;
  const { state, execDone } = await rt.createWithResult(id, {
    ...createOptions(p),
    watchExec: !detach,
    // A terminal and no console socket: we hold the pty and join it to our own stdio.
    onConsole: detach ? undefined : (fd) => {
      proxy = proxyPty(fd);
    },
  });
  const handlers = FORWARDED.map((s) => {
    const h = () => killPid(state.pid, signalNumber(s));
    Deno.addSignalListener(s, h);
    return [s, h] as const;
  });
  try {
    await rt.start(id);
    if (detach) return 0;
    // Watch for an exec failure while waiting; handled at once so it is never "unhandled".
    let execError: unknown;
    const exec = execDone!().catch((e) => {
      execError = e;
    });
    const status = await waitPid(state.pid);
    await exec;
    if (proxy) {
      await Promise.race([proxy.done, new Promise((r) => setTimeout(r, 500))]);
      proxy.stop();
    }
    if (execError) throw execError;
    return status.code;
  } finally {
    proxy?.stop();
    for (const [s, h] of handlers) Deno.removeSignalListener(s, h);
    if (!detach && !p.bool("keep")) await rt.delete(id, { force: true }).catch(() => {});
  }
}
