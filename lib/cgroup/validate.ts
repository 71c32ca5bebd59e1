/**
 * Value checks for `linux.resources` and `linux.cgroupsPath`, shared by `create` (through
 * {@link openCgroups}) and `update`. They run before any cgroup exists, and the first problem
 * becomes a {@link SpecError} naming the field (`linux.resources.cpu.cpus: ...`).
 * @module
 */
import { SpecError } from "../errors.ts";
import { parseCpuList } from "../spec/cpu_list.ts";
import type { LinuxResources } from "../spec/types.ts";

type Json = Record<string, unknown>;

function fail(path: string, message: string): never {
  throw new SpecError(path, message);
}

function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function obj(o: Json, key: string, base: string): Json | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (!isObject(v)) fail(`${base}.${key}`, "must be an object");
  return v;
}

function arr(o: Json, key: string, base: string): unknown[] | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) fail(`${base}.${key}`, "must be an array");
  return v;
}

function int(
  o: Json,
  key: string,
  base: string,
  min: number,
  max: number,
  msg?: string,
  required = false,
): number | undefined {
  const v = o[key];
  const p = `${base}.${key}`;
  if (v === undefined || v === null) {
    if (required) fail(p, "required");
    return undefined;
  }
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
    fail(p, msg ?? `must be an integer in ${min}..${max}`);
  }
  return v;
}

const U32 = 2 ** 32 - 1;
// JSON numbers above 2^53 lose precision; 2^64 is what "max" (2^64-1) parses to.
const U64 = 2 ** 64;
const I64 = 2 ** 63;
const LIMIT_MSG = "must be -1 (unlimited) or a non-negative integer";

function limit(o: Json, key: string, base: string): number | undefined {
  return int(o, key, base, -1, I64, LIMIT_MSG);
}

function bool(o: Json, key: string, base: string): void {
  const v = o[key];
  if (v !== undefined && v !== null && typeof v !== "boolean") {
    fail(`${base}.${key}`, "must be a boolean");
  }
}

function str(o: Json, key: string, base: string): string | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string") fail(`${base}.${key}`, "must be a string");
  if (v.includes("\0")) fail(`${base}.${key}`, "must not contain a NUL byte");
  return v;
}

function cpus(o: Json, key: string, base: string): void {
  const v = str(o, key, base);
  if (v === undefined) return;
  try {
    parseCpuList(v);
  } catch (e) {
    fail(`${base}.${key}`, e instanceof Error ? e.message : String(e));
  }
}

/** Weight of blkio: 0 (unset) or 10..1000, as the kernel's CFQ/BFQ take it. */
function weight(o: Json, key: string, base: string): void {
  const v = int(o, key, base, 0, 1000, "must be 0 (unset) or in 10..1000");
  if (v !== undefined && v !== 0 && v < 10) {
    fail(`${base}.${key}`, "must be 0 (unset) or in 10..1000");
  }
}

/** Files a `unified` key must not name: writing them would move or reshape the cgroup. */
const CORE_FILES = new Set([
  "cgroup.procs",
  "cgroup.threads",
  "cgroup.subtree_control",
  "cgroup.type",
  "cgroup.kill",
  "cgroup.freeze",
]);

/**
 * Checks a `LinuxResources` object (from a config, `update -r`, or the API) and returns it
 * typed. `path` is the field prefix used in messages (`linux.resources` for a config).
 * Unknown members are ignored, as the runtime spec asks.
 *
 * @example
 * ```ts
 * const r = validateResources({ memory: { limit: 1 << 28 } }); // throws SpecError on a bad field
 * console.log(r.memory?.limit);
 * ```
 */
