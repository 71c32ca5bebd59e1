/**
 * `drun update [options] <container-id>`: changes the resource limits of a container that is
 * not stopped, from runc's flags or (`-r FILE|-`) an OCI LinuxResources JSON; as runc, the two
 * are alternatives.
 * @module
 */
import { ArgError } from "../../lib/errors.ts";
import type { LinuxResources } from "../../lib/spec/types.ts";
import { type Context, readStdin } from "../context.ts";
import type { CommandSpec, Flag, Parsed } from "../flags.ts";
import { parseBytes, parseId, parseInteger } from "../args.ts";

type Kind = "bytes" | "int" | "uint" | "list";

/** A value flag of `update`, and how it lands in LinuxResources. */
interface Knob {
  kind: Kind;
  help: string;
  set: (r: LinuxResources, v: never) => void;
}

const KNOBS: Record<string, Knob> = {
  memory: {
    kind: "bytes",
    help: "memory limit (bytes, or 64m, 2g)",
    set: (r, v: number) => (r.memory ??= {}).limit = v,
  },
  "memory-reservation": {
    kind: "bytes",
    help: "memory soft limit",
    set: (r, v: number) => (r.memory ??= {}).reservation = v,
  },
  "memory-swap": {
    kind: "bytes",
    help: "memory plus swap limit (-1: unlimited swap)",
    set: (r, v: number) => (r.memory ??= {}).swap = v,
  },
  "kernel-memory": {
    kind: "bytes",
    help: "kernel memory limit (v1)",
    set: (r, v: number) => (r.memory ??= {}).kernel = v,
  },
  "kernel-memory-tcp": {
    kind: "bytes",
    help: "kernel TCP buffer limit (v1)",
    set: (r, v: number) => (r.memory ??= {}).kernelTCP = v,
  },
  "cpu-shares": {
    kind: "uint",
    help: "CPU shares (relative weight)",
    set: (r, v: number) => (r.cpu ??= {}).shares = v,
  },
  "cpu-share": {
    kind: "uint",
    help: "the same as --cpu-shares (runc's spelling)",
    set: (r, v: number) => (r.cpu ??= {}).shares = v,
  },
  "cpu-quota": {
    kind: "int",
    help: "CFS quota per period (µs, -1: none)",
    set: (r, v: number) => (r.cpu ??= {}).quota = v,
  },
  "cpu-period": {
    kind: "uint",
    help: "CFS period (µs)",
    set: (r, v: number) => (r.cpu ??= {}).period = v,
  },
  "cpu-burst": {
    kind: "uint",
    help: "CFS burst (µs)",
    set: (r, v: number) => (r.cpu ??= {}).burst = v,
  },
  "cpu-rt-period": {
    kind: "uint",
    help: "realtime period (µs)",
    set: (r, v: number) => (r.cpu ??= {}).realtimePeriod = v,
  },
  "cpu-rt-runtime": {
    kind: "int",
    help: "realtime runtime per period (µs)",
    set: (r, v: number) => (r.cpu ??= {}).realtimeRuntime = v,
  },
  "cpu-idle": {
    kind: "uint",
    help: "SCHED_IDLE for the cgroup (0 or 1)",
    set: (r, v: number) => (r.cpu ??= {}).idle = v,
  },
  "cpuset-cpus": {
    kind: "list",
    help: "CPUs to use (0-3,5)",
    set: (r, v: string) => (r.cpu ??= {}).cpus = v,
  },
  "cpuset-mems": {
    kind: "list",
    help: "memory nodes to use",
    set: (r, v: string) => (r.cpu ??= {}).mems = v,
  },
  "pids-limit": {
    kind: "int",
    help: "maximum number of pids (-1: none)",
    set: (r, v: number) => r.pids = { limit: v },
  },
  "blkio-weight": {
    kind: "uint",
    help: "block I/O weight (10-1000)",
    set: (r, v: number) => (r.blockIO ??= {}).weight = v,
  },
};

/**
 * The command line of `update`: its flags, argument counts and help text.
 *
 * @example
 * ```ts
 * console.log(commandHelp("update", "…", spec));
 * ```
 */
export const spec: CommandSpec = {
  usage: "<container-id>",
  args: [1, 1],
  flags: [
    {
      name: "resources",
      aliases: ["r"],
      type: "string",
      value: "FILE",
      help: "LinuxResources JSON (- for stdin), instead of the flags below",
    },
    ...Object.entries(KNOBS).map(([name, k]): Flag => ({
      name,
      type: "string",
      value: k.kind === "list" ? "LIST" : "N",
      help: k.help,
    })),
    { name: "l3-cache-schema", type: "string", help: "Intel RDT: not supported (refused)" },
    { name: "mem-bw-schema", type: "string", help: "Intel RDT: not supported (refused)" },
  ],
};

function parseKnob(kind: Kind, raw: string, flag: string): number | string {
  switch (kind) {
    case "bytes":
      return parseBytes(raw, flag);
    case "int":
      return parseInteger(raw, flag, -1);
    case "uint":
      return parseInteger(raw, flag, 0);
    case "list":
      return raw;
  }
}

async function resourcesFrom(p: Parsed): Promise<LinuxResources> {
  const given = Object.keys(KNOBS).filter((k) => p.has(k));
  const file = p.string("resources");
  if (file !== undefined) {
    if (given.length) throw new ArgError(`--resources cannot be combined with --${given[0]}`);
    const text = file === "-" ? await readStdin() : await Deno.readTextFile(file);
    try {
      return JSON.parse(text);
    } catch (e) {
      throw new ArgError(`--resources: invalid JSON: ${(e as Error).message}`);
    }
  }
  if (!given.length) throw new ArgError("update: nothing to change (give -r or resource flags)");
  const resources: LinuxResources = {};
  for (const k of given) {
    const v = parseKnob(KNOBS[k].kind, p.string(k)!, `--${k}`);
    (KNOBS[k].set as (r: LinuxResources, v: unknown) => void)(resources, v);
  }
  return resources;
}

/**
 * Runs `update` once main.ts has checked its flags and arguments; resolves to the exit code.
 *
 * @example
 * ```ts
 * const code = await run(ctx, parseFlags("update", spec.flags, args));
 * ```
 */
export async function run(ctx: Context, p: Parsed): Promise<number> {
  const id = parseId(p.args[0]);
  for (const k of ["l3-cache-schema", "mem-bw-schema"]) {
    if (p.has(k)) throw new ArgError(`--${k}: Intel RDT is not supported by drun`);
  }
  const resources = await resourcesFrom(p);
  await (await ctx.runtime()).update(id, resources);
  return 0;
}
