#!/usr/bin/env -S deno run -A
/**
 * drun's command line, compatible with runc's: global options, then a command.
 * A thin layer over the library in mod.ts: parse, call, print, exit code.
 * @module
 */
import { parseArgs } from "node:util";
import { resolve } from "node:path";
import { DEFAULT_ROOT, Runtime } from "./lib/runtime.ts";
import { DrunError, LaunchError } from "./lib/errors.ts";
import type { Process } from "./lib/spec/types.ts";
import { Logger } from "./lib/log.ts";
import { features, VERSION } from "./lib/features.ts";
import { defaultSpec } from "./lib/spec/default.ts";
import { killPid, waitPid } from "./lib/native/ffi.ts";
import { signalNumber } from "./lib/signals.ts";
import {
  eventsCommand,
  pauseCommand,
  psCommand,
  resumeCommand,
  updateCommand,
} from "./lib/cli/cgroup_commands.ts";
import { proxyPty, type PtyProxy } from "./lib/tty_proxy.ts";

const USAGE = `drun ${VERSION}: an OCI container runtime

Usage: drun [global options] <command> [options] [arguments]

Global options:
  --root DIR            state directory (default ${DEFAULT_ROOT})
  --log FILE            log file (default stderr)
  --log-format FORMAT   text or json (default text)
  --debug               log debug lines
  --version, -v         print the version
  --help, -h            print this help

Commands:
  create <id>      create a container (--bundle, --pid-file, --no-pivot, --preserve-fds)
  start <id>       start a created container
  run <id>         create and start, wait for exit (--bundle, --detach, --pid-file, --keep)
  state <id>       print the container state as JSON
  exec <id> CMD    run a process in a running container (--process, --detach, --env, --cwd,
                   --user, --additional-gids, --cap, --no-new-privs, --pid-file)
  kill <id> [SIG]  send a signal (default SIGTERM; --all for every process)
  delete <id>      delete a container (--force kills it first)
  list             list containers (--format table|json, --quiet)
  pause <id>       freeze every process of the container
  resume <id>      thaw a paused container
  ps <id> [ARGS]   the container's processes (--format table|json; ARGS go to ps, default -ef)
  events <id>      stats and OOM events as JSON lines (--stats for one, --interval 5s)
  update <id>      change limits (-r FILE|-, --memory, --memory-reservation, --memory-swap,
                   --cpu-shares, --cpu-quota, --cpu-period, --cpuset-cpus, --cpuset-mems,
                   --pids-limit, --blkio-weight, ...)
  spec             write a default config.json (--bundle, --rootless)
  features         print the OCI features document
  seccomp-agent    serve linux.seccomp.listenerPath by a policy (--socket, --policy, --format)
`;

/** Options every command may receive from the engines, accepted even where unused. */
const ENGINE_FLAGS = {
  "console-socket": { type: "string" },
  "no-new-keyring": { type: "boolean" },
  "no-subreaper": { type: "boolean" },
} as const;

interface Global {
  root: string;
  log: Logger;
}

function splitGlobal(argv: string[]): { global: Record<string, string | boolean>; rest: string[] } {
  const global: Record<string, string | boolean> = {};
  let i = 0;
  const withValue = new Set(["root", "log", "log-format", "criu"]);
  for (; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith("-")) break;
    const [k0, inline] = a.replace(/^--?/, "").split(/=(.*)/s, 2);
    if (withValue.has(k0)) global[k0] = inline ?? argv[++i];
    else global[k0] = true;
  }
  return { global, rest: argv.slice(i) };
}

function parse(
  rest: string[],
  options: Record<string, { type: "string" | "boolean"; short?: string }>,
) {
  const { values, positionals } = parseArgs({
    args: rest,
    options: { ...ENGINE_FLAGS, ...options },
    allowPositionals: true,
    strict: true,
  });
  return { values: values as Record<string, string | boolean | undefined>, positionals };
}

function needId(positionals: string[], cmd: string): string {
  if (positionals.length < 1) throw new DrunError("EINVALID_ARG", `${cmd}: container id required`);
  return positionals[0];
}

