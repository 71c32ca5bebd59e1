/**
 * Storage for compiled filters: a stable key for a profile, a bounded in-memory map and an
 * optional directory of files. Knows nothing about compiling.
 * @module
 */

import { join } from "node:path";
import type { CompiledSeccomp } from "./types.ts";

/**
 * JSON-like text of `value` with object keys sorted, so equal profiles give equal text however
 * their keys were ordered. Bigints are written as `123n`, which no JSON value can be, so a
 * bigint never collides with a number or a string.
 */
export function stableStringify(value: unknown): string {
  if (typeof value === "bigint") return `${value}n`;
  if (Array.isArray(value)) {
    return `[${value.map((v) => v === undefined ? "null" : stableStringify(v)).join(",")}]`;
  }
  if (typeof value === "object" && value !== null) {
    const o = value as Record<string, unknown>;
    const parts = Object.keys(o).sort().filter((k) => o[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${stableStringify(o[k])}`);
    return `{${parts.join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/**
 * A 64-bit FNV-1a of the key, as hex: only a file name, since every entry stores its full
 * key and a read compares it. (node:crypto would cost ~14 ms of start-up per CLI process.)
 */
export function keyHash(text: string): string {
  let h1 = 0x811c9dc5, h2 = 0xcbf29ce4;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ (c + i), 0x01000193);
  }
  return (h1 >>> 0).toString(16).padStart(8, "0") + (h2 >>> 0).toString(16).padStart(8, "0");
}

/** A bounded map of compiled filters; the oldest entry goes first when full. */
export class MemoryCache {
  #map = new Map<string, CompiledSeccomp>();

  /** Creates a cache of at most `limit` entries. */
  constructor(readonly limit = 64) {}

  /** The entry for `key`, copied so callers cannot change what is cached. */
  get(key: string): CompiledSeccomp | undefined {
    const hit = this.#map.get(key);
    return hit && copy(hit);
  }

  /** Stores a copy of `value`. */
  set(key: string, value: CompiledSeccomp): void {
    this.#map.delete(key);
    if (this.#map.size >= this.limit) this.#map.delete(this.#map.keys().next().value!);
    this.#map.set(key, copy(value));
  }

  /** Forgets every entry. */
  clear(): void {
    this.#map.clear();
  }
}

function copy(c: CompiledSeccomp): CompiledSeccomp {
  return { ...c, program: c.program.slice(), warnings: [...c.warnings] };
}

interface DiskEntry {
  key: string;
  program: string;
  instructions: number;
  flags: number;
  usesNotify: boolean;
  warnings: string[];
}

function toBase64(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

function fromBase64(text: string): Uint8Array {
  return Uint8Array.from(atob(text), (ch) => ch.charCodeAt(0));
}

/**
 * Reads the filter stored for `key` (whose hash is `hash`) in `dir`. Anything missing,
 * unreadable or not matching the key counts as a miss: the cache can always be rebuilt.
 */
export function readDisk(dir: string, hash: string, key: string): CompiledSeccomp | undefined {
  try {
    const e = JSON.parse(Deno.readTextFileSync(join(dir, `${hash}.json`))) as DiskEntry;
    if (e.key !== key) return undefined;
    const program = fromBase64(e.program);
    if (program.length !== e.instructions * 8) return undefined;
    return {
      program,
      instructions: e.instructions,
      flags: e.flags,
      usesNotify: e.usesNotify,
      warnings: e.warnings,
    };
  } catch {
    return undefined;
  }
}

/**
 * Stores a filter in `dir`, written to a temporary file and renamed so a concurrent reader never
 * sees half a file. Failing to write only costs a recompile later, so errors are swallowed.
 */
export function writeDisk(dir: string, hash: string, key: string, c: CompiledSeccomp): void {
  const entry: DiskEntry = {
    key,
    program: toBase64(c.program),
    instructions: c.instructions,
    flags: c.flags,
    usesNotify: c.usesNotify,
    warnings: c.warnings,
  };
  const final = join(dir, `${hash}.json`);
  const tmp = `${final}.${Deno.pid}.${crypto.randomUUID()}.tmp`;
  try {
    Deno.mkdirSync(dir, { recursive: true });
    Deno.writeTextFileSync(tmp, JSON.stringify(entry));
    Deno.renameSync(tmp, final);
  } catch {
    try {
      Deno.removeSync(tmp);
    } catch {
      // Never created.
    }
  }
}
