/**
 * The runtime's side of a connection to the agent: the container process state (OCI
 * runtime-spec, "The Container Process State") that comes with the seccomp listener fd, and
 * reading it off an accepted socket.
 * @module
 */
import { concatBytes } from "../bytes.ts";
import { closeFd, recvWithFd } from "./ffi.ts";

/** The OCI state of the container, as embedded in the process state. */
export interface OciStateSnapshot {
  /** OCI version. */
  ociVersion?: string;
  /** Container id. */
  id: string;
  /** `creating` for create, `running` for exec. */
  status?: string;
  /** Host pid of the container's init. */
  pid?: number;
  /** Bundle path. */
  bundle?: string;
  /** Annotations. */
  annotations?: Record<string, string>;
}

/** The document a runtime sends along with the listener fd. */
export interface ContainerProcessState {
  /** OCI version. */
  ociVersion?: string;
  /** Names of the fds in the SCM_RIGHTS message, in order (`seccompFd`). */
  fds?: string[];
  /** Host pid of the process the filter belongs to. */
  pid: number;
  /** `linux.seccomp.listenerMetadata`, when set. */
  metadata?: string;
  /** The container's state. */
  state: OciStateSnapshot;
}

/** A connection that did not give a usable listener fd and state. */
export class HandshakeError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "HandshakeError";
  }
}

/** Parses and checks a container process state; throws HandshakeError when it is unusable. */
export function parseProcessState(text: string): ContainerProcessState {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new HandshakeError(
      `malformed container state JSON (${text.length} bytes): ${(e as Error).message}`,
    );
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    throw new HandshakeError("container state is not a JSON object");
  }
  const o = v as Record<string, unknown>;
  if (!Number.isInteger(o.pid) || (o.pid as number) <= 0) {
    throw new HandshakeError("container state has no valid pid");
  }
  const st = o.state as Record<string, unknown> | undefined;
  if (typeof st !== "object" || st === null || typeof st.id !== "string") {
    throw new HandshakeError("container state has no state.id");
  }
  if (o.fds !== undefined) {
    if (!Array.isArray(o.fds) || o.fds[0] !== "seccompFd") {
      throw new HandshakeError(`container state fds must start with "seccompFd"`);
    }
  }
  if (o.metadata !== undefined && typeof o.metadata !== "string") {
    throw new HandshakeError("container state metadata is not a string");
  }
  return o as unknown as ContainerProcessState;
}

/** The listener fd and the state that came with it. */
export interface Handshake {
  /** The seccomp listener fd, now owned by the caller. */
  notifFd: number;
  /** The parsed state. */
  state: ContainerProcessState;
  /** Bytes of JSON read. */
  bytes: number;
  /** How many fds arrived on the connection in all (1 when the runtime behaves). */
  fdsReceived: number;
}

/**
 * Reads the state and the fd from an accepted connection until EOF, or until the bytes so
 * far form a complete JSON object and the fd has arrived (so a runtime that keeps the socket
 * open until a notified syscall is answered cannot deadlock us). Closes `conn` in every case;
 * on any failure closes the fd too and throws HandshakeError.
 */
export async function readHandshake(conn: number, timeoutMs: number): Promise<Handshake> {
  const deadline = Date.now() + timeoutMs;
  const chunks: Uint8Array[] = [];
  let total = 0;
  let notifFd = -1;
  let fdsReceived = 0;
  const buf = new Uint8Array(65536);
  try {
    while (true) {
      const left = deadline - Date.now();
      if (left <= 0) throw new HandshakeError(`no complete state within ${timeoutMs} ms`);
      let r;
      try {
        r = await recvWithFd(conn, buf, left);
      } catch (e) {
        if (e instanceof Deno.errors.TimedOut) continue;
        throw new HandshakeError(`receiving the state: ${(e as Error).message}`);
      }
      if (r.fd >= 0) {
        fdsReceived++;
        if (notifFd < 0) notifFd = r.fd;
        else closeFd(r.fd);
      }
      if (r.bytes === 0) break;
      chunks.push(buf.slice(0, r.bytes));
      total += r.bytes;
      if (notifFd >= 0 && buf[r.bytes - 1] === 0x7d /* } */) {
        const state = tryParse(chunks);
        if (state) return { notifFd, state, bytes: total, fdsReceived };
      }
    }
    if (notifFd < 0) {
      throw new HandshakeError(
        total === 0
          ? "peer closed without sending anything"
          : `no fd came with the state (${total} bytes)`,
      );
    }
    if (total === 0) throw new HandshakeError("peer closed without sending a state");
    const state = parseProcessState(new TextDecoder().decode(concatBytes(chunks)));
    return { notifFd, state, bytes: total, fdsReceived };
  } catch (e) {
    if (notifFd >= 0) closeFd(notifFd);
    throw e;
  } finally {
    closeFd(conn);
  }
}

function tryParse(chunks: Uint8Array[]): ContainerProcessState | undefined {
  try {
    return parseProcessState(new TextDecoder().decode(concatBytes(chunks)));
  } catch {
    return undefined;
  }
}
