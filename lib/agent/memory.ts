/**
 * Reading a notified task's memory through /proc/<pid>/mem, guarded by
 * SECCOMP_IOCTL_NOTIF_ID_VALID before and after: the pid may have died and been reused, or
 * the task may have been killed and its memory changed, between the notification and the read.
 * @module
 */
import { concatBytes } from "../bytes.ts";
import { ErrnoError, notifIdValid } from "./ffi.ts";

/**
 * The notification a read belongs to; when given, the read is checked against it.
 *
 * @example
 * ```ts
 * const guard: MemoryGuard = { notifFd: 5, id: 0x1234n };
 * ```
 */
export interface MemoryGuard {
  /** The listener fd. */
  notifFd: number;
  /** The notification id. */
  id: bigint;
}

const PAGE = 4096;

function checkValid(guard: MemoryGuard | undefined, when: string): void {
  if (guard && !notifIdValid(guard.notifFd, guard.id)) {
    throw new ErrnoError(`notification no longer valid ${when} reading memory`, 2);
  }
}

async function readAt(f: Deno.FsFile, addr: bigint, out: Uint8Array): Promise<number> {
  await f.seek(addr, Deno.SeekMode.Start);
  let got = 0;
  while (got < out.length) {
    const n = await f.read(out.subarray(got));
    if (n === null || n === 0) break;
    got += n;
  }
  return got;
}

async function withMem<T>(
  pid: number,
  guard: MemoryGuard | undefined,
  fn: (f: Deno.FsFile) => Promise<T>,
): Promise<T> {
  const f = await Deno.open(`/proc/${pid}/mem`, { read: true });
  try {
    // Opened first, then checked: the open file pins the task we verified.
    checkValid(guard, "before");
    const v = await fn(f);
    checkValid(guard, "after");
    return v;
  } finally {
    f.close();
  }
}

/**
 * Reads `len` bytes at `addr` of process `pid`. Throws when the range is not fully readable
 * or, with a guard, when the notification stopped being valid before or after the read.
 *
 * @example
 * ```ts
 * declare const n: Notification;
 * declare const notifFd: number;
 * const bytes = await readMemory(n.pid, n.args[1], 64, { notifFd, id: n.id });
 * ```
 */
export async function readMemory(
  pid: number,
  addr: bigint,
  len: number,
  guard?: MemoryGuard,
): Promise<Uint8Array> {
  return await withMem(pid, guard, async (f) => {
    const out = new Uint8Array(len);
    const got = len === 0 ? 0 : await readAt(f, addr, out);
    if (got !== len) {
      throw new ErrnoError(`short read of ${len} bytes at 0x${addr.toString(16)}`, 14);
    }
    return out;
  });
}

/**
 * Reads a NUL-terminated string of at most `max` bytes (NUL excluded) at `addr`, a page at a
 * time so a string ending just before an unmapped page still reads. Throws ENAMETOOLONG when
 * no NUL comes within `max`, EFAULT when the memory is unreadable.
 *
 * @example
 * ```ts
 * declare const n: Notification;
 * declare const notifFd: number;
 * const path = await readString(n.pid, n.args[0], 4096, { notifFd, id: n.id });
 * ```
 */
export async function readString(
  pid: number,
  addr: bigint,
  max = 4096,
  guard?: MemoryGuard,
): Promise<string> {
  return await withMem(pid, guard, async (f) => {
    const parts: Uint8Array[] = [];
    let at = addr;
    let total = 0;
    while (total <= max) {
      const toPageEnd = PAGE - Number(at % BigInt(PAGE));
      const chunk = new Uint8Array(Math.min(toPageEnd, max + 1 - total));
      let got: number;
      try {
        got = await readAt(f, at, chunk);
      } catch {
        got = 0;
      }
      if (got === 0) throw new ErrnoError(`unreadable memory at 0x${at.toString(16)}`, 14);
      const nul = chunk.subarray(0, got).indexOf(0);
      if (nul >= 0) {
        parts.push(chunk.subarray(0, nul));
        total += nul;
        return new TextDecoder().decode(concatBytes(parts));
      }
      parts.push(chunk.subarray(0, got));
      total += got;
      at += BigInt(got);
    }
    throw new ErrnoError(`string at 0x${addr.toString(16)} longer than ${max} bytes`, 36);
  });
}
