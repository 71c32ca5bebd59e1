/**
 * `drun help [command]` (also `drun h`): drun's usage, or the help of one command.
 * @module
 */
import type { Context } from "../context.ts";
import type { CommandSpec, Parsed } from "../flags.ts";

/** The command line of `help`. */
export const spec: CommandSpec = {
  usage: "[command]",
  args: [0, 1],
  flags: [],
};

/** Runs `help`. */
export async function run(ctx: Context, p: Parsed): Promise<number> {
  console.log(await ctx.helpText(p.args[0]));
  return 0;
}
