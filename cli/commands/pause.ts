/**
 * `drun pause <container-id>`: freezes every process of a container.
 * @module
 */
import type { Context } from "../context.ts";
import type { CommandSpec, Parsed } from "../flags.ts";
import { parseId } from "../args.ts";

/**
 * The command line of `pause`: its flags, argument counts and help text.
 *
 * @example
 * ```ts
 * console.log(commandHelp("pause", "…", spec));
 * ```
 */
export const spec: CommandSpec = {
  usage: "<container-id>",
  args: [1, 1],
  flags: [],
  description: "Freezes the container's cgroup; its status becomes paused until `drun resume`.",
};

/**
 * Runs `pause` once main.ts has checked its flags and arguments; resolves to the exit code.
 *
 * @example
 * ```ts
 * const code = await run(ctx, parseFlags("pause", spec.flags, args));
 * ```
 */
export async function run(ctx: Context, p: Parsed): Promise<number> {
  await (await ctx.runtime()).pause(parseId(p.args[0]));
  return 0;
}
