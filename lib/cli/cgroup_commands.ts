/**
 * The CLI commands that act through a container's cgroups: `pause`, `resume`, `ps`, `events`
 * and `update`, with runc's flags. cli.ts dispatches to these.
 * @module
 */
import { parseArgs } from "node:util";
import { ArgError } from "../errors.ts";
import type { Runtime } from "../runtime.ts";
import type { LinuxResources } from "../spec/types.ts";

function idOf(positionals: string[], cmd: string): string {
  if (positionals.length < 1) throw new ArgError(`${cmd}: container id required`);
  if (positionals.length > 1) {
    throw new ArgError(`${cmd}: unexpected argument ${JSON.stringify(positionals[1])}`);
  }
  return positionals[0];
}

/** `pause <id>`. */
export async function pauseCommand(rt: Runtime, args: string[]): Promise<number> {
  const { positionals } = parseArgs({ args, allowPositionals: true, strict: true });
  await rt.pause(idOf(positionals, "pause"));
  return 0;
}

/** `resume <id>`. */
export async function resumeCommand(rt: Runtime, args: string[]): Promise<number> {
  const { positionals } = parseArgs({ args, allowPositionals: true, strict: true });
  await rt.resume(idOf(positionals, "resume"));
  return 0;
}

/**
 * `ps [--format table|json] <id> [ps options]`: json prints the pids as an array; table runs
 * `ps` (default `-ef`) and keeps its header and the container's lines, as runc does.
 */
export async function psCommand(rt: Runtime, args: string[]): Promise<number> {
  let format = "table";
  let id: string | undefined;
  const psArgs: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (id !== undefined) {
      if (a === "--" && psArgs.length === 0) continue;
      psArgs.push(a);
    } else if (a === "--format" || a === "-f") {
      if (i + 1 >= args.length) throw new ArgError("--format: needs a value");
      format = args[++i];
    } else if (a.startsWith("--format=")) {
      format = a.slice("--format=".length);
    } else if (a === "--") {
      continue;
    } else if (a.startsWith("-")) {
      throw new ArgError(`ps: unknown option ${a}`);
    } else {
      id = a;
    }
  }
  if (format !== "table" && format !== "json") {
    throw new ArgError(`--format: must be table or json, not ${format}`);
  }
  if (id === undefined) throw new ArgError("ps: container id required");
  const pids = await rt.ps(id);
  if (format === "json") {
    console.log(JSON.stringify(pids));
    return 0;
  }
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command("ps", {
      args: psArgs.length ? psArgs : ["-ef"],
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch (e) {
    throw new ArgError(`ps: cannot run ps: ${(e as Error).message}`);
  }
  if (!out.success) {
    throw new ArgError(`ps: ps failed: ${new TextDecoder().decode(out.stderr).trim()}`);
  }
  const lines = new TextDecoder().decode(out.stdout).split("\n");
  const header = lines[0] ?? "";
  const col = header.trim().split(/\s+/).indexOf("PID");
  if (col < 0) throw new ArgError("ps: the output of ps has no PID column");
  const want = new Set(pids);
  const rows = [header];
  for (const l of lines.slice(1)) {
    const f = l.trim().split(/\s+/);
    if (f.length > col && want.has(Number(f[col]))) rows.push(l);
  }
  console.log(rows.join("\n"));
  return 0;
}

/** Parses a Go-style duration such as `5s`, `500ms`, `1m30s`; returns milliseconds. */
export function parseDuration(s: string, flag = "--interval"): number {
  const unit: Record<string, number> = {
    ns: 1e-6,
    us: 1e-3,
    "µs": 1e-3,
    ms: 1,
    s: 1000,
    m: 60_000,
    h: 3_600_000,
  };
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/y;
  let ms = 0;
  let i = 0;
  if (s === "") throw new ArgError(`${flag}: empty duration`);
  while (i < s.length) {
    re.lastIndex = i;
    const m = re.exec(s);
    if (!m) throw new ArgError(`${flag}: invalid duration ${JSON.stringify(s)} (e.g. 5s, 500ms)`);
    ms += Number(m[1]) * unit[m[2]];
    i = re.lastIndex;
  }
  if (!(ms > 0)) throw new ArgError(`${flag}: must be positive`);
  return ms;
}

/** `events [--stats] [--interval 5s] <id>`: JSON events, one per line. */
export async function eventsCommand(rt: Runtime, args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: { stats: { type: "boolean" }, interval: { type: "string" } },
  });
  const id = idOf(positionals, "events");
  const intervalMs = parseDuration(values.interval ?? "5s");
  const ac = new AbortController();
  const stop = () => ac.abort();
  const signals = ["SIGINT", "SIGTERM"] as const;
  for (const s of signals) Deno.addSignalListener(s, stop);
  try {
    for await (const ev of rt.events(id, { stats: values.stats, intervalMs, signal: ac.signal })) {
      console.log(JSON.stringify(ev));
    }
  } finally {
    for (const s of signals) Deno.removeSignalListener(s, stop);
  }
  return 0;
}

/** Parses a byte size the way runc's update does: `-1`, a number, or `64m`, `1.5G`, `512KiB`. */
export function parseBytes(s: string, flag: string): number {
  if (s === "-1") return -1;
  const m = /^(\d+(?:\.\d+)?) ?([kKmMgGtTpP])?[iI]?[bB]?$/.exec(s);
  if (!m) throw new ArgError(`${flag}: invalid size ${JSON.stringify(s)} (e.g. 1048576, 64m, 2g)`);
  const exp = m[2] ? "kmgtp".indexOf(m[2].toLowerCase()) + 1 : 0;
  return Math.floor(Number(m[1]) * 1024 ** exp);
}

