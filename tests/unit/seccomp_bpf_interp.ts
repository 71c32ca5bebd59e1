/**
 * A small classic-BPF interpreter for seccomp filters, for tests. It accepts only the
 * instructions the drun compiler is meant to emit and checks a program the way the kernel does
 * before it runs it, so a test failing here means the kernel would refuse or misrun the filter.
 * Written from the kernel's documented semantics, independently of lib/seccomp.
 * @module
 */

/** `struct seccomp_data`, as the kernel fills it for one syscall. */
export interface SeccompData {
  /** Syscall number (unsigned 32-bit; x32 numbers carry 0x40000000). */
  nr: number;
  /** AUDIT_ARCH_* value. */
  arch: number;
  /** Instruction pointer; 0 when absent. */
  instructionPointer?: bigint;
  /** The six arguments as unsigned 64-bit values; missing ones are 0. */
  args: bigint[];
}

/** One decoded instruction. */
export interface Insn {
  /** Opcode. */
  code: number;
  /** Jump-if-true offset. */
  jt: number;
  /** Jump-if-false offset. */
  jf: number;
  /** Constant. */
  k: number;
}

const LD_W_ABS = 0x20;
const ALU_AND_K = 0x54;
const JA = 0x05;
const JEQ_K = 0x15;
const JGT_K = 0x25;
const JGE_K = 0x35;
const JSET_K = 0x45;
const RET_K = 0x06;
const CONDITIONAL = new Set([JEQ_K, JGT_K, JGE_K, JSET_K]);
const KNOWN = new Set([LD_W_ABS, ALU_AND_K, JA, JEQ_K, JGT_K, JGE_K, JSET_K, RET_K]);

/** `BPF_MAXINSNS`. */
export const MAX_PROGRAM = 4096;
/** `sizeof(struct seccomp_data)`. */
const DATA_SIZE = 64;

/**
 * Decodes and checks a program: non-empty, at most 4096 instructions, only known opcodes,
 * loads aligned and inside seccomp_data, every jump landing inside the program, last
 * instruction a RET. Throws with the reason otherwise.
 */
export function checkProgram(bytes: Uint8Array, littleEndian = true): Insn[] {
  if (bytes.length === 0 || bytes.length % 8 !== 0) {
    throw new Error(`bad program size ${bytes.length}`);
  }
  const n = bytes.length / 8;
  if (n > MAX_PROGRAM) throw new Error(`program has ${n} instructions, over ${MAX_PROGRAM}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const prog: Insn[] = [];
  for (let pc = 0; pc < n; pc++) {
    const insn = {
      code: view.getUint16(pc * 8, littleEndian),
      jt: view.getUint8(pc * 8 + 2),
      jf: view.getUint8(pc * 8 + 3),
      k: view.getUint32(pc * 8 + 4, littleEndian),
    };
    if (!KNOWN.has(insn.code)) throw new Error(`pc ${pc}: opcode 0x${insn.code.toString(16)}`);
    if (insn.code === LD_W_ABS && (insn.k % 4 !== 0 || insn.k >= DATA_SIZE)) {
      throw new Error(`pc ${pc}: load offset ${insn.k}`);
    }
    if (insn.code === JA && insn.k >= n - pc - 1) throw new Error(`pc ${pc}: JA out of range`);
    if (CONDITIONAL.has(insn.code) && (pc + 1 + insn.jt >= n || pc + 1 + insn.jf >= n)) {
      throw new Error(`pc ${pc}: conditional jump out of range`);
    }
    prog.push(insn);
  }
  if (prog[n - 1].code !== RET_K) throw new Error("last instruction is not RET");
  return prog;
}

/** Lays out seccomp_data in memory as the kernel would on an architecture of that byte order. */
function dataBytes(data: SeccompData, littleEndian: boolean): DataView {
  const view = new DataView(new ArrayBuffer(DATA_SIZE));
  view.setUint32(0, data.nr >>> 0, littleEndian);
  view.setUint32(4, data.arch >>> 0, littleEndian);
  view.setBigUint64(8, data.instructionPointer ?? 0n, littleEndian);
  for (let i = 0; i < 6; i++) {
    view.setBigUint64(16 + 8 * i, BigInt.asUintN(64, data.args[i] ?? 0n), littleEndian);
  }
  return view;
}

/** Result of a run: the returned action and how many instructions ran. */
export interface RunResult {
  /** The filter's unsigned 32-bit return value. */
  ret: number;
  /** Instructions executed. */
  steps: number;
}

/** Runs a checked program on one syscall. */
export function run(prog: Insn[], data: SeccompData, littleEndian = true): RunResult {
  const mem = dataBytes(data, littleEndian);
  let a = 0;
  let steps = 0;
  for (let pc = 0; pc < prog.length; pc++) {
    steps++;
    const { code, jt, jf, k } = prog[pc];
    switch (code) {
      case LD_W_ABS:
        a = mem.getUint32(k, littleEndian);
        break;
      case ALU_AND_K:
        a = (a & k) >>> 0;
        break;
      case JA:
        pc += k;
        break;
      case JEQ_K:
        pc += a === k ? jt : jf;
        break;
      case JGT_K:
        pc += a > k ? jt : jf;
        break;
      case JGE_K:
        pc += a >= k ? jt : jf;
        break;
      case JSET_K:
        pc += (a & k) !== 0 ? jt : jf;
        break;
      case RET_K:
        return { ret: k >>> 0, steps };
      default:
        throw new Error(`pc ${pc}: unsupported opcode ${code}`);
    }
  }
  throw new Error("ran off the end of the program");
}

/** Checks then runs `bytes` on one syscall, returning the action value. */
export function evaluate(bytes: Uint8Array, data: SeccompData, littleEndian = true): number {
  return run(checkProgram(bytes, littleEndian), data, littleEndian).ret;
}
