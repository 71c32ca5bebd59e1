/**
 * `drun events [--stats] [--interval 5s] <container-id>`: runc's JSON events, one per line:
 * stats every interval and an `oom` event per OOM kill, until the container stops; with
 * `--stats`, one stats event. Kernel counters are uint64 and printed exactly (bigint).
 * @module
 */
import { stringifyJson } from "../../lib/json.ts";
import type { Context } from "../context.ts";
import type { CommandSpec, Parsed } from "../flags.ts";
import { parseDuration, parseId } from "../args.ts";

/**
 * The command line of `events`: its flags, argument counts and help text.
 *
 * @example
 * ```ts
 * console.log(commandHelp("events", "…", spec));
 * ```
 */
export const spec: CommandSpec = {
  usage: "<container-id>",
  args: [1, 1],
  flags: [
    {
      name: "interval",
      type: "string",
      value: "DURATION",
      help: "time between stats events (Go duration: 5s, 500ms; default 5s)",
    },
    { name: "stats", type: "bool", help: "print one stats event and exit" },
  ],
};

/**
 * Runs `events` once main.ts has checked its flags and arguments; resolves to the exit code.
 *
 * @example
 * ```ts
 * const code = await run(ctx, parseFlags("events", spec.flags, args));
 * ```
 */
export async function run(ctx: Context, p: Parsed): Promise<number> {
  const id = parseId(p.args[0]);
  const intervalMs = parseDuration(p.string("interval") ?? "5s");
  const rt = await ctx.runtime();
  const ac = new AbortController();
  const stop = () => ac.abort();
  const signals = ["SIGINT", "SIGTERM"] as const;
  for (const s of signals) Deno.addSignalListener(s, stop);
  try {
    const events = rt.events(id, { stats: p.bool("stats"), intervalMs, signal: ac.signal });
    for await (const ev of events) console.log(stringifyJson(ev));
  } finally {
    for (const s of signals) Deno.removeSignalListener(s, stop);
  }
  return 0;
}
