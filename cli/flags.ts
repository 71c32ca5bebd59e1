/**
 * The command-line flag parser, with the rules of runc's (Go's `flag` package under urfave/cli):
 * `-name` and `--name` are the same flag; a value follows as `--name=V` or `--name V` (the next
 * word, even when it starts with `-`, so `--cpu-quota -1` works); a boolean takes no word but
 * accepts `--name=true|false`; `--` ends the flags. Anything else that starts with `-` is refused
 * with one line naming it, never silently ignored.
 * @module
 */
import { ArgError } from "../lib/errors.ts";

/**
 * What a flag holds: a switch, one value (the last one given wins), or every value given.
 *
 * @example
 * ```ts
 * const t: FlagType = "list"; // --env A=1 --env B=2
 * ```
 */
export type FlagType = "bool" | "string" | "list";

/**
 * One flag of a command (or of drun itself).
 *
 * @example
 * ```ts
 * const force: Flag = { name: "force", aliases: ["f"], type: "bool", help: "kill first" };
 * ```
 */
export interface Flag {
  /** Long name, without dashes. */
  name: string;
  /** Other names, e.g. `["b"]` for `-b`. */
  aliases?: string[];
  /** What it holds. */
  type: FlagType;
  /** Placeholder of the value in the help text (default `VALUE`). */
  value?: string;
  /** One line of help. */
  help: string;
}

/**
 * The command-line shape of one command.
 *
 * @example
 * ```ts
 * const spec: CommandSpec = { usage: "<container-id>", args: [1, 1], flags: [] };
 * ```
 */
export interface CommandSpec {
  /** Positional arguments in the usage line, e.g. `<container-id> [signal]`. */
  usage: string;
  /** Fewest and most positional arguments. */
  args: readonly [number, number];
  /** Its flags (`--help`/`-h` is added to every command). */
  flags: readonly Flag[];
  /** A paragraph shown by `drun help <command>`. */
  description?: string;
  /**
   * Flags end at the first positional argument: what follows is passed on untouched (`exec`'s
   * command line, `ps`'s options), as runc does for these commands.
   */
  flagsEndAtFirstArg?: boolean;
}

/**
 * The help flag every command and drun itself accept.
 *
 * @example
 * ```ts
 * parseFlags("state", [HELP_FLAG], ["-h"]).bool("help"); // true
 * ```
 */
export const HELP_FLAG: Flag = {
  name: "help",
  aliases: ["h"],
  type: "bool",
  help: "print this help",
};

/**
 * Parsed flags and positional arguments.
 *
 * @example
 * ```ts
 * const p = parseFlags("list", [{ name: "quiet", type: "bool", help: "" }], ["--quiet"]);
 * p.bool("quiet"); // true
 * ```
 */
export class Parsed {
  /** Positional arguments, in order. */
  readonly args: string[];
  readonly #values: Map<string, string | boolean | string[]>;

  /** Wraps parsed values (keyed by long flag name) and positionals. */
  constructor(values: Map<string, string | boolean | string[]>, args: string[]) {
    this.#values = values;
    this.args = args;
  }

  /** Whether a flag was given at all. */
  has(name: string): boolean {
    return this.#values.has(name);
  }

  /** A boolean flag (false when absent). */
  bool(name: string): boolean {
    return this.#values.get(name) === true;
  }

  /** A value flag, undefined when absent. */
  string(name: string): string | undefined {
    const v = this.#values.get(name);
    return typeof v === "string" ? v : undefined;
  }

  /** A repeatable flag, every value in order (empty when absent). */
  list(name: string): string[] {
    const v = this.#values.get(name);
    return Array.isArray(v) ? v : [];
  }
}

const TRUE = new Set(["1", "t", "T", "true", "TRUE", "True"]);
const FALSE = new Set(["0", "f", "F", "false", "FALSE", "False"]);

/**
 * Parses `argv` against `flags`. `where` prefixes error messages (the command's name, or
 * `drun` for the global flags). With `flagsEndAtFirstArg`, the first positional and everything
 * after it are returned as positionals without being parsed.
 *
 * @example
 * ```ts
 * const p = parseFlags("delete", [{ name: "force", aliases: ["f"], type: "bool", help: "" }],
 *   ["-f", "c1"]);
 * p.bool("force"); // true
 * p.args; // ["c1"]
 * ```
 */
export function parseFlags(
  where: string,
  flags: readonly Flag[],
  argv: readonly string[],
  flagsEndAtFirstArg = false,
): Parsed {
  const byName = new Map<string, Flag>();
  for (const f of flags) {
    byName.set(f.name, f);
    for (const a of f.aliases ?? []) byName.set(a, f);
  }
  const values = new Map<string, string | boolean | string[]>();
  const args: string[] = [];
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--") {
      i++;
      break;
    }
    if (!a.startsWith("-") || a === "-") {
      args.push(a);
      if (flagsEndAtFirstArg) {
        i++;
        break;
      }
      continue;
    }
    const eq = a.indexOf("=");
    const given = eq < 0 ? a : a.slice(0, eq);
    const inline = eq < 0 ? undefined : a.slice(eq + 1);
    const f = byName.get(given.replace(/^--?/, ""));
    if (!f || given.startsWith("---")) {
      throw new ArgError(`${where}: unknown flag ${given} (see ${helpHint(where)})`);
    }
    if (f.type === "bool") {
      if (inline === undefined || TRUE.has(inline)) values.set(f.name, true);
      else if (FALSE.has(inline)) values.delete(f.name);
      else {
        throw new ArgError(
          `${where}: flag ${given} takes true or false, not ${JSON.stringify(inline)}`,
        );
      }
      continue;
    }
    let v = inline;
    if (v === undefined) {
      if (i + 1 >= argv.length) throw new ArgError(`${where}: flag ${given} needs a value`);
      v = argv[++i];
    }
    if (f.type === "list") values.set(f.name, [...(values.get(f.name) as string[] ?? []), v]);
    else values.set(f.name, v);
  }
  args.push(...argv.slice(i));
  return new Parsed(values, args);
}

/**
 * Checks the number of positional arguments against `[min, max]`, with runc's rule that a
 * command refuses what it would not use (`delete a b` deletes nothing).
 *
 * @example
 * ```ts
 * checkArgCount("state", "<container-id>", [1, 1], ["c1"]); // passes
 * ```
 */
export function checkArgCount(
  cmd: string,
  usage: string,
  [min, max]: readonly [number, number],
  args: readonly string[],
): void {
  if (args.length >= min && args.length <= max) return;
  if (args.length === 0 && usage.startsWith("<container-id>")) {
    throw new ArgError(`${cmd}: container id required (usage: drun ${cmd} ${usage})`);
  }
  const want = min === max
    ? `exactly ${min}`
    : args.length < min
    ? `at least ${min}`
    : `at most ${max}`;
  const n = min === max || args.length < min ? min : max;
  const what = usage ? ` (${usage})` : "";
  const got = args.length ? `: ${args.map((a) => JSON.stringify(a)).join(" ")}` : "";
  throw new ArgError(
    `${cmd}: needs ${want} argument${n === 1 ? "" : "s"}${what}, got ${args.length}${got}`,
  );
}

function helpHint(where: string): string {
  return where === "drun" ? "drun --help" : `drun ${where} --help`;
}
