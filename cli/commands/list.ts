/**
 * `drun list [--format table|json] [--quiet]`: the containers under the state root.
 * @module
 */
import { ArgError } from "../../lib/errors.ts";
import type { OciState } from "../../lib/state/oci.ts";
import type { Context } from "../context.ts";
import type { CommandSpec, Parsed } from "../flags.ts";

/**
 * The command line of `list`: its flags, argument counts and help text.
 *
 * @example
 * ```ts
 * console.log(commandHelp("list", "…", spec));
 * ```
 */
export const spec: CommandSpec = {
  usage: "",
  args: [0, 0],
  flags: [
    {
      name: "format",
      aliases: ["f"],
      type: "string",
      value: "table|json",
      help: "output format (default table)",
    },
    { name: "quiet", aliases: ["q"], type: "bool", help: "print only the container ids" },
  ],
};

function printTable(all: OciState[]): void {
  const rows = [["ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"]];
  for (const s of all) rows.push([s.id, String(s.pid), s.status, s.bundle, s.created, s.owner]);
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i])).join("   ").trimEnd());
}

/**
 * Runs `list` once main.ts has checked its flags and arguments; resolves to the exit code.
 *
 * @example
 * ```ts
 * const code = await run(ctx, parseFlags("list", spec.flags, args));
 * ```
 */
export async function run(ctx: Context, p: Parsed): Promise<number> {
  const format = p.string("format") ?? "table";
  if (format !== "table" && format !== "json") {
    throw new ArgError(`--format: must be table or json, not ${JSON.stringify(format)}`);
  }
  const all = (await ctx.runtime()).list();
  if (p.bool("quiet")) all.forEach((s) => console.log(s.id));
  else if (format === "json") console.log(JSON.stringify(all));
  else printTable(all);
  return 0;
}
