/**
 * The launch plan: an ordered list of ops the native child executes after clone, encoded in
 * the layout zig/src/plan.zig reads. Each op carries the config field it comes from and what it
 * does, so a failure the child reports by step index becomes an error naming both. The ops are
 * made by the constructors in ops.ts, one per kind, never by hand.
 * @module
 */

import { concatBytes } from "../bytes.ts";

/** Op kinds; the numbers are the contract with zig/src/child.zig. */
export const Op = {
  WAIT_PARENT: 1,
  SETNS: 2,
  UNSHARE: 3,
  WRITE_FILE: 4,
  SETRESUID: 5,
  SETRESGID: 6,
  SETGROUPS: 7,
  OPEN_ROOT: 8,
  MOUNT_IN_ROOT: 9,
  PIVOT: 10,
  MOVE_ROOT: 11,
  MOUNT: 12,
  MKNOD: 13,
  SYMLINK: 14,
  SETHOSTNAME: 15,
  SETDOMAINNAME: 16,
  RLIMIT: 17,
  CHDIR: 18,
  UMASK: 19,
  CAPS_BOUNDING: 20,
  PRCTL: 21,
  CAPSET: 22,
  CAPS_AMBIENT: 23,
  SECCOMP: 24,
  READY: 25,
  OPEN_SLOT: 26,
  FIFO_WAIT: 27,
  RESOLVE_EXEC: 28,
  EXEC: 29,
  SIGNALS_RESET: 30,
  CLOSE_FDS: 31,
  LO_UP: 32,
  SETSID: 33,
  PERSONALITY: 34,
  MASK_PATH: 35,
  FORK_PID: 36,
  SYNC_HOOKS: 37,
  RUN_HOOK: 38,
  CONSOLE: 39,
  KEYRING: 40,
  IOPRIO: 41,
  SCHED: 42,
  SETATTR_SLOT: 43,
  IDMAP_TREE: 44,
  MOUNT_TREE: 45,
  AFFINITY: 46,
  CHROOT: 47,
} as const;

/** An op kind number. */
export type OpKind = typeof Op[keyof typeof Op];

/**
 * Where a step comes from and what it does: the two halves of the error it fails with
 * (`mounts[2]` and `mount proc on /proc` make `mounts[2]: mount proc on /proc: mount: EPERM`).
 */
export interface Step {
  /** The config field the step carries out (`linux.devices[0]`), when one does. */
  field?: string;
  /** What the step does (`create /dev/net/tun`, `mount proc on /proc`). */
  action: string;
}

/** One planned step. */
export interface PlanOp extends Step {
  /** What to do. */
  kind: OpKind;
  /** Integer arguments (u64). */
  nums: (number | bigint)[];
  /** String or byte arguments. */
  strs: (string | Uint8Array)[];
}

/**
 * A PlanOp of `kind` for `step`. Trailing numbers left undefined are not encoded (the init reads
 * a missing number as 0), so an op is as long as the arguments given; one left undefined before
 * a given one is encoded as 0.
 *
 * @example
 * ```ts
 * const op = planOp(Op.UMASK, { field: "process.user.umask", action: "set umask" }, [0o022]);
 * ```
 */
export function planOp(
  kind: OpKind,
  step: Step,
  nums: (number | bigint | undefined)[] = [],
  strs: (string | Uint8Array)[] = [],
): PlanOp {
  let n = nums.length;
  while (n > 0 && nums[n - 1] === undefined) n--;
  const given = nums.slice(0, n).map((x) => x ?? 0);
  const { field, action } = step;
  return field === undefined
    ? { kind, action, nums: given, strs }
    : { kind, field, action, nums: given, strs };
}

/** A whole plan: clone flags and ops in execution order. */
export interface LaunchPlan {
  /** CLONE_NEW* flags for the clone that creates the init. */
  cloneFlags: number;
  /** The steps, in order. */
  ops: PlanOp[];
}

const MAGIC = 0x4e555244;
const VERSION = 2;
/** An op's header: u16 kind, u8 number count, u8 zero, u32 size, u32 string count. */
const OP_HEADER = 12;

/** The u64 the child reads as "no value" (-1). */
export const NONE = 0xffffffffffffffffn;

/** Encodes a plan into the byte layout of zig/src/plan.zig. */
export function encodePlan(plan: LaunchPlan): Uint8Array<ArrayBuffer> {
  const enc = new TextEncoder();
  const parts: Uint8Array[] = [];
  const header = new Uint8Array(16);
  const hv = new DataView(header.buffer);
  hv.setUint32(0, MAGIC, true);
  hv.setUint32(4, VERSION, true);
  hv.setBigUint64(8, BigInt(plan.cloneFlags), true);
  parts.push(header);
  for (const op of plan.ops) {
    if (op.nums.length > 255) {
      throw new Error(`${op.field ?? op.action}: too many numbers for one plan op`);
    }
    const strs = op.strs.map((s) => typeof s === "string" ? enc.encode(s) : s);
    const size = OP_HEADER + op.nums.length * 8 +
      strs.reduce((n, s) => n + 4 + s.length + 1, 0);
    const buf = new Uint8Array(size);
    const dv = new DataView(buf.buffer);
    dv.setUint16(0, op.kind, true);
    buf[2] = op.nums.length;
    dv.setUint32(4, size, true);
    dv.setUint32(8, strs.length, true);
    let at = OP_HEADER;
    for (const n of op.nums) {
      dv.setBigUint64(at, BigInt.asUintN(64, BigInt(n)), true);
      at += 8;
    }
    for (const s of strs) {
      dv.setUint32(at, s.length, true);
      buf.set(s, at + 4);
      at += 4 + s.length + 1;
    }
    parts.push(buf);
  }
  return concatBytes(parts) as Uint8Array<ArrayBuffer>;
}
