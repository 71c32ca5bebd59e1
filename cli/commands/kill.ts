/**
 * `drun kill [--all] <container-id> [signal]`: sends a signal to the container's init.
 * @module
 */
import type { Context } from "../context.ts";
import type { CommandSpec, Parsed } from "../flags.ts";
import { parseId } from "../args.ts";

/**
 * The command line of `kill`: its flags, argument counts and help text.
 *
 * @example
 * ```ts
 * console.log(commandHelp("kill", "…", spec));
 * ```
 */
export const spec: CommandSpec = {
  usage: "<container-id> [signal]",
  args: [1, 2],
  flags: [{
    name: "all",
    aliases: ["a"],
    type: "bool",
    help: "send the signal to every process of the container",
  }],
  description: "The signal is a name (KILL, SIGKILL), a number or RTMIN+n; default SIGTERM.",
};

/**
 * Runs `kill` once main.ts has checked its flags and arguments; resolves to the exit code.
 *
 * @example
 * ```ts
 * const code = await run(ctx, parseFlags("kill", spec.flags, args));
 * ```
 */
export async function run(ctx: Context, p: Parsed): Promise<number> {
  const [id, signal = "SIGTERM"] = p.args;
  await (await ctx.runtime()).kill(parseId(id), signal, p.bool("all"));
  return 0;
}