async function main(argv: string[]): Promise<number> {
  const { global, rest } = splitGlobal(argv);
  if (global.version || global.v) {
    console.log(`drun version ${VERSION}\nspec: 1.2.0`);
    return 0;
  }
  if (global.help || global.h || rest.length === 0) {
    console.log(USAGE);
    return rest.length === 0 && !global.help && !global.h ? 1 : 0;
  }
  const logFormat = (global["log-format"] as string | undefined) ?? "text";
  if (logFormat !== "text" && logFormat !== "json") {
    throw new DrunError("EINVALID_ARG", `--log-format: must be text or json, not ${logFormat}`);
  }
  const g: Global = {
    root: (global.root as string | undefined) ?? DEFAULT_ROOT,
    log: new Logger({
      file: global.log as string | undefined,
      format: logFormat,
      debug: !!global.debug,
    }),
  };
  const [cmd, ...args] = rest;
  const rt = new Runtime(g.root, (m) => g.log.warn(m));
  rt.hookOutput = (kind, i, stream, text) =>
    g.log.log("info", `hooks.${kind}[${i}] ${stream}: ${text.trimEnd()}`);
  switch (cmd) {
    case "create": {
      const { values, positionals } = parse(args, createFlags);
      const id = needId(positionals, cmd);
      await rt.create(id, createOptions(values));
      return 0;
    }
    case "start": {
      const { positionals } = parse(args, {});
      await rt.start(needId(positionals, cmd));
      return 0;
    }
    case "run":
      return await run(rt, args);
    case "state": {
      const { positionals } = parse(args, {});
      console.log(JSON.stringify(rt.state(needId(positionals, cmd)), null, 2));
      return 0;
    }
    case "kill": {
      const { values, positionals } = parse(args, { all: { type: "boolean", short: "a" } });
      const id = needId(positionals, cmd);
      await rt.kill(id, positionals[1] ?? "SIGTERM", !!values.all);
      return 0;
    }
    case "delete": {
      const { values, positionals } = parse(args, { force: { type: "boolean", short: "f" } });
      const id = needId(positionals, cmd);
      try {
        await rt.delete(id, { force: !!values.force });
      } catch (e) {
        // runc: deleting a missing container with --force is not an error.
        if (values.force && e instanceof DrunError && e.code === "ENOTFOUND") return 0;
        throw e;
      }
      return 0;
    }
    case "list": {
      const { values } = parse(args, {
        format: { type: "string", short: "f" },
        quiet: { type: "boolean", short: "q" },
      });
      const all = rt.list();
      if (values.quiet) all.forEach((s) => console.log(s.id));
      else if (values.format === "json") console.log(JSON.stringify(all));
      else if (values.format && values.format !== "table") {
        throw new DrunError("EINVALID_ARG", `--format: must be table or json`);
      } else printTable(all);
      return 0;
    }
    case "spec": {
      const { values } = parse(args, {
        bundle: { type: "string", short: "b" },
        rootless: { type: "boolean" },
      });
      const path = resolve((values.bundle as string | undefined) ?? ".", "config.json");
      try {
        Deno.statSync(path);
        throw new DrunError("EEXISTS", `File ${path} exists. Remove it first`);
      } catch (e) {
        if (!(e instanceof Deno.errors.NotFound)) throw e;
      }
      const spec = defaultSpec({ rootless: !!values.rootless });
      Deno.writeTextFileSync(path, JSON.stringify(spec, null, "\t") + "\n");
      return 0;
    }
    case "features":
      console.log(JSON.stringify(features(), null, 2));
      return 0;
    case "exec":
      return await exec(rt, args);
    case "seccomp-agent":
      return await (await import("./lib/agent/command.ts")).seccompAgentCommand(args);
    case "ps":
      return await psCommand(rt, args);
    case "pause":
      return await pauseCommand(rt, args);
    case "resume":
      return await resumeCommand(rt, args);
    case "update":
      return await updateCommand(rt, args);
    case "events":
      return await eventsCommand(rt, args);
    case "checkpoint":
    case "restore":
      throw new DrunError("EINVALID_ARG", `${cmd}: not supported by this version of drun yet`);
    default:
      throw new DrunError(
        "EINVALID_ARG",
        `unknown command ${JSON.stringify(cmd)} (see drun --help)`,
      );
  }
}

