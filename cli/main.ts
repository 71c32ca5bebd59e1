/**
 * drun's command line, compatible with runc's: global options, then a command with its own
 * options and arguments. Parses the global options, loads only the command's own file
 * (cli/commands/<verb>.ts), checks its flags and arguments, runs it, and turns what it throws
 * into one log line and runc's exit code (1 by default, 3 for an unknown command, 255 for a
 * failed exec).
 * @module
 */
import { ArgError } from "../lib/errors.ts";
import { VERSION } from "../lib/version.ts";
import { defaultStateRoot, rootlessMode } from "../lib/rootless.ts";
import { onMark } from "../lib/timing.ts";
import { type Context, ExitError, runtimeLoader } from "./context.ts";
import { checkArgCount, HELP_FLAG, type Parsed, parseFlags } from "./flags.ts";
import { commandHelp, GLOBAL_FLAGS, globalHelp } from "./help.ts";
import { Logger } from "./log.ts";
import { ALIASES, COMMANDS, UNSUPPORTED } from "./registry.ts";
import { versionText } from "./version.ts";

/** Exit code of an unknown command or help topic (runc's). */
const EXIT_UNKNOWN_COMMAND = 3;

function logFormat(g: Parsed): "text" | "json" {
  const f = g.string("log-format") ?? "text";
  if (f !== "text" && f !== "json") {
    throw new ArgError(`--log-format: must be text or json, not ${JSON.stringify(f)}`);
  }
  return f;
}

function usage(): string {
  return globalHelp(VERSION, Object.entries(COMMANDS).map(([n, e]) => [n, e.summary]));
}

/** `help [topic]`: the usage, or a command's help; runc exits 3 for a topic it does not know. */
async function helpText(topic?: string): Promise<string> {
  if (topic === undefined) return usage();
  const name = ALIASES[topic] ?? topic;
  if (!Object.hasOwn(COMMANDS, name)) {
    throw new ExitError(
      `help: no command ${JSON.stringify(topic)} (see drun --help)`,
      EXIT_UNKNOWN_COMMAND,
    );
  }
  return commandHelp(name, COMMANDS[name].summary, (await COMMANDS[name].load()).spec);
}

async function dispatch(ctx: Context, given: string, argv: string[]): Promise<number> {
  const name = ALIASES[given] ?? given;
  if (UNSUPPORTED.has(name)) {
    throw new ArgError(`${name}: not supported by this version of drun yet`);
  }
  const entry = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!entry) {
    throw new ExitError(
      `unknown command ${JSON.stringify(given)} (see drun --help)`,
      EXIT_UNKNOWN_COMMAND,
    );
  }
  const mod = await entry.load();
  const p = parseFlags(name, [...mod.spec.flags, HELP_FLAG], argv, mod.spec.flagsEndAtFirstArg);
  if (p.bool("help")) {
    console.log(commandHelp(name, entry.summary, mod.spec));
    return 0;
  }
  checkArgCount(name, mod.spec.usage, mod.spec.args, p.args);
  return await mod.run(ctx, p);
}

/**
 * Runs drun with the given arguments (without the program name) and resolves to the exit
 * code; errors are written to the log (stderr unless `--log`), never thrown.
 *
 * @example
 * ```ts
 * import { main } from "./main.ts";
 * Deno.exit(await main(["--root", "/run/drun", "state", "c1"]));
 * ```
 */
export async function main(argv: string[]): Promise<number> {
  let log = new Logger();
  let logFile: string | undefined;
  try {
    const g = parseFlags("drun", GLOBAL_FLAGS, argv, true);
    logFile = g.string("log");
    log = new Logger({ file: logFile, format: logFormat(g), debug: g.bool("debug") });
    const rootless = rootlessMode(g.string("rootless"));
    if (g.bool("version")) {
      console.log(versionText());
      return 0;
    }
    const [cmd, ...rest] = g.args;
    if (g.bool("help") || cmd === undefined) {
      console.log(usage());
      return 0;
    }
    // Unprivileged, the state lives under $XDG_RUNTIME_DIR/drun (runc: .../runc).
    const root = g.string("root") ?? defaultStateRoot(Deno.env.toObject());
    const ctx: Context = { root, log, runtime: runtimeLoader(root, log, rootless), helpText };
    if (g.bool("debug")) {
      log.debug(`drun ${VERSION}: ${cmd} ${JSON.stringify(rest)} (root ${root})`);
      onMark((phase, ms) => log.debug(`phase ${phase} at ${ms.toFixed(1)} ms`));
    }
    const code = await dispatch(ctx, cmd, rest);
    log.debug(`${cmd}: exit code ${code}`);
    return code;
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    log.error(msg);
    // With --log the engine reads the file; a person at a terminal still wants to see it.
    if (logFile) console.error(`drun: ${msg}`);
    return e instanceof ExitError ? e.exitCode : 1;
  } finally {
    onMark(undefined);
  }
}
