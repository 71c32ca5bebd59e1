/**
 * `drun help [command]` (also `drun h`): drun's usage, or the help of one command.
 * @module
 */
import type { Context } from "../context.ts";
import type { CommandSpec, Parsed } from "../flags.ts";

/**
 * The command line of `help`: its flags, argument counts and help text.
 *
 * @example
 * ```ts
 * console.log(commandHelp("help", "…", spec));
 * ```
 */
export const spec: CommandSpec = {
  usage: "[command]",
  args: [0, 1],
  flags: [],
};

/**
 * Runs `help` once main.ts has checked its flags and arguments; resolves to the exit code.
 *
 * @example
 * ```ts
 * const code = await run(ctx, parseFlags("help", spec.flags, args));
 * ```
 */
export async function run(ctx: Context, p: Parsed): Promise<number> {
  console.log(await ctx.helpText(p.args[0]));
  return 0;
}