const createFlags = {
  bundle: { type: "string", short: "b" },
  "pid-file": { type: "string" },
  "no-pivot": { type: "boolean" },
  "preserve-fds": { type: "string" },
} as const;

function createOptions(values: Record<string, string | boolean | undefined>) {
  const pfds = values["preserve-fds"] as string | undefined;
  if (pfds !== undefined && !/^\d+$/.test(pfds)) {
    throw new DrunError("EINVALID_ARG", `--preserve-fds: must be a non-negative integer`);
  }
  return {
    bundle: values.bundle as string | undefined,
    pidFile: values["pid-file"] ? resolve(values["pid-file"] as string) : undefined,
    noPivot: !!values["no-pivot"],
    preserveFds: pfds ? Number(pfds) : 0,
    consoleSocket: values["console-socket"]
      ? resolve(values["console-socket"] as string)
      : undefined,
    noNewKeyring: !!values["no-new-keyring"],
    listenFds: listenFds(),
  };
}

/** systemd socket activation: LISTEN_FDS counts the fds from 3 meant for the service. */
function listenFds(): number | undefined {
  const n = Number(Deno.env.get("LISTEN_FDS") ?? "0");
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

async function run(rt: Runtime, args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {
    ...createFlags,
    detach: { type: "boolean", short: "d" },
    keep: { type: "boolean" },
  });
  const id = needId(positionals, "run");
  let proxy: PtyProxy | undefined;
  const { state, execDone } = await rt.createWithResult(id, {
    ...createOptions(values),
    watchExec: !values.detach,
    // A terminal and no console socket: we hold the pty and join it to our own stdio.
    onConsole: values.detach ? undefined : (fd) => {
      proxy = proxyPty(fd);
    },
  });
  const forwarded = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2"] as const;
  const handlers = forwarded.map((s) => {
    const h = () => killPid(state.pid, signalNumber(s));
    Deno.addSignalListener(s, h);
    return [s, h] as const;
  });
  try {
    await rt.start(id);
    if (values.detach) return 0;
    // Watch for an exec failure while waiting; handled at once so it is never "unhandled".
    let execError: unknown;
    const exec = execDone!().catch((e) => {
      execError = e;
    });
    const status = await waitPid(state.pid);
    await exec;
    if (proxy) {
      await Promise.race([proxy.done, new Promise((r) => setTimeout(r, 500))]);
      proxy.stop();
    }
    if (execError) throw execError;
    return status.code;
  } finally {
    proxy?.stop();
    for (const [s, h] of handlers) Deno.removeSignalListener(s, h);
    if (!values.detach && !values.keep) await rt.delete(id, { force: true }).catch(() => {});
  }
}

