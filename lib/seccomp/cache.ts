/**
 * Storage for compiled filters within one process: a stable key for a profile and a bounded
 * in-memory map. Knows nothing about compiling.
 * @module
 */

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
