/**
 * What a runtime sends an agent on connecting: the container process state (OCI runtime-spec,
 * "The Container Process State") with the seccomp listener fd, and reading both off an
 * accepted socket. runc sends compact JSON in one message and hangs up; crun sends indented
 * JSON ending in a newline and keeps the connection open while `crun run` lives; a large state
 * arrives in many reads. So the state is read whatever its size, ends where its JSON ends,
 * and may have whitespace around it.
 * @module
 */
import { concatBytes } from "../bytes.ts";
import { closeFd, recvWithFd } from "./ffi.ts";
import { isJsonSpace, JsonEnd } from "./json_end.ts";

/**
 * The OCI state of the container, as embedded in the process state.
 *
 * @example
 * ```ts
 * const st: OciStateSnapshot = { id: "web", status: "creating", pid: 4242, bundle: "/b" };
 * ```
 */
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

/**
 * The document a runtime sends along with the listener fd.
 *
 * @example
 * ```ts
 * const s: ContainerProcessState = { fds: ["seccompFd"], pid: 4242, state: { id: "web" } };
 * ```
 */
export interface ContainerProcessState {
  /** OCI version. */
  ociVersion?: string;
  /** Names of the fds in the SCM_RIGHTS message, in order (`seccompFd`). */
  fds?: string[];
  /**
   * Host pid of the process the filter belongs to; 0 when the runtime does not say (crun 1.8
   * sends 0 for `crun exec`). Each notification carries the caller's own pid.
   */
  pid: number;
  /** `linux.seccomp.listenerMetadata`, when set. */
  metadata?: string;
  /** The container's state. */
  state: OciStateSnapshot;
}

/**
 * A connection that did not give a usable listener fd and state.
 *
 * @example
 * ```ts
 * try {
 *   parseProcessState("[]");
 * } catch (e) {
 *   if (e instanceof HandshakeError) console.error(e.message); // not a JSON object
 * }
 * ```
 */
export class HandshakeError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "HandshakeError";
  }
}

/**
 * Parses and checks a container process state (whitespace around the JSON is fine); throws
 * HandshakeError when it is unusable.
 *
 * @example
 * ```ts
 * const s = parseProcessState('{"pid": 7, "state": {"id": "web"}}\n');
 * s.state.id; // "web"
 * ```
 */
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
  // 0 is let through: crun 1.8 sends it for exec'd processes, and refusing the connection
  // would fail their notified syscalls with ENOSYS although nothing needs this pid.
  if (!Number.isInteger(o.pid) || (o.pid as number) < 0) {
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

/**
 * The listener fd and the state that came with it.
 *
 * @example
 * ```ts
 * declare const hs: Handshake;
 * console.log(`${hs.state.state.id}: fd ${hs.notifFd}, ${hs.bytes} bytes of state`);
 * ```
 */
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
 * Default cap on a state's size: far above any real one, low enough to stop a runaway peer.
 *
 * @example
 * ```ts
 * declare const conn: number;
 * await readHandshake(conn, 5000, 4 * DEFAULT_MAX_STATE_BYTES); // allow more
 * ```
 */
export const DEFAULT_MAX_STATE_BYTES = 64 << 20;

// Bytes asked for per read. Not a limit on the state, which is gathered over as many reads
// as it takes; a unix stream socket rarely hands over more than its 208 KiB queue at once.
const READ_BYTES = 256 << 10;

/**
 * Reads the state and the fd from an accepted connection until the bytes so far hold a
 * complete JSON object and the fd has arrived, or until EOF. It does not wait for EOF once
 * both are there, so a runtime that keeps the socket open (crun) is served at once. Anything
 * but whitespace after the object is an error. Closes `conn` in every case; on any failure
 * closes the fd too and throws HandshakeError.
 *
 * @example
 * ```ts
 * declare const conn: number; // a connection accepted on the agent's socket
 * const { notifFd, state } = await readHandshake(conn, 5000);
 * console.log(state.state.id, notifFd);
 * ```
 */
export async function readHandshake(
  conn: number,
  timeoutMs: number,
  maxBytes: number = DEFAULT_MAX_STATE_BYTES,
): Promise<Handshake> {
  const deadline = Date.now() + timeoutMs;
  const chunks: Uint8Array[] = [];
  const end = new JsonEnd();
  let total = 0;
  let notifFd = -1;
  let fdsReceived = 0;
  const buf = new Uint8Array(READ_BYTES);
  try {
    while (true) {
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new HandshakeError(
          `no complete state with an fd within ${timeoutMs} ms (${total} bytes, ` +
            `${notifFd < 0 ? "no fd" : "fd received"})`,
        );
      }
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
      total += r.bytes;
      if (total > maxBytes) {
        throw new HandshakeError(`container state larger than ${maxBytes} bytes`);
      }
      const piece = buf.slice(0, r.bytes);
      chunks.push(piece);
      // Where the object ends in this piece (0 once it ended in an earlier one).
      const after = end.done ? 0 : end.push(piece);
      if (!end.done) continue;
      for (let i = Math.max(after, 0); i < piece.length; i++) {
        if (!isJsonSpace(piece[i])) {
          throw new HandshakeError(
            `unexpected data after the container state JSON (byte ${total - piece.length + i})`,
          );
        }
      }
      if (notifFd >= 0) {
        return { notifFd, state: decodeState(chunks), bytes: total, fdsReceived };
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
    return { notifFd, state: decodeState(chunks), bytes: total, fdsReceived };
  } catch (e) {
    if (notifFd >= 0) closeFd(notifFd);
    throw e;
  } finally {
    closeFd(conn);
  }
}

function decodeState(chunks: Uint8Array[]): ContainerProcessState {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(concatBytes(chunks));
  } catch {
    throw new HandshakeError("container state is not valid UTF-8");
  }
  return parseProcessState(text);
}
