/**
 * A tiny eBPF interpreter for the device filters of lib/cgroup/devices_bpf.ts: only the
 * opcodes that compiler emits, with the checks the kernel's verifier would make on them
 * (known opcode, jumps inside the program, registers written before read, no fall-off).
 */

const M64 = (1n << 64n) - 1n;
const M32 = 0xffffffffn;

/** Runs `prog` on a bpf_cgroup_dev_ctx; returns r0. */
export function runDeviceFilter(
  prog: Uint8Array,
  ctx: { type: number; access: number; major: number; minor: number },
): number {
  if (prog.length % 8 !== 0 || prog.length === 0) throw new Error("bad program length");
  const dv = new DataView(prog.buffer, prog.byteOffset, prog.byteLength);
  const n = prog.length / 8;
  const mem = new DataView(new ArrayBuffer(12));
  mem.setUint32(0, ((ctx.access & 0xffff) << 16 | (ctx.type & 0xffff)) >>> 0, true);
  mem.setUint32(4, ctx.major >>> 0, true);
  mem.setUint32(8, ctx.minor >>> 0, true);
  // r1 is the context "pointer"; other registers start unset.
  const regs: (bigint | undefined)[] = new Array(11).fill(undefined);
  regs[1] = -1n; // marker: the context
  regs[10] = -2n; // frame pointer (never used)
  const get = (r: number) => {
    const v = regs[r];
    if (v === undefined) throw new Error(`r${r} read before written`);
    return v;
  };
  let pc = 0;
  for (let steps = 0; steps < 1_000_000; steps++) {
    if (pc < 0 || pc >= n) throw new Error(`pc ${pc} outside the program`);
    const op = dv.getUint8(pc * 8);
    const dst = dv.getUint8(pc * 8 + 1) & 0xf;
    const src = dv.getUint8(pc * 8 + 1) >> 4;
    const off = dv.getInt16(pc * 8 + 2, true);
    const imm = dv.getInt32(pc * 8 + 4, true);
    const immU32 = BigInt(imm >>> 0);
    pc++;
    const jump = (cond: boolean) => {
      if (cond) pc += off;
    };
    switch (op) {
      case 0x61: { // ldxw dst, [src+off]
        if (src !== 1 || regs[1] !== -1n) throw new Error("load from a register that is not ctx");
        if (off < 0 || off > 8 || off % 4) throw new Error(`ctx offset ${off}`);
        regs[dst] = BigInt(mem.getUint32(off, true));
        break;
      }
      case 0xbc: // mov32 dst, src
        regs[dst] = get(src) & M32;
        break;
      case 0x74: // rsh32 dst, imm
        if (imm < 0 || imm > 31) throw new Error("shift out of range");
        regs[dst] = (get(dst) & M32) >> BigInt(imm);
        break;
      case 0x54: // and32 dst, imm
        regs[dst] = get(dst) & M32 & immU32;
        break;
      case 0x16: // jeq32
        jump((get(dst) & M32) === immU32);
        break;
      case 0x56: // jne32
        jump((get(dst) & M32) !== immU32);
        break;
      case 0x46: // jset32
        jump(((get(dst) & M32) & immU32) !== 0n);
        break;
      case 0x05: // ja
        pc += off;
        break;
      case 0xb7: // mov64 dst, imm (sign-extended)
        regs[dst] = BigInt.asUintN(64, BigInt(imm)) & M64;
        break;
      case 0x95: // exit
        return Number(get(0) & M32);
      default:
        throw new Error(`opcode 0x${op.toString(16)} at ${pc - 1}`);
    }
  }
  throw new Error("did not finish");
}
