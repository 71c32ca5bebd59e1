/**
 * `drun state <container-id>`: prints the OCI state of a container as JSON.
 * @module
 */
import { readState } from "../../lib/state/store.ts";
import { toOciState } from "../../lib/state/oci.ts";
import { isPaused } from "../../lib/cgroup/frozen.ts";
import type { Context } from "../context.ts";
import type { CommandSpec, Parsed } from "../flags.ts";
import { parseId } from "../args.ts";

/**
 * The command line of `state`: its flags, argument counts and help text.
 *
 * @example
 * ```ts
 * console.log(commandHelp("state", "…", spec));
 * ```
 */
export const spec: CommandSpec = {
  usage: "<container-id>",
  args: [1, 1],
  flags: [],
  description: "Prints the container's state (ociVersion, id, status, pid, bundle, annotations).",
};

/**
 * Runs `state` once main.ts has checked its flags and arguments; resolves to the exit code.
 *
 * @example
 * ```ts
 * const code = await run(ctx, parseFlags("state", spec.flags, args));
 * ```
 */
export function run(ctx: Context, p: Parsed): Promise<number> {
  // What Runtime.state does, read straight from the store: engines call `state` several
  // times per container, and the Runtime module would load the whole launch path (~30 ms).
  const state = toOciState(readState(ctx.root, parseId(p.args[0]), isPaused));
  console.log(JSON.stringify(state, null, 2));
  return Promise.resolve(0);
}
