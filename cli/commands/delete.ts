/**
 * `drun delete [--force] <container-id>`: removes a container and everything it holds.
 * @module
 */
import { DrunError } from "../../lib/errors.ts";
import type { Context } from "../context.ts";
import type { CommandSpec, Parsed } from "../flags.ts";
import { parseId } from "../args.ts";

/**
 * The command line of `delete`: its flags, argument counts and help text.
 *
 * @example
 * ```ts
 * console.log(commandHelp("delete", "…", spec));
 * ```
 */
export const spec: CommandSpec = {
  usage: "<container-id>",
  args: [1, 1],
  flags: [{
    name: "force",
    aliases: ["f"],
    type: "bool",
    help: "kill the container (SIGKILL) first if it still runs",
  }],
  description: "Removes its cgroups and state and runs the poststop hooks. A running container\n" +
    "is refused without --force; with --force a container that does not exist is no error.",
};

/**
 * Runs `delete` once main.ts has checked its flags and arguments; resolves to the exit code.
 *
 * @example
 * ```ts
 * const code = await run(ctx, parseFlags("delete", spec.flags, args));
 * ```
 */
export async function run(ctx: Context, p: Parsed): Promise<number> {
  const force = p.bool("force");
  try {
    await (await ctx.runtime()).delete(parseId(p.args[0]), { force });
  } catch (e) {
    // runc: deleting a missing container with --force is not an error.
    if (force && e instanceof DrunError && e.code === "ENOTFOUND") return 0;
    throw e;
  }
  return 0;
}
