/**
 * ttrpc, containerd's light RPC over a unix stream: frames of a 10-byte header (u32 length,
 * u32 stream id, u8 type, u8 flags, big-endian) and a protobuf Request or Response. The shim
 * serves the Task service with it and calls containerd's Events service with it.
 * @module
 */
import { decode, encode } from "./protobuf.ts";
import { TtrpcRequest, TtrpcResponse } from "./messages.ts";

const HEADER = 10;
const TYPE_REQUEST = 1;
const TYPE_RESPONSE = 2;
/** ttrpc's own limit on one message. */
const MAX_MESSAGE = 4 << 20;

/** gRPC status codes containerd maps back to its errors (errdefs). */
export const Code = {
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  FAILED_PRECONDITION: 9,
  UNIMPLEMENTED: 12,
  UNAVAILABLE: 14,
} as const;

/** An error an RPC answers with: a gRPC code and a message. */
export class RpcError extends Error {
  /** The gRPC status code. */
  readonly code: number;

  /**
   * An error with gRPC status `code`.
   *
   * @example
   * ```ts
   * import { Code, RpcError } from "./ttrpc.ts";
   * const e = new RpcError(Code.NOT_FOUND, "container x: not found");
   * if (e.code !== 5) throw e;
   * ```
   */
  constructor(code: number, message: string) {
    super(message);
    this.code = code;
  }
}

/** One method: request payload in, response payload out (throw RpcError to fail). */
export type Method = (payload: Uint8Array) => Promise<Uint8Array>;

/** Services by full name ("containerd.task.v2.Task"), methods by name. */
export type Services = Record<string, Record<string, Method>>;

function frame(stream: number, type: number, body: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(HEADER + body.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, body.length);
  v.setUint32(4, stream);
  out[8] = type;
  out.set(body, HEADER);
  return out;
}

/** Writes every byte, one frame at a time (frames of concurrent calls never interleave). */
class FrameWriter {
  #tail: Promise<void> = Promise.resolve();
  constructor(private conn: Deno.Conn) {}

  write(data: Uint8Array): Promise<void> {
    const run = async () => {
      for (let off = 0; off < data.length;) off += await this.conn.write(data.subarray(off));
    };
    this.#tail = this.#tail.then(run, run);
    return this.#tail;
  }
}

/** Yields [stream id, type, body] for each frame until the peer closes. */
async function* frames(conn: Deno.Conn): AsyncGenerator<[number, number, Uint8Array]> {
  let buf = new Uint8Array(0);
  const chunk = new Uint8Array(64 * 1024);
  while (true) {
    while (buf.length >= HEADER) {
      const v = new DataView(buf.buffer, buf.byteOffset);
      const len = v.getUint32(0);
      if (len > MAX_MESSAGE) throw new Error(`ttrpc: message of ${len} bytes over the limit`);
      if (buf.length < HEADER + len) break;
      yield [v.getUint32(4), buf[8], buf.slice(HEADER, HEADER + len)];
      buf = buf.subarray(HEADER + len);
    }
    let n: number | null;
    try {
      n = await conn.read(chunk);
    } catch {
      return;
    }
    if (n === null) return;
    const next = new Uint8Array(buf.length + n);
    next.set(buf);
    next.set(chunk.subarray(0, n), buf.length);
    buf = next;
  }
}

/**
 * Serves ttrpc requests on one connection until it closes; requests run concurrently (a
 * Wait blocks for as long as its process runs).
 *
 * @example
 * ```ts ignore
 * import { serveConn } from "./ttrpc.ts";
 * const l = Deno.listen({ transport: "unix", path: "/tmp/t.sock" });
 * for await (const c of l) serveConn(c, { "x.Echo": { Say: (p) => Promise.resolve(p) } });
 * ```
 */
export async function serveConn(
  conn: Deno.Conn,
  services: Services,
  trace?: (call: string, ms: number, error?: string) => void,
): Promise<void> {
  const out = new FrameWriter(conn);
  try {
    for await (const [stream, type, body] of frames(conn)) {
      if (type !== TYPE_REQUEST) continue;
      (async () => {
        let response: Uint8Array;
        const t0 = performance.now();
        let call = "?";
        try {
          const req = decode(TtrpcRequest, body);
          call = req.method;
          const method = services[req.service]?.[req.method];
          if (!method) throw new RpcError(Code.UNIMPLEMENTED, `${req.service}/${req.method}`);
          response = encode(TtrpcResponse, { payload: await method(req.payload) });
          trace?.(call, performance.now() - t0);
        } catch (e) {
          const code = e instanceof RpcError ? e.code : Code.UNKNOWN;
          const message = (e as Error).message ?? String(e);
          trace?.(call, performance.now() - t0, message);
          response = encode(TtrpcResponse, { status: { code, message } });
        }
        await out.write(frame(stream, TYPE_RESPONSE, response)).catch(() => {});
      })();
    }
  } finally {
    try {
      conn.close();
    } catch { /* closed */ }
  }
}

/** A ttrpc client on one connection (containerd's Events service, tests). */
export class TtrpcClient {
  #conn: Deno.Conn;
  #out: FrameWriter;
  #next = 1;
  #pending = new Map<number, { ok: (b: Uint8Array) => void; fail: (e: Error) => void }>();
  /** Resolves when the connection closes. */
  readonly closed: Promise<void>;

  private constructor(conn: Deno.Conn) {
    this.#conn = conn;
    this.#out = new FrameWriter(conn);
    this.closed = (async () => {
      for await (const [stream, type, body] of frames(conn)) {
        const p = this.#pending.get(stream);
        if (type !== TYPE_RESPONSE || !p) continue;
        this.#pending.delete(stream);
        try {
          const r = decode(TtrpcResponse, body);
          if (r.status && r.status.code !== 0) {
            p.fail(new RpcError(r.status.code, r.status.message));
          } else p.ok(r.payload);
        } catch (e) {
          p.fail(e as Error);
        }
      }
      for (const p of this.#pending.values()) p.fail(new Error("ttrpc: connection closed"));
      this.#pending.clear();
    })();
  }

  /**
   * Connects to a unix socket path (a `unix://` prefix is accepted).
   *
   * @example
   * ```ts ignore
   * import { TtrpcClient } from "./ttrpc.ts";
   * const c = await TtrpcClient.connect("unix:///run/containerd/containerd.sock.ttrpc");
   * c.close();
   * ```
   */
  static async connect(address: string): Promise<TtrpcClient> {
    const path = address.replace(/^unix:\/\//, "");
    return new TtrpcClient(await Deno.connect({ transport: "unix", path }));
  }

  /** Calls service/method with an encoded request; resolves with the response payload. */
  call(service: string, method: string, payload: Uint8Array): Promise<Uint8Array> {
    const stream = this.#next;
    this.#next += 2; // client streams are odd
    const body = encode(TtrpcRequest, { service, method, payload });
    return new Promise((ok, fail) => {
      this.#pending.set(stream, { ok, fail });
      this.#out.write(frame(stream, TYPE_REQUEST, body)).catch((e) => {
        this.#pending.delete(stream);
        fail(e);
      });
    });
  }

  /** Closes the connection. */
  close(): void {
    try {
      this.#conn.close();
    } catch { /* closed */ }
  }
}
