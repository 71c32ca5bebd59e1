/**
 * Which modules a drun command evaluates: the static (non-dynamic) value imports reachable
 * from cli.ts, from the command's file, and, for the commands that build a Runtime, from
 * lib/runtime.ts, read from `deno info --json`. Type-only and dynamic `import()` edges are not
 * followed: Deno reads those files to build its graph but evaluates them only when the
 * `import()` runs. The bench reports the counts; tests/unit/short_commands_test.ts checks
 * that short commands load no `node:` built-in and none of the create-only modules.
 * @module
 */
import { join, resolve } from "../../lib/path.ts";

/** The repository root. */
const REPO = resolve(new URL(".", import.meta.url).pathname, "..", "..");

interface InfoModule {
  specifier: string;
  dependencies?: { code?: { specifier?: string }; isDynamic?: boolean }[];
}

/** What `deno info --json` says about the graph of `files` (paths relative to the repo). */
async function graph(files: string[]): Promise<Map<string, InfoModule>> {
  const all = new Map<string, InfoModule>();
  for (const f of files) {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json", "--no-config", join(REPO, f)],
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) throw new Error(`deno info ${f}: ${new TextDecoder().decode(out.stderr)}`);
    const info = JSON.parse(new TextDecoder().decode(out.stdout)) as { modules: InfoModule[] };
    for (const m of info.modules) all.set(m.specifier, m);
  }
  return all;
}

/**
 * The modules evaluated when each of `roots` is evaluated, as repo-relative paths and bare
 * `node:` specifiers, sorted.
 *
 * @example
 * ```ts
 * const mods = await evaluatedModules(["cli.ts", "cli/commands/state.ts"]);
 * console.log(mods.length, mods.filter((m) => m.startsWith("node:")));
 * ```
 */
export async function evaluatedModules(roots: string[]): Promise<string[]> {
  const g = await graph(roots);
  const base = `file://${REPO}/`;
  const seen = new Set<string>();
  const todo = roots.map((r) => `${base}${r}`);
  while (todo.length) {
    const s = todo.pop()!;
    if (seen.has(s)) continue;
    seen.add(s);
    for (const d of g.get(s)?.dependencies ?? []) {
      if (!d.isDynamic && d.code?.specifier) todo.push(d.code.specifier);
    }
  }
  return [...seen].map((s) => s.startsWith(base) ? s.slice(base.length) : s).sort();
}

/** Roots evaluated by a command: cli.ts, its file, and lib/runtime.ts if it builds a Runtime. */
export function commandRoots(command: string): string[] {
  const file = `cli/commands/${command}.ts`;
  const text = Deno.readTextFileSync(join(REPO, file));
  return ["cli.ts", file, ...(text.includes("ctx.runtime()") ? ["lib/runtime.ts"] : [])];
}
