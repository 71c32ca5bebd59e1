/**
 * `drun start <container-id>`: runs the user process of a created container.
 * @module
 */
import type { Context } from "../context.ts";
import type { CommandSpec, Parsed } from "../flags.ts";
import { parseId } from "../args.ts";

/**
 * The command line of `start`: its flags, argument counts and help text.
 *
 * @example
 * ```ts
 * console.log(commandHelp("start", "…", spec));
 * ```
 */
export const spec: CommandSpec = {
  usage: "<container-id>",
  args: [1, 1],
  flags: [],
  description: "Runs the startContainer hooks and lets the process exec (it waits since `create`).",
};

/**
 * Runs `start` once main.ts has checked its flags and arguments; resolves to the exit code.
 *
 * @example
 * ```ts
 * const code = await run(ctx, parseFlags("start", spec.flags, args));
 * ```
 */
export async function run(ctx: Context, p: Parsed): Promise<number> {
  await (await ctx.runtime()).start(parseId(p.args[0]));
  return 0;
}
