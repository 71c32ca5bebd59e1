/**
 * `drun ps [--format table|json] <container-id> [ps options]`: the container's processes.
 * json prints the host pids as an array; table runs `ps` (default `-ef`) and keeps its header
 * and the container's lines, as runc does.
 * @module
 */
import { ArgError } from "../../lib/errors.ts";
import type { Context } from "../context.ts";
import type { CommandSpec, Parsed } from "../flags.ts";
import { parseId } from "../args.ts";

/**
 * The command line of `ps`: its flags, argument counts and help text.
 *
 * @example
 * ```ts
 * console.log(commandHelp("ps", "…", spec));
 * ```
 */
export const spec: CommandSpec = {
  usage: "<container-id> [ps options]",
  args: [1, Infinity],
  flags: [{
    name: "format",
    aliases: ["f"],
    type: "string",
    value: "table|json",
    help: "output format (default table)",
  }],
  flagsEndAtFirstArg: true,
  description: "What follows the id goes to ps(1) (default -ef); a PID column is required.",
};

async function runPs(args: string[]): Promise<string> {
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command("ps", { args, stdout: "piped", stderr: "piped" }).output();
  } catch (e) {
    throw new ArgError(`ps: cannot run ps: ${(e as Error).message}`);
  }
  if (!out.success) {
    throw new ArgError(`ps: ps failed: ${new TextDecoder().decode(out.stderr).trim()}`);
  }
  return new TextDecoder().decode(out.stdout);
}

/**
 * Runs `ps` once main.ts has checked its flags and arguments; resolves to the exit code.
 *
 * @example
 * ```ts
 * const code = await run(ctx, parseFlags("ps", spec.flags, args));
 * ```
 */
export async function run(ctx: Context, p: Parsed): Promise<number> {
  const format = p.string("format") ?? "table";
  if (format !== "table" && format !== "json") {
    throw new ArgError(`--format: must be table or json, not ${JSON.stringify(format)}`);
  }
  const [id, ...rest] = p.args;
  const psArgs = rest[0] === "--" ? rest.slice(1) : rest;
  const pids = await (await ctx.runtime()).ps(parseId(id));
  if (format === "json") {
    console.log(JSON.stringify(pids));
    return 0;
  }
  const lines = (await runPs(psArgs.length ? psArgs : ["-ef"])).split("\n");
  const header = lines[0] ?? "";
  const col = header.trim().split(/\s+/).indexOf("PID");
  if (col < 0) throw new ArgError("ps: the output of ps has no PID column");
  const want = new Set(pids);
  const rows = [header];
  for (const l of lines.slice(1)) {
    const f = l.trim().split(/\s+/);
    if (f.length > col && want.has(Number(f[col]))) rows.push(l);
  }
  console.log(rows.join("\n"));
  return 0;
}
