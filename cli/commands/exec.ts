/**
 * `drun exec [options] <container-id> <command> [args...]` or `drun exec -p process.json
 * <container-id>`: runs a new process inside a running container and exits with its code.
 * As runc: options end at the container id (`exec c1 sh -c x` passes -c to sh), and a failed
 * exec exits 255, except that a command that is not there exits 127 and one that cannot be run
 * 126, as a shell does.
 * @module
 */
import { ArgError, LaunchError } from "../../lib/errors.ts";
import type { Process } from "../../lib/spec/types.ts";
import { absPath, type Context, ExitError, readStdin } from "../context.ts";
import type { CommandSpec, Flag, Parsed } from "../flags.ts";
import { parseFdCount, parseId } from "../args.ts";
import { proxyPty, type PtyProxy } from "../tty_proxy.ts";

const FLAGS: readonly Flag[] = [
  {
    name: "console-socket",
    type: "string",
    value: "PATH",
    help: "unix socket to send the pty master to (with --tty)",
  },
  { name: "cwd", type: "string", value: "DIR", help: "working directory in the container" },
  { name: "env", aliases: ["e"], type: "list", value: "K=V", help: "add an environment variable" },
  { name: "tty", aliases: ["t"], type: "bool", help: "give the process a pseudo-terminal" },
  { name: "user", aliases: ["u"], type: "string", value: "UID[:GID]", help: "run as this user" },
  {
    name: "additional-gids",
    aliases: ["g"],
    type: "list",
    value: "GID",
    help: "an additional group",
  },
  {
    name: "process",
    aliases: ["p"],
    type: "string",
    value: "FILE",
    help: "the process as OCI process JSON (- for stdin) instead of a command line",
  },
  { name: "detach", aliases: ["d"], type: "bool", help: "return once the process has exec'd" },
  { name: "pid-file", type: "string", value: "FILE", help: "write the process's host pid here" },
  { name: "process-label", type: "string", value: "LABEL", help: "accepted; SELinux is unused" },
  { name: "apparmor", type: "string", value: "PROFILE", help: "accepted; AppArmor is unused" },
  { name: "no-new-privs", type: "bool", help: "set no_new_privs for the process" },
  { name: "cap", aliases: ["c"], type: "list", value: "CAP", help: "add a capability" },
  {
    name: "preserve-fds",
    type: "string",
    value: "N",
    help: "pass fds 3 .. 3+N-1 on to the process",
  },
  { name: "cgroup", type: "string", value: "PATH", help: "not supported by drun (refused)" },
  { name: "ignore-paused", type: "bool", help: "exec even into a paused container" },
];

/**
 * The command line of `exec`: its flags, argument counts and help text.
 *
 * @example
 * ```ts
 * console.log(commandHelp("exec", "…", spec));
 * ```
 */
export const spec: CommandSpec = {
  usage: "<container-id> <command> [args...] | -p FILE <container-id>",
  args: [1, Infinity],
  flags: FLAGS,
  flagsEndAtFirstArg: true,
  description: "The process joins every namespace and the cgroups of the container's init and\n" +
    "gets its seccomp filter. Exit code: the process's, 255 when the exec fails, 127 when the\n" +
    "command is not found, 126 when it cannot be run.",
};

/** Exit code of a failed exec (runc's). */
const EXIT_EXEC_FAILED = 255;

async function processFrom(p: Parsed, base: Process): Promise<Process> {
  const file = p.string("process");
  if (file === undefined) {
    if (p.args.length < 2) throw new ArgError("exec: a command is required (or --process)");
    const proc = structuredClone(base);
    proc.args = p.args.slice(1);
    proc.terminal = p.bool("tty");
    delete proc.consoleSize;
    return proc;
  }
  // runc reads only the file when both are given; so does drun.
  const text = file === "-" ? await readStdin() : Deno.readTextFileSync(file);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ArgError(`invalid JSON: ${(e as Error).message}`, "--process");
  }
}

/** Applies the flags that change the process (env, cwd, user, groups); caps are the library's. */
function applyFlags(p: Parsed, proc: Process): void {
  const env = p.list("env");
  if (env.length) proc.env = [...(proc.env ?? []), ...env];
  const cwd = p.string("cwd");
  if (cwd) proc.cwd = cwd;
  const user = p.string("user");
  if (user !== undefined) {
    const m = /^(\d+)(?::(\d+))?$/.exec(user);
    if (!m) throw new ArgError("--user: must be uid[:gid]");
    proc.user = { ...proc.user, uid: Number(m[1]), gid: m[2] ? Number(m[2]) : proc.user.gid };
  }
  const gids = p.list("additional-gids");
  if (gids.length) {
    for (const g of gids) {
      if (!/^\d+$/.test(g)) throw new ArgError(`--additional-gids: not a gid: ${g}`);
    }
    proc.user = { ...proc.user, additionalGids: gids.map(Number) };
  }
  if (p.bool("no-new-privs")) proc.noNewPrivileges = true;
}

async function execute(ctx: Context, p: Parsed): Promise<number> {
  if (p.has("cgroup")) throw new ArgError("--cgroup: not supported by drun");
  const id = parseId(p.args[0]);
  const preserveFds = parseFdCount(p.string("preserve-fds"));
  const rt = await ctx.runtime();
  const proc = await processFrom(p, rt.containerSpec(id).process!);
  applyFlags(p, proc);
  const detach = p.bool("detach");
  let proxy: PtyProxy | undefined;
  const r = await rt.exec(id, proc, {
    consoleSocket: absPath(p.string("console-socket")),
    onConsole: detach ? undefined : (fd) => {
      proxy = proxyPty(fd);
    },
    detach,
    pidFile: absPath(p.string("pid-file")),
    preserveFds,
    // runc's --cap: bounding, effective and permitted (the library merges the sets).
    addCapabilities: p.list("cap"),
    ignorePaused: p.bool("ignore-paused"),
  });
  if (proxy) {
    await Promise.race([proxy.done, new Promise((r) => setTimeout(r, 500))]);
    proxy.stop();
  }
  return r.status?.code ?? 0;
}

/**
 * Runs `exec` once main.ts has checked its flags and arguments; resolves to the exit code.
 *
 * @example
 * ```ts
 * const code = await run(ctx, parseFlags("exec", spec.flags, args));
 * ```
 */
export async function run(ctx: Context, p: Parsed): Promise<number> {
  try {
    return await execute(ctx, p);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    // Like a shell: 127 when the command is not there, 126 when it cannot be run.
    if (e instanceof LaunchError && e.path === "process.args[0]") {
      throw new ExitError(msg, e.errno === 13 ? 126 : 127);
    }
    throw new ExitError(`exec failed: ${msg}`, EXIT_EXEC_FAILED);
  }
}