export function validateResources(resources: unknown, path = "linux.resources"): LinuxResources {
  if (resources === undefined || resources === null) return {};
  if (!isObject(resources)) fail(path, "must be an object");
  const r = resources;

  arr(r, "devices", path)?.forEach((x, i) => {
    const p = `${path}.devices[${i}]`;
    if (!isObject(x)) fail(p, "must be an object");
    if (typeof x.allow !== "boolean") fail(`${p}.allow`, "required boolean");
    const type = str(x, "type", p);
    if (type !== undefined && !["a", "b", "c"].includes(type)) {
      fail(`${p}.type`, `unknown device type "${type}" (use a, b or c)`);
    }
    int(x, "major", p, -1, U32, "must be -1 (any) or a device number");
    int(x, "minor", p, -1, U32, "must be -1 (any) or a device number");
    const access = str(x, "access", p);
    if (access !== undefined && access !== "" && !/^(?!.*(.).*\1)[rwm]{1,3}$/.test(access)) {
      fail(`${p}.access`, `must be a combination of r, w and m, got "${access}"`);
    }
  });

  const mem = obj(r, "memory", path);
  if (mem) {
    const p = `${path}.memory`;
    const lim = limit(mem, "limit", p);
    limit(mem, "reservation", p);
    const swap = limit(mem, "swap", p);
    limit(mem, "kernel", p);
    limit(mem, "kernelTCP", p);
    int(mem, "swappiness", p, 0, 100);
    for (const k of ["disableOOMKiller", "useHierarchy", "checkBeforeUpdate"]) bool(mem, k, p);
    if (lim !== undefined && swap !== undefined && lim > 0 && swap > 0 && swap < lim) {
      fail(`${p}.swap`, "must not be below memory.limit (it counts memory plus swap)");
    }
  }

  const cpu = obj(r, "cpu", path);
  if (cpu) {
    const p = `${path}.cpu`;
    int(cpu, "shares", p, 0, U64, "must be a non-negative integer");
    const quota = int(cpu, "quota", p, -1, I64, LIMIT_MSG);
    if (quota !== undefined && quota > 0 && quota < 1000) {
      fail(`${p}.quota`, "must be -1, 0 (unset) or at least 1000 (microseconds)");
    }
    const period = int(cpu, "period", p, 0, 1_000_000, "must be 0 (unset) or 1000..1000000");
    if (period !== undefined && period > 0 && period < 1000) {
      fail(`${p}.period`, "must be 0 (unset) or 1000..1000000 (microseconds)");
    }
    int(cpu, "burst", p, 0, U64, "must be a non-negative integer");
    int(cpu, "realtimeRuntime", p, -1, I64, LIMIT_MSG);
    int(cpu, "realtimePeriod", p, 0, U64, "must be a non-negative integer");
    cpus(cpu, "cpus", p);
    cpus(cpu, "mems", p);
    int(cpu, "idle", p, 0, 1);
  }

  const pids = obj(r, "pids", path);
  if (pids) int(pids, "limit", `${path}.pids`, -1, I64, LIMIT_MSG, true);

  const bio = obj(r, "blockIO", path);
  if (bio) {
    const p = `${path}.blockIO`;
    weight(bio, "weight", p);
    weight(bio, "leafWeight", p);
    arr(bio, "weightDevice", p)?.forEach((x, i) => {
      const q = `${p}.weightDevice[${i}]`;
      if (!isObject(x)) fail(q, "must be an object");
      int(x, "major", q, 0, U32, undefined, true);
      int(x, "minor", q, 0, U32, undefined, true);
      weight(x, "weight", q);
      weight(x, "leafWeight", q);
    });
    for (
      const key of [
        "throttleReadBpsDevice",
        "throttleWriteBpsDevice",
        "throttleReadIOPSDevice",
        "throttleWriteIOPSDevice",
      ]
    ) {
      arr(bio, key, p)?.forEach((x, i) => {
        const q = `${p}.${key}[${i}]`;
        if (!isObject(x)) fail(q, "must be an object");
        int(x, "major", q, 0, U32, undefined, true);
        int(x, "minor", q, 0, U32, undefined, true);
        int(x, "rate", q, 0, U64, "must be a non-negative integer", true);
      });
    }
  }

  arr(r, "hugepageLimits", path)?.forEach((x, i) => {
    const p = `${path}.hugepageLimits[${i}]`;
    if (!isObject(x)) fail(p, "must be an object");
    const size = str(x, "pageSize", p);
    if (size === undefined) fail(`${p}.pageSize`, "required");
    // It names the hugetlb.<size>.* files, so "2MB" and nothing else.
    if (!/^\d+[KMGT]B$/.test(size)) fail(`${p}.pageSize`, `invalid page size "${size}"`);
    int(x, "limit", p, 0, U64, "must be a non-negative integer", true);
  });

  const net = obj(r, "network", path);
  if (net) {
    const p = `${path}.network`;
    int(net, "classID", p, 0, U32);
    arr(net, "priorities", p)?.forEach((x, i) => {
      const q = `${p}.priorities[${i}]`;
      if (!isObject(x)) fail(q, "must be an object");
      const name = str(x, "name", q);
      if (!name || /[\s/]/.test(name)) fail(`${q}.name`, "must be an interface name");
      int(x, "priority", q, 0, U32, undefined, true);
    });
  }

  const rdma = obj(r, "rdma", path);
  if (rdma) {
    for (const [dev, v] of Object.entries(rdma)) {
      const p = `${path}.rdma[${JSON.stringify(dev)}]`;
      if (!dev || /[\s/]/.test(dev)) fail(p, "invalid rdma device name");
      if (!isObject(v)) fail(p, "must be an object");
      int(v, "hcaHandles", p, 0, U32);
      int(v, "hcaObjects", p, 0, U32);
    }
  }

  const unified = obj(r, "unified", path);
  if (unified) {
    for (const [k, v] of Object.entries(unified)) {
      const p = `${path}.unified[${JSON.stringify(k)}]`;
      // A file name in the cgroup directory, "<controller>.<knob>": no slashes, no "..".
      if (!/^[A-Za-z0-9_]+\.[A-Za-z0-9_.-]+$/.test(k) || k.includes("..")) {
        fail(p, "invalid cgroup file name");
      }
      if (CORE_FILES.has(k)) fail(p, `${k} cannot be set through unified`);
      if (typeof v !== "string") fail(p, "must be a string");
      if (v.includes("\0")) fail(p, "must not contain a NUL byte");
    }
  }
  return r as LinuxResources;
}

/** The error for `slice:prefix:name` cgroup paths. */
export const SYSTEMD_PATH_MESSAGE =
  "systemd cgroup paths need the systemd driver, which drun does not have yet";

/**
 * Checks `linux.cgroupsPath`: refuses the systemd `slice:prefix:name` form, `..` components and
 * NUL bytes. Returns the path, or undefined when none is set.
 */
export function validateCgroupsPath(
  value: unknown,
  field = "linux.cgroupsPath",
): string | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  if (typeof value !== "string") fail(field, "must be a string");
  if (value.includes("\0")) fail(field, "must not contain a NUL byte");
  if (!value.startsWith("/") && /^[^:/]*:[^:/]*:[^:/]*$/.test(value)) {
    fail(field, SYSTEMD_PATH_MESSAGE);
  }
  if (value.split("/").some((s) => s === "..")) fail(field, "must not contain .. components");
  return value;
}
