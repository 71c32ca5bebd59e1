/**
 * `drun spec [--bundle DIR] [--rootless]`: writes a default config.json, as `runc spec`.
 * @module
 */
import { resolve } from "../../lib/path.ts";
import { DrunError } from "../../lib/errors.ts";
import { defaultSpec } from "../../lib/spec/default.ts";
import type { Context } from "../context.ts";
import type { CommandSpec, Parsed } from "../flags.ts";

/**
 * The command line of `spec`: its flags, argument counts and help text.
 *
 * @example
 * ```ts
 * console.log(commandHelp("spec", "…", spec));
 * ```
 */
export const spec: CommandSpec = {
  usage: "",
  args: [0, 0],
  flags: [
    {
      name: "bundle",
      aliases: ["b"],
      type: "string",
      value: "DIR",
      help: "where to write config.json (default the current directory)",
    },
    { name: "rootless", type: "bool", help: "a config for a rootless container (user namespace)" },
  ],
  description: "Writes <bundle>/config.json running `sh` on a rootfs at ./rootfs, with the\n" +
    "defaults runc's spec has; an existing config.json is not overwritten.",
};

/**
 * Runs `spec` once main.ts has checked its flags and arguments; resolves to the exit code.
 *
 * @example
 * ```ts
 * const code = await run(ctx, parseFlags("spec", spec.flags, args));
 * ```
 */
export function run(_ctx: Context, p: Parsed): Promise<number> {
  const path = resolve(p.string("bundle") ?? ".", "config.json");
  try {
    Deno.statSync(path);
    throw new DrunError("EEXISTS", `File ${path} exists. Remove it first`);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  const config = defaultSpec({ rootless: p.bool("rootless") });
  Deno.writeTextFileSync(path, JSON.stringify(config, null, "\t") + "\n");
  return Promise.resolve(0);
}
