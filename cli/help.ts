/**
 * The help texts: drun's (global flags and the command list) and each command's (usage,
 * description, flags), built from the same flag tables the parser uses so they cannot drift.
 * @module
 */
import { type CommandSpec, type Flag, HELP_FLAG } from "./flags.ts";

/**
 * drun's own flags, given before the command (runc's global options).
 *
 * @example
 * ```ts
 * const g = parseFlags("drun", GLOBAL_FLAGS, ["--root", "/x", "state", "c1"], true);
 * g.string("root"); // "/x"
 * ```
 */
export const GLOBAL_FLAGS: readonly Flag[] = [
  {
    name: "root",
    type: "string",
    value: "DIR",
    help: "state directory (default /run/drun; rootless: $XDG_RUNTIME_DIR/drun)",
  },
  { name: "log", type: "string", value: "FILE", help: "log file (default stderr)" },
  {
    name: "log-format",
    type: "string",
    value: "FORMAT",
    help: "text or json (logrus-shaped lines, default text)",
  },
  { name: "debug", type: "bool", help: "write debug lines to the log" },
  { name: "criu", type: "string", value: "PATH", help: "accepted for runc compatibility; unused" },
  {
    name: "systemd-cgroup",
    type: "bool",
    help: "accepted for runc compatibility; drun manages cgroupfs itself",
  },
  {
    name: "rootless",
    type: "string",
    value: "true|false|auto",
    help: "rootless mode: no cgroups without a delegated one, state under $XDG_RUNTIME_DIR " +
      "(default auto: when not root or in a user namespace)",
  },
  HELP_FLAG,
  { name: "version", aliases: ["v"], type: "bool", help: "print the version" },
];

function flagLines(flags: readonly Flag[]): string[] {
  const names = flags.map((f) => {
    const v = f.type === "bool" ? "" : ` ${f.value ?? "VALUE"}`;
    const all = [f.name, ...(f.aliases ?? [])].map((n) => `${n.length === 1 ? "-" : "--"}${n}${v}`);
    return all.join(", ");
  });
  const width = Math.max(...names.map((n) => n.length));
  return flags.map((f, i) => {
    const more = f.type === "list" ? " (repeatable)" : "";
    return `  ${names[i].padEnd(width)}  ${f.help}${more}`;
  });
}

/**
 * drun's usage: global flags and every command, from `[name, summary]` pairs.
 *
 * @example
 * ```ts
 * console.log(globalHelp("0.1.0", [["state", "print the state of a container"]]));
 * ```
 */
export function globalHelp(version: string, commands: [string, string][]): string {
  const width = Math.max(...commands.map(([n]) => n.length));
  return [
    `drun ${version}: an OCI container runtime with runc's command line`,
    "",
    "Usage: drun [global options] <command> [command options] [arguments]",
    "",
    "Commands:",
    ...commands.map(([n, summary]) => `  ${n.padEnd(width)}  ${summary}`),
    "",
    "Global options:",
    ...flagLines(GLOBAL_FLAGS),
    "",
    `Run "drun help <command>" or "drun <command> --help" for a command's options.`,
  ].join("\n");
}

/**
 * The help of one command.
 *
 * @example
 * ```ts
 * const spec = { usage: "<container-id>", args: [1, 1] as const, flags: [] };
 * console.log(commandHelp("state", "print the state of a container", spec));
 * ```
 */
export function commandHelp(name: string, summary: string, spec: CommandSpec): string {
  const opts = spec.flags.length ? " [options]" : "";
  const lines = [
    `drun ${name}: ${summary}`,
    "",
    `Usage: drun ${name}${opts}${spec.usage ? ` ${spec.usage}` : ""}`,
  ];
  if (spec.description) lines.push("", spec.description.trimEnd());
  lines.push("", "Options:", ...flagLines([...spec.flags, HELP_FLAG]));
  return lines.join("\n");
}
