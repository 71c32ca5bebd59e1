/**
 * What every command receives from cli/main.ts: the global options, the logger and a lazily
 * loaded Runtime (so `state` or `spec` never load the launch path), and the error that carries
 * one of runc's exit codes.
 * @module
 */
import { resolve } from "../lib/path.ts";
import type { Runtime } from "../lib/runtime.ts";
import type { Logger } from "./log.ts";
import type { Parsed } from "./flags.ts";

/**
 * The global options and services a command runs with.
 *
 * @example
 * ```ts
 * const state = (await ctx.runtime()).state("c1");
 * ```
 */
export interface Context {
  /** The state root (`--root`). */
  root: string;
  /** The log (`--log`, `--log-format`, `--debug`). */
  log: Logger;
  /** A Runtime over `root` whose warnings and hook output go to the log. */
  runtime(): Promise<Runtime>;
  /**
   * drun's usage, or the help of command `topic` (an ExitError with code 3 when there is no
   * such command). Passed in by main.ts so that no command imports the registry of commands.
   */
  helpText(topic?: string): Promise<string>;
}

/**
 * One command: its flags and arguments were checked by main.ts before `run` is called.
 *
 * @example
 * ```ts
 * const run: CommandRun = async (ctx, p) => (await ctx.runtime()).start(p.args[0]).then(() => 0);
 * ```
 */
export type CommandRun = (ctx: Context, p: Parsed) => Promise<number>;

/**
 * An error that ends drun with a given exit code instead of 1 (runc uses 3 for an unknown
 * command and 255 for a failed exec).
 *
 * @example
 * ```ts
 * throw new ExitError("unknown command \"x\"", 3);
 * ```
 */
export class ExitError extends Error {
  /** The exit code. */
  readonly exitCode: number;
  /** Creates the error; the message is what the log gets. */
  constructor(message: string, exitCode: number) {
    super(message);
    this.name = "ExitError";
    this.exitCode = exitCode;
  }
}

/**
 * Makes a Context's `runtime()`: loads lib/runtime.ts on first use only.
 *
 * @example
 * ```ts
 * const runtime = runtimeLoader("/run/drun", log, false);
 * const rt = await runtime();
 * ```
 */
export function runtimeLoader(
  root: string,
  log: Logger,
  rootless?: boolean,
): () => Promise<Runtime> {
  let rt: Runtime | undefined;
  return async () => {
    if (rt) return rt;
    const { Runtime } = await import("../lib/runtime.ts");
    rt = new Runtime(root, (m) => log.warn(m));
    rt.debug = (m) => log.debug(m);
    if (rootless !== undefined) rt.rootless = rootless;
    rt.hookOutput = (kind, i, stream, text) =>
      log.log("info", `hooks.${kind}[${i}] ${stream}: ${text.trimEnd()}`);
    return rt;
  };
}

/**
 * An optional path flag made absolute (engines pass paths relative to their own cwd).
 *
 * @example
 * ```ts
 * absPath(undefined); // undefined
 * ```
 */
export function absPath(p: string | undefined): string | undefined {
  return p ? resolve(p) : undefined;
}

/**
 * All of stdin as text (`-r -`, `--process -`).
 *
 * @example
 * ```ts
 * const json = JSON.parse(await readStdin());
 * ```
 */
export async function readStdin(): Promise<string> {
  return await new Response(Deno.stdin.readable).text();
}
