/**
 * A small proto3 wire codec driven by schemas written as data (shim/messages.ts): the shim
 * speaks a few dozen flat messages, and a table-driven codec costs nothing at start-up where
 * a generated library would have to load first.
 * @module
 */

/** A scalar field type, or a nested message's schema. */
export type FieldType =
  | "string"
  | "bytes"
  | "bool"
  | "uint32"
  | "int32"
  | "uint64"
  | "int64"
  | Schema;

/** One field: its number, type, and whether it repeats. */
export interface Field {
  /** Field number in the .proto. */
  no: number;
  /** Wire type source. */
  type: FieldType;
  /** `repeated`. */
  repeated?: boolean;
}

/** A message: field name to field. */
export type Schema = { [name: string]: Field };

/** A decoded (or to-be-encoded) message: field name to value. */
// deno-lint-ignore no-explicit-any
export type Message = Record<string, any>;

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Growable output buffer. */
class Writer {
  buf = new Uint8Array(256);
  len = 0;

  ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const b = new Uint8Array(size);
    b.set(this.buf.subarray(0, this.len));
    this.buf = b;
  }

  byte(b: number): void {
    this.ensure(1);
    this.buf[this.len++] = b;
  }

  varint(v: number | bigint): void {
    let n = BigInt.asUintN(64, BigInt(v));
    if (typeof v === "number" && v >= 0 && v < 0x80000000) {
      // The common case without BigInt.
      let x = v;
      while (x >= 0x80) {
        this.byte((x & 0x7f) | 0x80);
        x >>>= 7;
      }
      this.byte(x);
      return;
    }
    while (n >= 0x80n) {
      this.byte(Number(n & 0x7fn) | 0x80);
      n >>= 7n;
    }
    this.byte(Number(n));
  }

  bytes(b: Uint8Array): void {
    this.varint(b.length);
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }

  result(): Uint8Array<ArrayBuffer> {
    return this.buf.slice(0, this.len);
  }
}

function isDefault(type: FieldType, v: unknown): boolean {
  if (v === undefined || v === null) return true;
  if (typeof type === "object") return false;
  if (type === "string") return v === "";
  if (type === "bytes") return (v as Uint8Array).length === 0;
  if (type === "bool") return v === false;
  return v === 0 || v === 0n;
}

function writeValue(w: Writer, f: Field, v: unknown): void {
  const t = f.type;
  if (typeof t === "object") {
    w.varint((f.no << 3) | 2);
    w.bytes(encode(t, v as Message));
  } else if (t === "string") {
    w.varint((f.no << 3) | 2);
    w.bytes(enc.encode(v as string));
  } else if (t === "bytes") {
    w.varint((f.no << 3) | 2);
    w.bytes(v as Uint8Array);
  } else {
    w.varint(f.no << 3);
    w.varint(t === "bool" ? (v ? 1 : 0) : v as number | bigint);
  }
}

/**
 * Encodes `msg` by `schema` (proto3: default values are left out).
 *
 * @example
 * ```ts
 * import { decode, encode } from "./protobuf.ts";
 * const S = { id: { no: 1, type: "string" as const }, pid: { no: 2, type: "uint32" as const } };
 * const m = decode(S, encode(S, { id: "a", pid: 7 }));
 * if (m.id !== "a" || m.pid !== 7) throw new Error("round trip");
 * ```
 */
export function encode(schema: Schema, msg: Message): Uint8Array<ArrayBuffer> {
  const w = new Writer();
  for (const [name, f] of Object.entries(schema)) {
    const v = msg[name];
    if (f.repeated) {
      for (const item of (v as unknown[] | undefined) ?? []) writeValue(w, f, item);
    } else if (!isDefault(f.type, v)) {
      writeValue(w, f, v);
    }
  }
  return w.result();
}

const indexes = new WeakMap<Schema, Map<number, [string, Field]>>();

function indexOf(schema: Schema): Map<number, [string, Field]> {
  let m = indexes.get(schema);
  if (!m) {
    m = new Map(Object.entries(schema).map(([name, f]) => [f.no, [name, f]]));
    indexes.set(schema, m);
  }
  return m;
}

/** Reads a varint as a number (exact below 2^53, which every field here stays under). */
function readVarint(b: Uint8Array, pos: { i: number }): number {
  let v = 0;
  let mul = 1;
  for (let k = 0; k < 10; k++) {
    if (pos.i >= b.length) throw new Error("protobuf: truncated varint");
    const byte = b[pos.i++];
    v += (byte & 0x7f) * mul;
    if (byte < 0x80) return v;
    mul *= 128;
  }
  throw new Error("protobuf: varint too long");
}

function defaults(schema: Schema): Message {
  const m: Message = {};
  for (const [name, f] of Object.entries(schema)) {
    if (f.repeated) m[name] = [];
    else if (typeof f.type === "object") m[name] = undefined;
    else if (f.type === "string") m[name] = "";
    else if (f.type === "bytes") m[name] = new Uint8Array();
    else if (f.type === "bool") m[name] = false;
    else m[name] = 0;
  }
  return m;
}

/**
 * Decodes bytes by `schema`; absent fields get proto3 defaults, unknown fields are skipped.
 *
 * @example
 * ```ts
 * import { decode } from "./protobuf.ts";
 * const m = decode({ id: { no: 1, type: "string" } }, new Uint8Array([10, 1, 97]));
 * if (m.id !== "a") throw new Error("decode");
 * ```
 */
export function decode(schema: Schema, b: Uint8Array): Message {
  const idx = indexOf(schema);
  const m = defaults(schema);
  const pos = { i: 0 };
  while (pos.i < b.length) {
    const key = readVarint(b, pos);
    const no = Math.floor(key / 8);
    const wire = key & 7;
    const entry = idx.get(no);
    let value: unknown;
    if (wire === 0) {
      const v = readVarint(b, pos);
      value = entry?.[1].type === "bool" ? v !== 0 : entry?.[1].type === "int32" ? v | 0 : v;
    } else if (wire === 2) {
      const n = readVarint(b, pos);
      if (pos.i + n > b.length) throw new Error("protobuf: truncated field");
      const raw = b.subarray(pos.i, pos.i + n);
      pos.i += n;
      const t = entry?.[1].type;
      if (typeof t === "object") value = decode(t, raw);
      else if (t === "string") value = dec.decode(raw);
      else if (t === "bytes") value = raw.slice();
      else if (entry?.[1].repeated) {
        // A packed repeated scalar.
        const inner = { i: 0 };
        const items: number[] = [];
        while (inner.i < raw.length) items.push(readVarint(raw, inner));
        (m[entry[0]] as unknown[]).push(...items);
        continue;
      }
    } else if (wire === 1) {
      pos.i += 8;
    } else if (wire === 5) {
      pos.i += 4;
    } else {
      throw new Error(`protobuf: unsupported wire type ${wire}`);
    }
    if (!entry || value === undefined) continue;
    const [name, f] = entry;
    if (f.repeated) (m[name] as unknown[]).push(value);
    else m[name] = value;
  }
  return m;
}
