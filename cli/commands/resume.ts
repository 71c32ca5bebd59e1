/**
 * `drun resume <container-id>`: thaws a paused container.
 * @module
 */
import type { Context } from "../context.ts";
import type { CommandSpec, Parsed } from "../flags.ts";
import { parseId } from "../args.ts";

/**
 * The command line of `resume`: its flags, argument counts and help text.
 *
 * @example
 * ```ts
 * console.log(commandHelp("resume", "…", spec));
 * ```
 */
export const spec: CommandSpec = {
  usage: "<container-id>",
  args: [1, 1],
  flags: [],
  description: "Thaws the container's cgroup frozen by `drun pause`.",
};

/**
 * Runs `resume` once main.ts has checked its flags and arguments; resolves to the exit code.
 *
 * @example
 * ```ts
 * const code = await run(ctx, parseFlags("resume", spec.flags, args));
 * ```
 */
export async function run(ctx: Context, p: Parsed): Promise<number> {
  await (await ctx.runtime()).resume(parseId(p.args[0]));
  return 0;
}
