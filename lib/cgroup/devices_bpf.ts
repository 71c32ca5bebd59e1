/**
 * Device rules for cgroup v2: an OCI rule list compiled into an eBPF program of type
 * BPF_PROG_TYPE_CGROUP_DEVICE, the v2 replacement of `devices.allow` / `devices.deny`.
 * Pure: builds bytes only (loading and attaching are in devices_attach.ts).
 *
 * Semantics: the kernel asks
 * about one device (type, major, minor) and a set of access bits (mknod, read, write). Each
 * access bit is decided by the LAST rule that matches the device and names that bit; a bit no
 * rule names is denied. The request is allowed only when every bit it asks for is allowed.
 * A rule of type `a` (or no type) stands for every device and every access, as `a` does in a
 * v1 `devices.allow`/`devices.deny` file; otherwise an absent or negative major/minor matches
 * any, and an empty access means `rwm`.
 *
 * The program walks the rules from last to first with r3 holding the access bits not yet
 * decided: an allow rule clears its bits (all cleared: allow), a deny rule that names a bit
 * still undecided denies; after the first rule, undecided bits are denied.
 * @module
 */
import type { LinuxDeviceCgroup } from "../spec/types.ts";

/** `struct bpf_cgroup_dev_ctx` type values (low 16 bits of access_type). */
export const BPF_DEVCG_DEV_BLOCK = 1;
/** Character device. */
export const BPF_DEVCG_DEV_CHAR = 2;
/** Access bits (high 16 bits of access_type). */
export const BPF_DEVCG_ACC_MKNOD = 1;
/** Read. */
export const BPF_DEVCG_ACC_READ = 2;
/** Write. */
export const BPF_DEVCG_ACC_WRITE = 4;

/** eBPF opcodes this compiler emits (and tests/unit's interpreter runs). */
export const OP = {
  /** r_dst = *(u32 *)(r_src + off) */
  LDXW: 0x61,
  /** w_dst = w_src (32-bit, zero-extends) */
  MOV32_X: 0xbc,
  /** w_dst >>= imm */
  RSH32_K: 0x74,
  /** w_dst &= imm */
  AND32_K: 0x54,
  /** if w_dst == imm goto pc+off (JMP32) */
  JEQ32_K: 0x16,
  /** if w_dst != imm goto pc+off (JMP32) */
  JNE32_K: 0x56,
  /** if w_dst & imm goto pc+off (JMP32) */
  JSET32_K: 0x46,
  /** goto pc+off */
  JA: 0x05,
  /** r_dst = imm (64-bit) */
  MOV64_K: 0xb7,
  /** return r0 */
  EXIT: 0x95,
} as const;

/** A rule reduced to what the program tests. */
interface Norm {
  allow: boolean;
  /** BPF_DEVCG_DEV_*, or 0 for any. */
  type: number;
  /** undefined: any. */
  major?: number;
  minor?: number;
  /** BPF_DEVCG_ACC_* bits. */
  access: number;
}

/** The access bits of an OCI access string ("" or absent: all three). */
export function accessBits(access: string | undefined): number {
  if (!access) return 7;
  let b = 0;
  for (const ch of access) {
    if (ch === "m") b |= BPF_DEVCG_ACC_MKNOD;
    else if (ch === "r") b |= BPF_DEVCG_ACC_READ;
    else if (ch === "w") b |= BPF_DEVCG_ACC_WRITE;
    else throw new Error(`device access ${JSON.stringify(access)}: only r, w and m are allowed`);
  }
  return b;
}

/** One OCI rule in the form the program tests; null when it can match no device. */
function normalize(r: LinuxDeviceCgroup): Norm | null {
  const t = r.type ?? "a";
  if (t === "a") return { allow: r.allow, type: 0, access: 7 };
  if (t !== "b" && t !== "c") throw new Error(`device type ${JSON.stringify(t)}: want a, b or c`);
  const num = (v: number | undefined) => (v === undefined || v < 0 ? undefined : v);
  const major = num(r.major);
  const minor = num(r.minor);
  // Device numbers are u32 in the kernel: a bigger one never matches.
  if ((major ?? 0) > 0xffffffff || (minor ?? 0) > 0xffffffff) return null;
  return {
    allow: r.allow,
    type: t === "b" ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR,
    major,
    minor,
    access: accessBits(r.access),
  };
}

