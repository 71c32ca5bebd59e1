/**
 * What an agent's handler sees and answers: a decoded seccomp notification with the syscall's
 * name, and the three kinds of answer, encoded for SECCOMP_IOCTL_NOTIF_SEND.
 * @module
 */
import {
  AUDIT_ARCH,
  SECCOMP_ARCHES,
  SYSCALLS,
  X32_SYSCALL_BIT,
} from "../seccomp/tables.generated.ts";
import { type RawNotif, USER_NOTIF_FLAG_CONTINUE } from "./ffi.ts";
import type { ContainerProcessState } from "./handshake.ts";

/**
 * One notified syscall.
 *
 * @example
 * ```ts
 * const log = (n: Notification) => console.log(n.state.state.id, n.pid, n.syscall ?? n.nr);
 * ```
 */
export interface Notification {
  /** The kernel's cookie; answers and id-valid checks use it. */
  id: bigint;
  /** The calling thread's id in the agent's pid namespace (host pid for a host agent). */
  pid: number;
  /** Syscall number as the filter saw it (x32 calls carry `__X32_SYSCALL_BIT`). */
  nr: number;
  /** `AUDIT_ARCH_*` value of the calling convention. */
  arch: number;
  /** Syscall name from drun's tables for that architecture, when known. */
  syscall?: string;
  /** The six raw arguments. */
  args: bigint[];
  /** Where the syscall was made. */
  instructionPointer: bigint;
  /** The container process state the runtime sent with the listener fd. */
  state: ContainerProcessState;
}

/**
 * A handler's answer: let the syscall run (`continue`), fail it with a positive errno
 * (`error`), or skip it and return `value`.
 *
 * @example
 * ```ts
 * const deny: Response = { error: 1 }; // EPERM
 * ```
 */
export type Response = { continue: true } | { error: number } | { value: number | bigint };

/**
 * The fields of `struct seccomp_notif_resp` other than the id.
 *
 * @example
 * ```ts
 * const e: EncodedResponse = encodeResponse({ error: 1 }); // { val: 0n, error: -1, flags: 0 }
 * ```
 */
export interface EncodedResponse {
  /** Return value. */
  val: bigint;
  /** Negative errno or 0. */
  error: number;
  /** USER_NOTIF_FLAG_CONTINUE or 0. */
  flags: number;
}

/**
 * Turns a handler's answer into the kernel's fields; throws TypeError when it is malformed.
 *
 * @example
 * ```ts
 * console.log(encodeResponse({ value: 7 })); // { val: 7n, error: 0, flags: 0 }
 * ```
 */
export function encodeResponse(r: Response): EncodedResponse {
  if (r && typeof r === "object") {
    if ("continue" in r && r.continue === true) {
      return { val: 0n, error: 0, flags: USER_NOTIF_FLAG_CONTINUE };
    }
    if ("error" in r) {
      const e = r.error;
      if (!Number.isInteger(e) || e <= 0 || e > 4095) {
        throw new TypeError(`error must be a positive errno, got ${e}`);
      }
      return { val: 0n, error: -e, flags: 0 };
    }
    if ("value" in r) {
      const v = typeof r.value === "bigint" ? r.value : BigInt(Math.trunc(r.value));
      return { val: BigInt.asIntN(64, v), error: 0, flags: 0 };
    }
  }
  throw new TypeError(`not a seccomp response: ${JSON.stringify(r, bigintSafe)}`);
}

function bigintSafe(_k: string, v: unknown) {
  return typeof v === "bigint" ? v.toString() : v;
}

let byArch: Map<number, Map<number, string>[]> | undefined;

function reverseTables(): Map<number, Map<number, string>[]> {
  if (byArch) return byArch;
  byArch = new Map();
  for (const arch of SECCOMP_ARCHES) {
    const names = new Map<number, string>();
    for (const [name, nr] of Object.entries(SYSCALLS[arch])) {
      if (!names.has(nr)) names.set(nr, name);
    }
    const audit = AUDIT_ARCH[arch];
    const list = byArch.get(audit) ?? [];
    // x86_64 and x32 share an audit value; index 0 is the native table, 1 the x32 one.
    if (arch === "x32") list[1] = names;
    else list[0] = names;
    byArch.set(audit, list);
  }
  return byArch;
}

/**
 * The name of syscall `nr` under the AUDIT_ARCH value `arch`, or undefined.
 *
 * @example
 * ```ts
 * console.log(syscallName(0xc000003e, 83)); // "mkdir" (AUDIT_ARCH_X86_64)
 * ```
 */
export function syscallName(arch: number, nr: number): string | undefined {
  const tables = reverseTables().get(arch >>> 0);
  if (!tables) return undefined;
  const x32 = (nr & X32_SYSCALL_BIT) !== 0 && tables[1] !== undefined;
  return (x32 ? tables[1] : tables[0])?.get(x32 ? nr & ~X32_SYSCALL_BIT : nr);
}

/** Builds the handler's view of a raw notification. */
export function toNotification(raw: RawNotif, state: ContainerProcessState): Notification {
  return {
    id: raw.id,
    pid: raw.pid,
    nr: raw.nr,
    arch: raw.arch,
    syscall: syscallName(raw.arch, raw.nr),
    args: raw.args,
    instructionPointer: raw.instructionPointer,
    state,
  };
}
