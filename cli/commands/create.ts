/**
 * `drun create [options] <container-id>`: creates a container whose process waits for
 * `start`. Its flags are shared with `run`.
 * @module
 */
import type { CreateOptions } from "../../lib/runtime.ts";
import { absPath, type Context } from "../context.ts";
import type { CommandSpec, Flag, Parsed } from "../flags.ts";
import { parseFdCount, parseId } from "../args.ts";

/** The flags of `create`, which `run` takes too. */
export const CREATE_FLAGS: readonly Flag[] = [
  {
    name: "bundle",
    aliases: ["b"],
    type: "string",
    value: "DIR",
    help: "the bundle directory (config.json and rootfs), default the current directory",
  },
  {
    name: "console-socket",
    type: "string",
    value: "PATH",
    help: "unix socket to send the pty master to when process.terminal is set",
  },
  { name: "pid-file", type: "string", value: "FILE", help: "write the init's host pid here" },
  { name: "no-pivot", type: "bool", help: "MS_MOVE and chroot instead of pivot_root" },
  {
    name: "no-new-keyring",
    type: "bool",
    help: "keep the caller's session keyring instead of a new one",
  },
  {
    name: "preserve-fds",
    type: "string",
    value: "N",
    help: "pass fds 3 .. 3+N-1 on to the container process (after LISTEN_FDS)",
  },
];

/**
 * The command line of `create`: its flags, argument counts and help text.
 *
 * @example
 * ```ts
 * console.log(commandHelp("create", "…", spec));
 * ```
 */
export const spec: CommandSpec = {
  usage: "<container-id>",
  args: [1, 1],
  flags: CREATE_FLAGS,
  description:
    "Sets up the container (namespaces, mounts, cgroups, hooks up to createContainer)\n" +
    "and leaves its process waiting for `drun start`. The container's config is\n" +
    "<bundle>/config.json. LISTEN_FDS (systemd socket activation) is passed on as runc does.",
};

/** systemd socket activation: LISTEN_FDS counts the fds from 3 meant for the service. */
function listenFds(): number | undefined {
  const n = Number(Deno.env.get("LISTEN_FDS") ?? "0");
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

/**
 * The library's CreateOptions from the flags of `create` (or `run`).
 *
 * @example
 * ```ts
 * const opts = createOptions(parsed); // { bundle, pidFile, preserveFds, ... }
 * ```
 */
export function createOptions(p: Parsed): CreateOptions {
  return {
    bundle: p.string("bundle"),
    pidFile: absPath(p.string("pid-file")),
    noPivot: p.bool("no-pivot"),
    preserveFds: parseFdCount(p.string("preserve-fds")),
    consoleSocket: absPath(p.string("console-socket")),
    noNewKeyring: p.bool("no-new-keyring"),
    listenFds: listenFds(),
  };
}

/**
 * Runs `create` once main.ts has checked its flags and arguments; resolves to the exit code.
 *
 * @example
 * ```ts
 * const code = await run(ctx, parseFlags("create", spec.flags, args));
 * ```
 */
export async function run(ctx: Context, p: Parsed): Promise<number> {
  const id = parseId(p.args[0]);
  const opts = createOptions(p);
  await (await ctx.runtime()).create(id, opts);
  return 0;
}