async function exec(rt: Runtime, args: string[]): Promise<number> {
  const options = {
    ...ENGINE_FLAGS,
    process: { type: "string", short: "p" },
    tty: { type: "boolean", short: "t" },
    detach: { type: "boolean", short: "d" },
    "pid-file": { type: "string" },
    env: { type: "string", short: "e", multiple: true },
    cwd: { type: "string" },
    user: { type: "string", short: "u" },
    "additional-gids": { type: "string", short: "g", multiple: true },
    cap: { type: "string", short: "c", multiple: true },
    "no-new-privs": { type: "boolean" },
    "preserve-fds": { type: "string" },
    "process-label": { type: "string" },
    "apparmor": { type: "string" },
    "ignore-paused": { type: "boolean" },
  } as const;
  // Like runc, options end at the container id: `exec c1 sh -c x` passes -c to sh.
  const cut = firstPositional(args, options);
  const { values, positionals: head } = parseArgs({
    args: args.slice(0, cut + 1),
    options,
    allowPositionals: true,
    strict: true,
  });
  const positionals = [...head.filter((p) => p !== "--"), ...args.slice(cut + 1)];
  const id = needId(positionals, "exec");
  const base = rt.containerSpec(id).process!;
  let proc: Process;
  if (values.process) {
    const text = values.process === "-"
      ? new TextDecoder().decode(await new Response(Deno.stdin.readable).arrayBuffer())
      : Deno.readTextFileSync(values.process);
    try {
      proc = JSON.parse(text);
    } catch (e) {
      throw new DrunError("EINVALID_ARG", `invalid JSON: ${(e as Error).message}`, "--process");
    }
  } else {
    if (positionals.length < 2) throw new DrunError("EINVALID_ARG", "exec: command required");
    proc = structuredClone(base);
    proc.args = positionals.slice(1);
    proc.terminal = !!values.tty;
    delete proc.consoleSize;
  }
  if (values.env) proc.env = [...(proc.env ?? []), ...values.env];
  if (values.cwd) proc.cwd = values.cwd;
  if (values.user) {
    const m = /^(\d+)(?::(\d+))?$/.exec(values.user);
    if (!m) throw new DrunError("EINVALID_ARG", "--user: must be uid[:gid]");
    proc.user = { ...proc.user, uid: Number(m[1]), gid: m[2] ? Number(m[2]) : proc.user.gid };
  }
  if (values["additional-gids"]) {
    proc.user = { ...proc.user, additionalGids: values["additional-gids"].map(Number) };
  }
  if (values["no-new-privs"]) proc.noNewPrivileges = true;
  const pfds = values["preserve-fds"];
  if (pfds !== undefined && !/^\d+$/.test(pfds)) {
    throw new DrunError("EINVALID_ARG", `--preserve-fds: must be a non-negative integer`);
  }
  try {
    let proxy: PtyProxy | undefined;
    const r = await rt.exec(id, proc, {
      consoleSocket: values["console-socket"] ? resolve(values["console-socket"]) : undefined,
      onConsole: values.detach ? undefined : (fd) => {
        proxy = proxyPty(fd);
      },
      detach: !!values.detach,
      pidFile: values["pid-file"] ? resolve(values["pid-file"]) : undefined,
      preserveFds: pfds ? Number(pfds) : 0,
      addCapabilities: values.cap,
      ignorePaused: !!values["ignore-paused"],
    });
    if (proxy) {
      await Promise.race([proxy.done, new Promise((r) => setTimeout(r, 500))]);
      proxy.stop();
    }
    return r.status?.code ?? 0;
  } catch (e) {
    // Like a shell: 127 when the command is not there, 126 when it cannot be run.
    if (e instanceof LaunchError && e.path === "process.args[0]") {
      console.error(`drun: ${e.message}`);
      return e.errno === 13 ? 126 : 127;
    }
    throw e;
  }
}

/** Index of the first positional argument (the container id), skipping option values. */
function firstPositional(
  args: string[],
  options: Record<string, { type: "string" | "boolean"; short?: string }>,
): number {
  const takesValue = new Set<string>();
  for (const [name, o] of Object.entries(options)) {
    if (o.type === "string") {
      takesValue.add(`--${name}`);
      if (o.short) takesValue.add(`-${o.short}`);
    }
  }
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--") return i;
    if (!a.startsWith("-") || a === "-") return i;
    if (takesValue.has(a)) i++;
  }
  return args.length;
}

function printTable(all: ReturnType<Runtime["list"]>) {
  const rows = [["ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"]];
  for (const s of all) rows.push([s.id, String(s.pid), s.status, s.bundle, s.created, s.owner]);
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i])).join("   ").trimEnd());
}

if (import.meta.main) {
  let code = 1;
  const argv = Deno.args;
  const { global } = splitGlobal(argv);
  const log = new Logger({
    file: global.log as string | undefined,
    format: global["log-format"] === "json" ? "json" : "text",
  });
  try {
    code = await main(argv);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    log.error(msg);
    // With --log the engine reads the file; a person at a terminal still wants to see it.
    if (global.log) console.error(`drun: ${msg}`);
  }
  Deno.exit(code);
}

export { main };
