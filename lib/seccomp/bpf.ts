/**
 * Classic BPF instruction encoding and a small assembler with symbolic jump targets.
 *
 * Conditional jumps in classic BPF reach at most 255 instructions ahead; the assembler routes
 * longer ones through an inserted `BPF_JMP|BPF_JA` (32-bit offset), so code generators can
 * ignore distances altogether.
 * @module
 */

/** Opcodes of the instructions the seccomp compiler emits. */
export const BPF = {
  /** `BPF_LD | BPF_W | BPF_ABS`: A = 32-bit word at offset k of seccomp_data. */
  LD_W_ABS: 0x20,
  /** `BPF_ALU | BPF_AND | BPF_K`: A &= k. */
  ALU_AND_K: 0x54,
  /** `BPF_JMP | BPF_JA`: pc += k. */
  JMP_JA: 0x05,
  /** `BPF_JMP | BPF_JEQ | BPF_K`. */
  JMP_JEQ_K: 0x15,
  /** `BPF_JMP | BPF_JGT | BPF_K` (unsigned). */
  JMP_JGT_K: 0x25,
  /** `BPF_JMP | BPF_JGE | BPF_K` (unsigned). */
  JMP_JGE_K: 0x35,
  /** `BPF_JMP | BPF_JSET | BPF_K`: jump if A & k. */
  JMP_JSET_K: 0x45,
  /** `BPF_RET | BPF_K`. */
  RET_K: 0x06,
} as const;

/** Size in bytes of one `struct sock_filter`. */
export const INSN_SIZE = 8;

/** One decoded `struct sock_filter`. */
export interface Insn {
  /** Opcode. */
  code: number;
  /** Offset added to pc+1 when a conditional jump is taken. */
  jt: number;
  /** Offset added to pc+1 when a conditional jump is not taken. */
  jf: number;
  /** Constant operand, unsigned 32-bit. */
  k: number;
}

/**
 * Encodes instructions as `struct sock_filter[]`, which the kernel reads in the host's byte
 * order: little-endian unless `littleEndian` is false (s390x).
 */
export function encode(insns: readonly Insn[], littleEndian = true): Uint8Array {
  const out = new Uint8Array(insns.length * INSN_SIZE);
  const view = new DataView(out.buffer);
  insns.forEach((insn, i) => {
    // DataView would silently wrap an oversized offset into a wrong jump.
    if (insn.jt > 255 || insn.jf > 255 || insn.jt < 0 || insn.jf < 0) {
      throw new RangeError(`instruction ${i}: jump offset out of range`);
    }
    const at = i * INSN_SIZE;
    view.setUint16(at, insn.code, littleEndian);
    view.setUint8(at + 2, insn.jt);
    view.setUint8(at + 3, insn.jf);
    view.setUint32(at + 4, insn.k >>> 0, littleEndian);
  });
  return out;
}

/** Decodes `struct sock_filter[]` bytes; the inverse of {@link encode}. */
export function decode(program: Uint8Array, littleEndian = true): Insn[] {
  if (program.length % INSN_SIZE !== 0) {
    throw new Error(`program length ${program.length} is not a multiple of ${INSN_SIZE}`);
  }
  const view = new DataView(program.buffer, program.byteOffset, program.byteLength);
  const out: Insn[] = [];
  for (let at = 0; at < program.length; at += INSN_SIZE) {
    out.push({
      code: view.getUint16(at, littleEndian),
      jt: view.getUint8(at + 2),
      jf: view.getUint8(at + 3),
      k: view.getUint32(at + 4, littleEndian),
    });
  }
  return out;
}

/** A jump target: a label to be placed later, or "next" for fall-through. */
export type Target = Label | "next";

/** A position in the program, placed once with {@link Assembler.place}. */
export class Label {
  /** Index of the instruction the label points at, once placed. */
  at: number = -1;
}

interface Pending {
  code: number;
  k: number;
  jt?: Target;
  jf?: Target;
  ja?: Label;
}

/** Largest offset that fits in `jt`/`jf`. */
const MAX_SHORT = 255;

