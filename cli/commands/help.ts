/**
 * `drun help [command]` (also `drun h`): drun's usage, or the help of one command.
 * @module
 */
import { VERSION } from "../../lib/version.ts";
import { type Context, ExitError } from "../context.ts";
import type { CommandSpec, Parsed } from "../flags.ts";
import { commandHelp, globalHelp } from "../help.ts";
import { ALIASES, COMMANDS } from "../registry.ts";

/** The command line of `help`. */
export const spec: CommandSpec = {
  usage: "[command]",
  args: [0, 1],
  flags: [],
};

/** Runs `help`. */
export async function run(_ctx: Context, p: Parsed): Promise<number> {
  const [topic] = p.args;
  if (topic === undefined) {
    console.log(globalHelp(VERSION));
    return 0;
  }
  const name = ALIASES[topic] ?? topic;
  if (!Object.hasOwn(COMMANDS, name)) {
    // runc's exit code for a help topic it does not know, as for an unknown command.
    throw new ExitError(`help: no command ${JSON.stringify(topic)} (see drun --help)`, 3);
  }
  console.log(commandHelp(name, (await COMMANDS[name].load()).spec));
  return 0;
}
