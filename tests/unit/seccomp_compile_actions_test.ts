/**
 * The seccomp compiler's actions, run through a BPF interpreter: the interpreter itself
 * refuses what the kernel would, default and rule actions give the kernel's return values,
 * errnoRet goes only with ERRNO and TRACE, and among rules for one syscall the first match
 * wins.
 */
import assert from "node:assert/strict";
import type { LinuxSeccomp } from "../../lib/seccomp/compile.ts";
import { checkProgram, evaluate, run } from "./seccomp_bpf_interp.ts";
import {
  call,
  compile,
  EACCES,
  ENETDOWN,
  EPERM,
  LISTENER,
  NR,
  RET,
  throwsSpec,
} from "./seccomp_compile_helpers.ts";

Deno.test("interpreter refuses programs the kernel would refuse", () => {
  const prog = (...insns: [number, number, number, number][]) => {
    const b = new Uint8Array(insns.length * 8);
    const v = new DataView(b.buffer);
    insns.forEach(([code, jt, jf, k], i) => {
      v.setUint16(i * 8, code, true);
      v.setUint8(i * 8 + 2, jt);
      v.setUint8(i * 8 + 3, jf);
      v.setUint32(i * 8 + 4, k, true);
    });
    return b;
  };
  const ret = [0x06, 0, 0, RET.ALLOW] as [number, number, number, number];
  assert.equal(evaluate(prog(ret), { nr: 0, arch: 0, args: [] }), RET.ALLOW);
  assert.throws(() => checkProgram(new Uint8Array(0)), /size/);
  assert.throws(() => checkProgram(prog([0x20, 0, 0, 0])), /not RET/);
  assert.throws(() => checkProgram(prog([0x20, 0, 0, 2], ret)), /load offset/);
  assert.throws(() => checkProgram(prog([0x20, 0, 0, 64], ret)), /load offset/);
  assert.throws(() => checkProgram(prog([0x15, 1, 0, 0], ret)), /out of range/);
  assert.throws(() => checkProgram(prog([0x05, 0, 0, 1], ret)), /JA out of range/);
  assert.throws(() => checkProgram(prog([0x07, 0, 0, 0], ret)), /opcode/); // TAX
  assert.throws(() => checkProgram(prog(...Array(4097).fill(ret))), /over 4096/);
  // args[1] high word on little-endian is at 16 + 8 + 4.
  const hi = prog([0x20, 0, 0, 28], [0x15, 0, 1, 7], ret, [0x06, 0, 0, 0]);
  assert.equal(evaluate(hi, { nr: 0, arch: 0, args: [0n, 7n << 32n] }), RET.ALLOW);
  assert.equal(evaluate(hi, { nr: 0, arch: 0, args: [0n, 7n] }), 0);
  assert.equal(run(checkProgram(hi), { nr: 0, arch: 0, args: [] }).steps, 3);
});

Deno.test("default actions", () => {
  const cases: [LinuxSeccomp, number][] = [
    [{ defaultAction: "SCMP_ACT_KILL" }, RET.KILL_THREAD],
    [{ defaultAction: "SCMP_ACT_KILL_THREAD" }, RET.KILL_THREAD],
    [{ defaultAction: "SCMP_ACT_KILL_PROCESS" }, RET.KILL_PROCESS],
    [{ defaultAction: "SCMP_ACT_TRAP" }, RET.TRAP],
    [{ defaultAction: "SCMP_ACT_ERRNO" }, RET.ERRNO(EPERM)],
    [{ defaultAction: "SCMP_ACT_ERRNO", defaultErrnoRet: ENETDOWN }, RET.ERRNO(ENETDOWN)],
    [{ defaultAction: "SCMP_ACT_TRACE" }, RET.TRACE(EPERM)],
    [{ defaultAction: "SCMP_ACT_TRACE", defaultErrnoRet: 42 }, RET.TRACE(42)],
    [{ defaultAction: "SCMP_ACT_ALLOW" }, RET.ALLOW],
    [{ defaultAction: "SCMP_ACT_LOG" }, RET.LOG],
    [{ defaultAction: "SCMP_ACT_NOTIFY", listenerPath: LISTENER }, RET.USER_NOTIF],
  ];
  for (const [profile, want] of cases) {
    const c = compile(profile);
    assert.equal(call(c, NR.read), want, JSON.stringify(profile));
    assert.equal(call(c, NR.mount), want, JSON.stringify(profile));
    assert.equal(c.usesNotify, profile.defaultAction === "SCMP_ACT_NOTIFY");
  }
});

