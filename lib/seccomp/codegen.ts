/**
 * Emits the BPF program for a set of architecture plans:
 *
 *   load arch → one JEQ per audit value → bad arch: KILL_PROCESS
 *   per arch: load nr → binary search over interval starts (JGE) → leaf: RET, or argument
 *   checks for each alternative in order, then the fallback RET.
 *
 * x86_64 and x32 share AUDIT_ARCH_X86_64 and are split on the x32 bit of nr first.
 * @module
 */

import { type Assembler, BPF, Label } from "./bpf.ts";
import { DATA_OFFSET, SECCOMP_RET } from "./constants.ts";
import type { Alternative, ArchPlan, Interval } from "./intervals.ts";
import { X32_SYSCALL_BIT } from "./tables.generated.ts";
import type { Condition } from "./validate.ts";

const lo32 = (v: bigint) => Number(v & 0xffffffffn);
const hi32 = (v: bigint) => Number((v >> 32n) & 0xffffffffn);

/** Byte offsets of the low and high words of `args[index]`. */
function argWords(index: number, littleEndian: boolean): { lo: number; hi: number } {
  const at = DATA_OFFSET.arg(index);
  return littleEndian ? { lo: at, hi: at + 4 } : { lo: at + 4, hi: at };
}

/**
 * Emits a 64-bit unsigned comparison that falls through when it holds and jumps to `fail`
 * otherwise. The high words decide unless they are equal; only then do the low words.
 */
function emitCondition(asm: Assembler, c: Condition, littleEndian: boolean, fail: Label): void {
  const w = argWords(c.index, littleEndian);
  const pass = new Label();
  const vh = hi32(c.value), vl = lo32(c.value);
  switch (c.op) {
    case "EQ":
      asm.load(w.hi);
      asm.jump(BPF.JMP_JEQ_K, vh, "next", fail);
      asm.load(w.lo);
      asm.jump(BPF.JMP_JEQ_K, vl, "next", fail);
      return;
    case "NE":
      asm.load(w.hi);
      asm.jump(BPF.JMP_JEQ_K, vh, "next", pass);
      asm.load(w.lo);
      asm.jump(BPF.JMP_JEQ_K, vl, fail, "next");
      break;
    case "GT":
    case "GE":
      asm.load(w.hi);
      asm.jump(BPF.JMP_JGT_K, vh, pass, "next");
      asm.jump(BPF.JMP_JEQ_K, vh, "next", fail);
      asm.load(w.lo);
      asm.jump(c.op === "GT" ? BPF.JMP_JGT_K : BPF.JMP_JGE_K, vl, "next", fail);
      break;
    case "LT":
    case "LE":
      // a < v is !(a >= v), a <= v is !(a > v).
      asm.load(w.hi);
      asm.jump(BPF.JMP_JGT_K, vh, fail, "next");
      asm.jump(BPF.JMP_JEQ_K, vh, "next", pass);
      asm.load(w.lo);
      asm.jump(c.op === "LT" ? BPF.JMP_JGE_K : BPF.JMP_JGT_K, vl, fail, "next");
      break;
    case "MASKED_EQ": {
      // (arg & value) == valueTwo, word by word; a zero mask word needs no code, or can
      // never match when the datum word is not zero.
      const mask = c.value, datum = c.valueTwo;
      for (
        const [off, m, d] of [[w.hi, hi32(mask), hi32(datum)], [w.lo, lo32(mask), lo32(datum)]]
      ) {
        if (m === 0) {
          if (d !== 0) {
            asm.goto(fail);
            return;
          }
          continue;
        }
        asm.load(off);
        if (m !== 0xffffffff) asm.and(m);
        asm.jump(BPF.JMP_JEQ_K, d, "next", fail);
      }
      return;
    }
  }
  asm.place(pass);
}

function emitChain(asm: Assembler, alts: Alternative[], fallback: number, le: boolean): void {
  for (const alt of alts) {
    if (alt.conditions.length === 0) {
      asm.ret(alt.action);
      return;
    }
    const next = new Label();
    for (const c of alt.conditions) emitCondition(asm, c, le, next);
    asm.ret(alt.action);
    asm.place(next);
  }
  asm.ret(fallback);
}

/** Binary search over interval starts, assuming A holds nr and nr is inside the intervals. */
function emitSearch(asm: Assembler, plan: ArchPlan, from: number, to: number): void {
  const intervals: Interval[] = plan.intervals;
  if (from === to) {
    const o = intervals[from].outcome;
    if (o.kind === "ret") asm.ret(o.value);
    else emitChain(asm, o.alternatives, o.fallback, plan.littleEndian);
    return;
  }
  const split = from + Math.ceil((to - from + 1) / 2);
  const upper = new Label();
  asm.jump(BPF.JMP_JGE_K, intervals[split].start, upper, "next");
  emitSearch(asm, plan, from, split - 1);
  asm.place(upper);
  emitSearch(asm, plan, split, to);
}

function emitArch(asm: Assembler, plan: ArchPlan): void {
  emitSearch(asm, plan, 0, plan.intervals.length - 1);
}

/**
 * Emits the whole filter. `plans` are in dispatch order (the host's own architecture first,
 * since it makes nearly every syscall).
 */
export function emitProgram(asm: Assembler, plans: ArchPlan[]): void {
  const kill = SECCOMP_RET.KILL_PROCESS;
  const audits = [...new Set(plans.map((p) => p.audit))];
  const entries = audits.map(() => new Label());
  asm.load(DATA_OFFSET.arch);
  audits.forEach((audit, i) => asm.jump(BPF.JMP_JEQ_K, audit, entries[i], "next"));
  asm.ret(kill);
  audits.forEach((audit, i) => {
    asm.place(entries[i]);
    asm.load(DATA_OFFSET.nr);
    const x64 = plans.find((p) => p.audit === audit && p.arch === "x86_64");
    const x32 = plans.find((p) => p.audit === audit && p.arch === "x32");
    if (!x64 && !x32) {
      emitArch(asm, plans.find((p) => p.audit === audit)!);
      return;
    }
    // Without the x32 bit the number is an x86_64 one; each side that is not handled is a
    // bad architecture.
    const l64 = new Label(), l32 = new Label(), lkill = new Label();
    asm.jump(BPF.JMP_JSET_K, X32_SYSCALL_BIT, x32 ? l32 : lkill, x64 ? l64 : lkill);
    if (!x64 || !x32) {
      asm.place(lkill);
      asm.ret(kill);
    }
    if (x64) {
      asm.place(l64);
      emitArch(asm, x64);
    }
    if (x32) {
      asm.place(l32);
      emitArch(asm, x32);
    }
  });
}
