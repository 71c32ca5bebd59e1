/**
 * `drun features`: prints the OCI features document (what this build supports).
 * @module
 */
import { features } from "../../lib/features.ts";
import type { Context } from "../context.ts";
import type { CommandSpec, Parsed } from "../flags.ts";

/**
 * The command line of `features`: its flags, argument counts and help text.
 *
 * @example
 * ```ts
 * console.log(commandHelp("features", "…", spec));
 * ```
 */
export const spec: CommandSpec = {
  usage: "",
  args: [0, 0],
  flags: [],
  description: "Prints the runtime-spec features document as JSON, for engines to read before\n" +
    "they ask for a feature.",
};

/**
 * Runs `features` once main.ts has checked its flags and arguments; resolves to the exit code.
 *
 * @example
 * ```ts
 * const code = await run(ctx, parseFlags("features", spec.flags, args));
 * ```
 */
export function run(_ctx: Context, _p: Parsed): Promise<number> {
  console.log(JSON.stringify(features(), null, 2));
  return Promise.resolve(0);
}