/** Builds a program from instructions with symbolic jump targets. */
export class Assembler {
  #items: Pending[] = [];
  #open: Label[] = [];

  /** Number of instructions emitted so far, before long-jump expansion. */
  get length(): number {
    return this.#items.length;
  }

  /** Makes the label point at the next instruction emitted. */
  place(label: Label): void {
    if (label.at !== -1 || this.#open.includes(label)) throw new Error("label placed twice");
    this.#open.push(label);
  }

  /** A = 32-bit word of seccomp_data at byte offset `offset`. */
  load(offset: number): void {
    this.#push({ code: BPF.LD_W_ABS, k: offset });
  }

  /** A &= k. */
  and(k: number): void {
    this.#push({ code: BPF.ALU_AND_K, k });
  }

  /** Conditional jump; `code` is one of the `BPF.JMP_J*_K` opcodes. */
  jump(code: number, k: number, jt: Target, jf: Target): void {
    this.#push({ code, k, jt, jf });
  }

  /** Unconditional jump. */
  goto(target: Label): void {
    this.#push({ code: BPF.JMP_JA, k: 0, ja: target });
  }

  /** Returns the seccomp action value `k`. */
  ret(k: number): void {
    this.#push({ code: BPF.RET_K, k });
  }

  #push(item: Pending): void {
    const index = this.#items.length;
    for (const label of this.#open) label.at = index;
    this.#open = [];
    this.#items.push(item);
  }

  /** Resolves labels, inserting long jumps where a short one cannot reach. */
  assemble(): Insn[] {
    if (this.#open.length) throw new Error("label placed after the last instruction");
    const items = this.#items;
    const targetOf = (t: Target, i: number): number => {
      const at = t === "next" ? i + 1 : t.at;
      if (at < 0) throw new Error("jump to a label never placed");
      if (at <= i || at >= items.length) throw new Error(`jump from ${i} to ${at} is not forward`);
      return at;
    };
    // Which branches of each conditional jump need a trampoline. Needs only grow, so the
    // fixpoint below terminates.
    const longT = new Array<boolean>(items.length).fill(false);
    const longF = new Array<boolean>(items.length).fill(false);
    let pos: number[] = [];
    for (let changed = true; changed;) {
      changed = false;
      pos = [];
      let p = 0;
      for (let i = 0; i < items.length; i++) {
        pos.push(p);
        p += 1 + (longT[i] ? 1 : 0) + (longF[i] ? 1 : 0);
      }
      pos.push(p);
      for (let i = 0; i < items.length; i++) {
        const it = items[i];
        if (it.jt === undefined || it.jf === undefined) continue;
        if (!longT[i] && pos[targetOf(it.jt, i)] - (pos[i] + 1) > MAX_SHORT) {
          longT[i] = changed = true;
        }
        if (!longF[i] && pos[targetOf(it.jf, i)] - (pos[i] + 1) > MAX_SHORT) {
          longF[i] = changed = true;
        }
      }
    }
    const out: Insn[] = [];
    for (let i = 0; i < items.length; i++) {
      const it = items[i];
      const here = pos[i];
      if (it.ja) {
        out.push({ code: it.code, jt: 0, jf: 0, k: pos[targetOf(it.ja, i)] - (here + 1) });
      } else if (it.jt !== undefined && it.jf !== undefined) {
        const t = pos[targetOf(it.jt, i)];
        const f = pos[targetOf(it.jf, i)];
        const tramps: number[] = [];
        const branch = (long: boolean, target: number): number => {
          if (!long) return target - (here + 1);
          tramps.push(target);
          return tramps.length - 1;
        };
        const jt = branch(longT[i], t);
        const jf = branch(longF[i], f);
        out.push({ code: it.code, jt, jf, k: it.k });
        tramps.forEach((target, n) => {
          out.push({ code: BPF.JMP_JA, jt: 0, jf: 0, k: target - (here + 1 + n + 1) });
        });
      } else {
        out.push({ code: it.code, jt: 0, jf: 0, k: it.k });
      }
    }
    return out;
  }
}
