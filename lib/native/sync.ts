/**
 * The runtime's end of the sync socket with drun-init: starting it on a plan, and the
 * fixed-size messages both sides exchange (layout: zig/src/sync.zig; the conversation in
 * order: lib/runtime/steps.ts).
 * @module
 */
import { cstr, errnoError, initMemfd, native } from "./core.ts";

/** Size of one sync message (see zig/src/sync.zig). */
export const MSG_SIZE = 256;
/** Kinds of sync messages. */
export const MsgKind = {
  READY: 1,
  ERROR: 2,
  TIMING: 3,
  PID: 4,
  HOOKS: 5,
  CONSOLE: 6,
  GO: 16,
} as const;

/** A decoded sync message from the child. */
export interface SyncMessage {
  /** One of MsgKind. */
  kind: number;
  /** Index of the plan op that sent it (for errors). */
  step: number;
  /** errno of the failed syscall, or 0. */
  errno: number;
  /** A number that goes with the kind (handoff latency for TIMING). */
  value: bigint;
  /** What failed, from the child. */
  detail: string;
  /** An fd that came with the message (the pty master for CONSOLE). */
  fd?: number;
}

/**
 * Starts drun-init on the encoded `plan`. `stdio[i]` becomes its fd i (-1 or absent: ours).
 * Returns its host pid and the runtime's end of the sync socket.
 *
 * @example
 * ```ts ignore
 * import { launch } from "./sync.ts";
 * import { encodePlan } from "../plan/encode.ts";
 * const { pid, syncFd } = launch(encodePlan({ cloneFlags: 0, ops: [] }));
 * ```
 */
export function launch(
  plan: Uint8Array<ArrayBuffer>,
  stdio: readonly number[] = [],
): { pid: number; syncFd: number } {
  const out = new BigInt64Array(2);
  const fds = new Int32Array([stdio[0] ?? -1, stdio[1] ?? -1, stdio[2] ?? -1]);
  const pid = Number(
    native().drun_launch(
      plan,
      BigInt(plan.length),
      initMemfd(),
      new Uint8Array(fds.buffer),
      new Uint8Array(out.buffer),
    ),
  );
  if (pid < 0) throw errnoError("start the container init", -pid);
  return { pid, syncFd: Number(out[0]) };
}

/** Waits up to timeoutMs (negative: forever) for a message; null on EOF. */
export async function recvMessage(fd: number, timeoutMs: number): Promise<SyncMessage | null> {
  const buf = new Uint8Array(MSG_SIZE);
  const fdOut = new Int32Array(1);
  const n = Number(
    await native().drun_recv_with_fd(
      fd,
      buf,
      BigInt(buf.length),
      new Uint8Array(fdOut.buffer),
      timeoutMs,
    ),
  );
  if (n === 0) return null;
  if (n === -110) throw new Deno.errors.TimedOut("timed out waiting for the container init");
  if (n < 0) throw errnoError("recv", -n);
  const dv = new DataView(buf.buffer);
  const end = buf.indexOf(0, 24);
  return {
    kind: dv.getUint32(0, true),
    step: dv.getUint32(4, true),
    errno: dv.getInt32(8, true),
    value: dv.getBigInt64(16, true),
    detail: new TextDecoder().decode(buf.subarray(24, end < 0 ? MSG_SIZE : end)),
    fd: fdOut[0] >= 0 ? fdOut[0] : undefined,
  };
}

/** Sends GO (or another kind) with an optional payload and value to the child. */
export function sendMessage(fd: number, kind: number, payload?: Uint8Array, value = 0n): void {
  const buf = new Uint8Array(MSG_SIZE);
  new DataView(buf.buffer).setUint32(0, kind, true);
  new DataView(buf.buffer).setBigInt64(16, value, true);
  // A payload of any size travels as a sealed memfd the init maps (the packet stays small).
  let pass = -1;
  if (payload?.length) {
    const bytes = new Uint8Array(payload) as Uint8Array<ArrayBuffer>;
    pass = Number(native().drun_sealed_memfd(cstr("drun-go"), bytes, BigInt(bytes.length)));
    if (pass < 0) throw errnoError("memfd for the init's payload", -pass);
  }
  try {
    const n = Number(native().drun_send_with_fd(fd, buf, BigInt(buf.length), pass));
    if (n < 0) throw errnoError("send", -n);
  } finally {
    if (pass >= 0) native().drun_close(pass);
  }
}
