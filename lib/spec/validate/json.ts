/**
 * JSON primitives of the validator: typed reads of optional and required fields, the kernel's
 * limits (PATH_MAX, NAME_MAX, id ranges), and `fail`, which throws the SpecError naming a path.
 * @module
 */
import { SpecError } from "../../errors.ts";
import { parseCpuList } from "../cpu_list.ts";

// __NEW_UTS_LEN: the kernel refuses longer host and domain names.
export const MAX_UTS_NAME = 64;

// The kernel refuses uid_map/gid_map files with more lines than this.
export const MAX_ID_MAPPINGS = 340;

// (uid_t)-1 means "no id" to setresuid and chown: a config asking for it would silently keep
// the current id (root), so the highest id a container may name is one below.
export const MAX_ID = 2 ** 32 - 2;

// PATH_MAX counts the terminating NUL: a path reaching a syscall has at most 4095 bytes.
export const PATH_MAX = 4096;

// The longest single component a Linux filesystem accepts.
export const NAME_MAX = 255;

// MAX_ARG_STRLEN (32 pages), with its NUL: execve refuses a longer argument or variable.
export const MAX_ARG_STRLEN = 131072;

// Mount options reach mount(2) as one page of data.
export const MAX_MOUNT_DATA = 4096;

export const utf8 = new TextEncoder();

export type Json = Record<string, unknown>;

export interface Ctx {
  bundle: string;
  checkFs: boolean;
  /** The absolute rootfs, once root.path is checked (mount targets live under it). */
  rootfs?: string;
}

// ---------------------------------------------------------------------------------------------
// Primitive checks

export function fail(path: string, message: string): never {
  throw new SpecError(path, message);
}

export function keyPath(base: string, key: string): string {
  return `${base}[${JSON.stringify(key)}]`;
}

export function child(base: string, key: string): string {
  return base ? `${base}.${key}` : key;
}

export function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Reads a member, treating JSON null as absent (and dropping it from the copy). */
export function get(o: Json, key: string): unknown {
  const v = o[key];
  if (v === null) {
    delete o[key];
    return undefined;
  }
  return v;
}

export function need(o: Json, key: string, base: string): unknown {
  const v = get(o, key);
  if (v === undefined) fail(child(base, key), "required");
  return v;
}

export function asObject(v: unknown, p: string): Json {
  if (!isObject(v)) fail(p, "must be an object");
  return v;
}

export function asString(v: unknown, p: string): string {
  if (typeof v !== "string") fail(p, "must be a string");
  return v;
}

/** A string that will reach a syscall as a C string, where a NUL would silently truncate it. */
export function asCString(v: unknown, p: string): string {
  const s = asString(v, p);
  if (s.includes("\0")) fail(p, "must not contain a NUL byte");
  return s;
}

export function asBool(v: unknown, p: string): boolean {
  if (typeof v !== "boolean") fail(p, "must be a boolean");
  return v;
}

export function optObject(o: Json, key: string, base: string): Json | undefined {
  const v = get(o, key);
  return v === undefined ? undefined : asObject(v, child(base, key));
}

export function optArray(o: Json, key: string, base: string): unknown[] | undefined {
  const v = get(o, key);
  if (v === undefined) return undefined;
  if (!Array.isArray(v)) fail(child(base, key), "must be an array");
  return v;
}

export function optString(o: Json, key: string, base: string): string | undefined {
  const v = get(o, key);
  return v === undefined ? undefined : asString(v, child(base, key));
}

export function optCString(o: Json, key: string, base: string): string | undefined {
  const v = get(o, key);
  return v === undefined ? undefined : asCString(v, child(base, key));
}

export function optBool(o: Json, key: string, base: string): boolean | undefined {
  const v = get(o, key);
  return v === undefined ? undefined : asBool(v, child(base, key));
}

export function intIn(v: unknown, p: string, min: number, max: number, msg?: string): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
    fail(p, msg ?? `must be an integer in ${min}..${max}`);
  }
  return v;
}

export function uint32(v: unknown, p: string): number {
  return intIn(v, p, 0, 2 ** 32 - 1);
}

/** A uid or gid: 32 bits, but never 4294967295, which the kernel reads as "leave unchanged". */
export function id32(v: unknown, p: string): number {
  return intIn(v, p, 0, MAX_ID, `must be an integer in 0..${MAX_ID}`);
}

export function byteLength(s: string): number {
  return utf8.encode(s).length;
}

/**
 * A path the kernel will take: below PATH_MAX as a whole and, when `components`, no component
 * above NAME_MAX (the kernel would say ENAMETOOLONG, far from the field that caused it).
 */
export function pathLimits(s: string, p: string, components = true): void {
  if (byteLength(s) >= PATH_MAX) fail(p, `longer than ${PATH_MAX - 1} bytes (PATH_MAX)`);
  if (components && s.split("/").some((c) => byteLength(c) > NAME_MAX)) {
    fail(p, `has a path component longer than ${NAME_MAX} bytes (NAME_MAX)`);
  }
}

/** An argument or environment entry execve accepts. */
export function argLimit(s: string, p: string): void {
  if (byteLength(s) >= MAX_ARG_STRLEN) {
    fail(p, `longer than ${MAX_ARG_STRLEN - 1} bytes, the kernel's limit for one argument`);
  }
}

// JSON.parse turns 2^64-1 (RLIM_INFINITY, "max") into the double 2^64, so that is the ceiling.
export function uint64(v: unknown, p: string): number {
  return intIn(v, p, 0, 2 ** 64, "must be a non-negative integer");
}

export function int64(v: unknown, p: string): number {
  return intIn(v, p, -(2 ** 63), 2 ** 63, "must be an integer");
}

/** A cgroup limit: a non-negative number, or -1 for "unlimited". */
export function limit64(v: unknown, p: string): number {
  return intIn(v, p, -1, 2 ** 63, "must be -1 (unlimited) or a non-negative integer");
}

export function cpuList(s: string, p: string): void {
  try {
    parseCpuList(s);
  } catch (e) {
    fail(p, e instanceof Error ? e.message : String(e));
  }
}

/** Stats `target` for the field at `p`: null when it does not exist, a SpecError otherwise. */
export function statOrNull(target: string, p: string): Deno.FileInfo | null {
  try {
    return Deno.statSync(target);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    fail(p, `cannot access ${target}: ${oneLine(e)}`);
  }
}

export function oneLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).replace(/\s*\n\s*/g, " ");
}
