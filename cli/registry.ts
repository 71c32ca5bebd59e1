/**
 * Every command of drun, with its one-line summary and how to load it. Commands are loaded
 * with a dynamic `import()` of their own file only, so that `state`, `kill` or `delete`, which
 * engines call several times per container, do not load `exec`, `run` or the seccomp agent.
 * @module
 */
import type { CommandRun } from "./context.ts";
import type { CommandSpec } from "./flags.ts";

/**
 * What a file under cli/commands/ exports.
 *
 * @example
 * ```ts
 * const { spec, run }: CommandModule = await COMMANDS.kill.load();
 * ```
 */
export interface CommandModule {
  /** Its flags and arguments. */
  spec: CommandSpec;
  /** Runs it; resolves to the exit code. */
  run: CommandRun;
}

/**
 * A command as the registry knows it before loading it.
 *
 * @example
 * ```ts
 * const entry: CommandEntry = COMMANDS.delete;
 * console.log(entry.summary);
 * ```
 */
export interface CommandEntry {
  /** One line for the command list. */
  summary: string;
  /** Loads its module. */
  load: () => Promise<CommandModule>;
}

/**
 * The commands, in the order `drun --help` lists them.
 *
 * @example
 * ```ts
 * const mod = await COMMANDS["state"].load();
 * ```
 */
export const COMMANDS: Readonly<Record<string, CommandEntry>> = {
  create: { summary: "create a container", load: () => import("./commands/create.ts") },
  start: {
    summary: "start the process of a created container",
    load: () => import("./commands/start.ts"),
  },
  run: { summary: "create and start a container", load: () => import("./commands/run.ts") },
  state: { summary: "print the state of a container", load: () => import("./commands/state.ts") },
  exec: {
    summary: "run a new process inside a container",
    load: () => import("./commands/exec.ts"),
  },
  kill: {
    summary: "send a signal to the container's init (default SIGTERM)",
    load: () => import("./commands/kill.ts"),
  },
  delete: {
    summary: "delete a container and what it holds",
    load: () => import("./commands/delete.ts"),
  },
  list: { summary: "list the containers under the root", load: () => import("./commands/list.ts") },
  pause: {
    summary: "freeze every process of a container",
    load: () => import("./commands/pause.ts"),
  },
  resume: { summary: "thaw a paused container", load: () => import("./commands/resume.ts") },
  ps: { summary: "show the processes of a container", load: () => import("./commands/ps.ts") },
  events: {
    summary: "print a container's stats and OOM events as JSON lines",
    load: () => import("./commands/events.ts"),
  },
  update: {
    summary: "change the resource limits of a container",
    load: () => import("./commands/update.ts"),
  },
  spec: { summary: "write a default config.json", load: () => import("./commands/spec.ts") },
  features: {
    summary: "print the OCI features document",
    load: () => import("./commands/features.ts"),
  },
  "seccomp-agent": {
    summary: "serve seccomp notifications by a policy",
    load: () => import("./commands/seccomp_agent.ts"),
  },
  help: {
    summary: "list the commands, or show the help of one",
    load: () => import("./commands/help.ts"),
  },
};

/**
 * Other names of commands (runc's `h`).
 *
 * @example
 * ```ts
 * ALIASES["h"]; // "help"
 * ```
 */
export const ALIASES: Readonly<Record<string, string>> = { h: "help" };

/**
 * Commands of runc that drun does not have yet; they fail with a line saying so.
 *
 * @example
 * ```ts
 * UNSUPPORTED.has("checkpoint"); // true
 * ```
 */
export const UNSUPPORTED: ReadonlySet<string> = new Set(["checkpoint", "restore"]);