/** Encodes one instruction into out at index i. */
function put(
  out: DataView,
  i: number,
  op: number,
  dst: number,
  src: number,
  off: number,
  imm: number,
): void {
  out.setUint8(i * 8, op);
  out.setUint8(i * 8 + 1, (src << 4) | dst);
  out.setInt16(i * 8 + 2, off, true);
  out.setInt32(i * 8 + 4, imm | 0, true);
}

type Insn = [op: number, dst: number, src: number, off: number, imm: number];

/**
 * Compiles rules (config order: the last matching rule wins, default deny) into the
 * instructions of a BPF_PROG_TYPE_CGROUP_DEVICE program: 8 bytes each, little-endian.
 */
export function compileDeviceFilter(rules: LinuxDeviceCgroup[]): Uint8Array<ArrayBuffer> {
  // Registers: r2 device type, r3 undecided access bits, r4 major, r5 minor.
  const prologue: Insn[] = [
    [OP.LDXW, 2, 1, 0, 0],
    [OP.LDXW, 4, 1, 4, 0],
    [OP.LDXW, 5, 1, 8, 0],
    [OP.MOV32_X, 3, 2, 0, 0],
    [OP.RSH32_K, 3, 0, 0, 16],
    [OP.AND32_K, 2, 0, 0, 0xffff],
  ];
  const blocks: Insn[][] = [];
  for (let i = rules.length - 1; i >= 0; i--) {
    const n = normalize(rules[i]);
    if (!n) continue;
    // Guards jump to the end of this block; their offsets are filled in once its size is known.
    const guards: Insn[] = [];
    if (n.type) guards.push([OP.JNE32_K, 2, 0, 0, n.type]);
    if (n.major !== undefined) guards.push([OP.JNE32_K, 4, 0, 0, n.major]);
    if (n.minor !== undefined) guards.push([OP.JNE32_K, 5, 0, 0, n.minor]);
    const body: Insn[] = n.allow
      ? [
        [OP.AND32_K, 3, 0, 0, ~n.access],
        [OP.JNE32_K, 3, 0, 2, 0],
        [OP.MOV64_K, 0, 0, 0, 1],
        [OP.EXIT, 0, 0, 0, 0],
      ]
      : [
        [OP.JSET32_K, 3, 0, 1, n.access],
        [OP.JA, 0, 0, 2, 0],
        [OP.MOV64_K, 0, 0, 0, 0],
        [OP.EXIT, 0, 0, 0, 0],
      ];
    const block = [...guards, ...body];
    guards.forEach((g, k) => g[3] = block.length - k - 1);
    blocks.push(block);
  }
  const epilogue: Insn[] = [
    [OP.JNE32_K, 3, 0, 2, 0],
    [OP.MOV64_K, 0, 0, 0, 1],
    [OP.EXIT, 0, 0, 0, 0],
    [OP.MOV64_K, 0, 0, 0, 0],
    [OP.EXIT, 0, 0, 0, 0],
  ];
  const all = [...prologue, ...blocks.flat(), ...epilogue];
  if (all.length > 1_000_000) throw new Error(`device filter of ${all.length} instructions`);
  for (const [op, , , off] of all) {
    if (op !== OP.EXIT && op !== OP.MOV64_K && (off < -32768 || off > 32767)) {
      throw new Error("device filter jump out of range");
    }
  }
  const out = new Uint8Array(all.length * 8);
  const dv = new DataView(out.buffer);
  all.forEach(([op, dst, src, off, imm], i) => put(dv, i, op, dst, src, off, imm));
  return out;
}
