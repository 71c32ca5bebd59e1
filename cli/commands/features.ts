/**
 * `drun features`: prints the OCI features document (what this build supports).
 * @module
 */
import { features } from "../../lib/features.ts";
import type { Context } from "../context.ts";
import type { CommandSpec, Parsed } from "../flags.ts";

/** The command line of `features`. */
export const spec: CommandSpec = {
  usage: "",
  args: [0, 0],
  flags: [],
  description: "Prints the runtime-spec features document as JSON, for engines to read before\n" +
    "they ask for a feature.",
};

/** Runs `features`. */
export function run(_ctx: Context, _p: Parsed): Promise<number> {
  console.log(JSON.stringify(features(), null, 2));
  return Promise.resolve(0);
}