Deno.test("rule actions and errnoRet", () => {
  const cases: [string, number | undefined, number][] = [
    ["SCMP_ACT_KILL", undefined, RET.KILL_THREAD],
    ["SCMP_ACT_KILL_THREAD", undefined, RET.KILL_THREAD],
    ["SCMP_ACT_KILL_PROCESS", undefined, RET.KILL_PROCESS],
    ["SCMP_ACT_TRAP", undefined, RET.TRAP],
    ["SCMP_ACT_ERRNO", undefined, RET.ERRNO(EPERM)],
    ["SCMP_ACT_ERRNO", ENETDOWN, RET.ERRNO(ENETDOWN)],
    ["SCMP_ACT_ERRNO", 0, RET.ERRNO(0)],
    ["SCMP_ACT_TRACE", undefined, RET.TRACE(EPERM)],
    ["SCMP_ACT_TRACE", 1234, RET.TRACE(1234)],
    ["SCMP_ACT_ALLOW", undefined, RET.ALLOW],
    ["SCMP_ACT_LOG", undefined, RET.LOG],
    ["SCMP_ACT_NOTIFY", undefined, RET.USER_NOTIF],
  ];
  for (const [action, errnoRet, want] of cases) {
    const c = compile({
      defaultAction: "SCMP_ACT_ERRNO",
      defaultErrnoRet: EACCES,
      listenerPath: LISTENER,
      syscalls: [{ names: ["write"], action, errnoRet }],
    });
    assert.equal(call(c, NR.write), want, `${action} ${errnoRet}`);
    assert.equal(call(c, NR.read), RET.ERRNO(EACCES));
    assert.equal(c.usesNotify, action === "SCMP_ACT_NOTIFY");
  }
});

Deno.test("errnoRet only on ERRNO and TRACE", () => {
  throwsSpec(
    () => compile({ defaultAction: "SCMP_ACT_ALLOW", defaultErrnoRet: 1 }),
    "linux.seccomp.defaultErrnoRet",
  );
  throwsSpec(
    () =>
      compile({
        defaultAction: "SCMP_ACT_ERRNO",
        syscalls: [{ names: ["read"], action: "SCMP_ACT_KILL", errnoRet: 1 }],
      }),
    "linux.seccomp.syscalls[0].errnoRet",
  );
  throwsSpec(
    () =>
      compile({
        defaultAction: "SCMP_ACT_ALLOW",
        syscalls: [{ names: ["read"], action: "SCMP_ACT_ERRNO", errnoRet: 70000 }],
      }),
    "linux.seccomp.syscalls[0].errnoRet",
  );
});

Deno.test("rules for one syscall: first match wins, default-action rules are dropped", () => {
  const c = compile({
    defaultAction: "SCMP_ACT_ERRNO",
    syscalls: [
      {
        names: ["socket"],
        action: "SCMP_ACT_ERRNO",
        errnoRet: EACCES,
        args: [{ index: 0, value: 40, op: "SCMP_CMP_EQ" }],
      },
      { names: ["socket"], action: "SCMP_ACT_ALLOW" },
      { names: ["socket"], action: "SCMP_ACT_KILL" },
      // Same action as the default: changes nothing, so write(1) falls to the next rule.
      {
        names: ["write"],
        action: "SCMP_ACT_ERRNO",
        args: [{ index: 0, value: 1, op: "SCMP_CMP_EQ" }],
      },
      { names: ["write"], action: "SCMP_ACT_LOG" },
    ],
  });
  assert.equal(call(c, NR.socket, [40]), RET.ERRNO(EACCES));
  assert.equal(call(c, NR.socket, [2]), RET.ALLOW);
  assert.equal(call(c, NR.write, [1]), RET.LOG);
  assert.equal(call(c, NR.write, [2]), RET.LOG);
  assert.equal(call(c, NR.read), RET.ERRNO(EPERM));
});