function parseInteger(s: string, flag: string, min: number): number {
  if (!/^-?\d+$/.test(s) || Number(s) < min || !Number.isSafeInteger(Number(s))) {
    throw new ArgError(
      `${flag}: must be ${min < 0 ? "-1 or " : ""}a non-negative integer, not ${JSON.stringify(s)}`,
    );
  }
  return Number(s);
}

/** Value flags of `update`, and how each lands in LinuxResources. */
const UPDATE_FLAGS: Record<
  string,
  { kind: "bytes" | "int" | "uint" | "list"; set: (r: LinuxResources, v: never) => void }
> = {
  memory: { kind: "bytes", set: (r, v: number) => (r.memory ??= {}).limit = v },
  "memory-reservation": { kind: "bytes", set: (r, v: number) => (r.memory ??= {}).reservation = v },
  "memory-swap": { kind: "bytes", set: (r, v: number) => (r.memory ??= {}).swap = v },
  "kernel-memory": { kind: "bytes", set: (r, v: number) => (r.memory ??= {}).kernel = v },
  "kernel-memory-tcp": { kind: "bytes", set: (r, v: number) => (r.memory ??= {}).kernelTCP = v },
  "cpu-shares": { kind: "uint", set: (r, v: number) => (r.cpu ??= {}).shares = v },
  "cpu-share": { kind: "uint", set: (r, v: number) => (r.cpu ??= {}).shares = v },
  "cpu-quota": { kind: "int", set: (r, v: number) => (r.cpu ??= {}).quota = v },
  "cpu-period": { kind: "uint", set: (r, v: number) => (r.cpu ??= {}).period = v },
  "cpu-burst": { kind: "uint", set: (r, v: number) => (r.cpu ??= {}).burst = v },
  "cpu-rt-period": { kind: "uint", set: (r, v: number) => (r.cpu ??= {}).realtimePeriod = v },
  "cpu-rt-runtime": { kind: "int", set: (r, v: number) => (r.cpu ??= {}).realtimeRuntime = v },
  "cpu-idle": { kind: "uint", set: (r, v: number) => (r.cpu ??= {}).idle = v },
  "cpuset-cpus": { kind: "list", set: (r, v: string) => (r.cpu ??= {}).cpus = v },
  "cpuset-mems": { kind: "list", set: (r, v: string) => (r.cpu ??= {}).mems = v },
  "pids-limit": { kind: "int", set: (r, v: number) => r.pids = { limit: v } },
  "blkio-weight": { kind: "uint", set: (r, v: number) => (r.blockIO ??= {}).weight = v },
};

/** Reads all of stdin as text. */
async function readStdin(): Promise<string> {
  const chunks: Uint8Array[] = [];
  for await (const c of Deno.stdin.readable) chunks.push(c);
  const all = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let off = 0;
  for (const c of chunks) {
    all.set(c, off);
    off += c.length;
  }
  return new TextDecoder().decode(all);
}

/**
 * `update [flags] <id>` or `update -r FILE|- <id>`: as runc, the JSON (OCI LinuxResources) and
 * the flags are alternatives.
 */
export async function updateCommand(rt: Runtime, args: string[]): Promise<number> {
  const options: Record<string, { type: "string" | "boolean"; short?: string }> = {
    resources: { type: "string", short: "r" },
    "l3-cache-schema": { type: "string" },
    "mem-bw-schema": { type: "string" },
  };
  for (const k of Object.keys(UPDATE_FLAGS)) options[k] = { type: "string" };
  // "--cpu-quota -1": parseArgs would take -1 for an option; glue it to its flag.
  const argv: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const name = args[i].startsWith("--") ? args[i].slice(2) : undefined;
    if (name && options[name]?.type === "string" && /^-\d/.test(args[i + 1] ?? "")) {
      argv.push(`${args[i]}=${args[++i]}`);
    } else argv.push(args[i]);
  }
  const { values, positionals } = parseArgs({
    args: argv,
    options,
    allowPositionals: true,
    strict: true,
  });
  const id = idOf(positionals, "update");
  for (const k of ["l3-cache-schema", "mem-bw-schema"]) {
    if (values[k] !== undefined) throw new ArgError(`--${k}: Intel RDT is not supported by drun`);
  }
  const flags = Object.keys(UPDATE_FLAGS).filter((k) => values[k] !== undefined);
  let resources: LinuxResources = {};
  const file = values.resources as string | undefined;
  if (file !== undefined) {
    if (flags.length) {
      throw new ArgError(`--resources cannot be combined with --${flags[0]}`);
    }
    const text = file === "-" ? await readStdin() : await Deno.readTextFile(file);
    try {
      resources = JSON.parse(text);
    } catch (e) {
      throw new ArgError(`--resources: invalid JSON: ${(e as Error).message}`);
    }
  } else {
    if (!flags.length) throw new ArgError("update: nothing to change (give -r or resource flags)");
    for (const k of flags) {
      const spec = UPDATE_FLAGS[k];
      const raw = values[k] as string;
      const v = spec.kind === "bytes"
        ? parseBytes(raw, `--${k}`)
        : spec.kind === "int"
        ? parseInteger(raw, `--${k}`, -1)
        : spec.kind === "uint"
        ? parseInteger(raw, `--${k}`, 0)
        : raw;
      (spec.set as (r: LinuxResources, v: unknown) => void)(resources, v);
    }
  }
  await rt.update(id, resources);
  return 0;
}
