import assert from "node:assert/strict";
import { SpecError } from "../../lib/errors.ts";
import {
  clearSeccompCache,
  type CompiledSeccomp,
  compileSeccomp,
  compileSeccompCached,
  type HostArch,
  type LinuxSeccomp,
  seccompFeatures,
} from "../../lib/seccomp/compile.ts";
import { checkProgram, evaluate, run } from "./seccomp_bpf_interp.ts";
import { validateSeccomp } from "../../lib/seccomp/validate.ts";

// Kernel values written out here rather than imported, so the tests do not trust the code
// they test.
const RET = {
  KILL_PROCESS: 0x80000000,
  KILL_THREAD: 0,
  TRAP: 0x00030000,
  ERRNO: (e: number) => 0x00050000 + e,
  USER_NOTIF: 0x7fc00000,
  TRACE: (d: number) => 0x7ff00000 + d,
  LOG: 0x7ffc0000,
  ALLOW: 0x7fff0000,
};
const EPERM = 1, EACCES = 13, ENOSYS = 38, ENETDOWN = 100;
const AUDIT = {
  X86_64: 0xc000003e,
  I386: 0x40000003,
  AARCH64: 0xc00000b7,
  ARM: 0x40000028,
  S390X: 0x80000016,
};
const X32 = 0x40000000;
// x86_64 numbers.
const NR = {
  read: 0,
  write: 1,
  socket: 41,
  clone: 56,
  personality: 135,
  mount: 165,
  clone3: 435,
  rseqSliceYield: 471,
};
const LISTENER = "/run/drun-agent.sock";
const DOCKER = JSON.parse(
  Deno.readTextFileSync(
    new URL("../../vendor/docker-default-amd64.json", import.meta.url),
  ),
) as LinuxSeccomp;

function call(
  c: CompiledSeccomp,
  nr: number,
  args: (bigint | number)[] = [],
  arch = AUDIT.X86_64,
): number {
  return evaluate(c.program, { nr, arch, args: args.map((a) => BigInt(a)) });
}

function compile(profile: LinuxSeccomp, hostArch: HostArch = "x86_64"): CompiledSeccomp {
  const c = compileSeccomp(profile, { hostArch });
  assert.equal(c.program.length, c.instructions * 8);
  checkProgram(c.program);
  return c;
}

function throwsSpec(fn: () => unknown, path: string, message?: RegExp) {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof SpecError, `expected SpecError, got ${e}`);
    assert.equal(e.path, path);
    if (message) assert.match(e.message, message);
    return true;
  });
}

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

const U64 = (1n << 64n) - 1n;
const OPS: Record<string, (a: bigint, v: bigint, v2: bigint) => boolean> = {
  SCMP_CMP_NE: (a, v) => a !== v,
  SCMP_CMP_LT: (a, v) => a < v,
  SCMP_CMP_LE: (a, v) => a <= v,
  SCMP_CMP_EQ: (a, v) => a === v,
  SCMP_CMP_GE: (a, v) => a >= v,
  SCMP_CMP_GT: (a, v) => a > v,
  SCMP_CMP_MASKED_EQ: (a, v, v2) => (a & v) === v2,
};

Deno.test("every operator compares all 64 bits, unsigned", () => {
  const values = [
    0n,
    1n,
    5n,
    0x7fffffffn,
    0xffffffffn,
    0x100000000n,
    0x100000005n,
    0x500000000n,
    0x5ffffffffn,
    0xffffffff00000000n,
    1n << 63n,
    U64,
  ];
  const near = (v: bigint) => [v - 1n, v, v + 1n].filter((x) => x >= 0n && x <= U64);
  for (const [op, holds] of Object.entries(OPS)) {
    for (const value of values) {
      for (const index of [0, 3, 5]) {
        const valueTwo = op === "SCMP_CMP_MASKED_EQ" ? value & 0xf0000000fn : undefined;
        const c = compile({
          defaultAction: "SCMP_ACT_ALLOW",
          syscalls: [{
            names: ["write"],
            action: "SCMP_ACT_ERRNO",
            args: [{ index, value, valueTwo, op }],
          }],
        });
        for (const a of [...values.flatMap(near), value ^ (1n << 32n), value & 0xffffffffn]) {
          const args = [0n, 0n, 0n, 0n, 0n, 0n];
          args[index] = a;
          // Other arguments must not matter.
          args[(index + 1) % 6] = 0x1234567890n;
          const want = holds(a, value, valueTwo ?? 0n) ? RET.ERRNO(EPERM) : RET.ALLOW;
          assert.equal(call(c, NR.write, args), want, `${op} ${value} arg${index}=${a}`);
        }
      }
    }
  }
});

Deno.test("MASKED_EQ: value is the mask, valueTwo the datum", () => {
  const c = compile({
    defaultAction: "SCMP_ACT_ERRNO",
    syscalls: [
      {
        names: ["write"],
        action: "SCMP_ACT_ALLOW",
        args: [{ index: 1, value: 0xf0, valueTwo: 0x10, op: "SCMP_CMP_MASKED_EQ" }],
      },
      {
        // Swapped operands would match arg 0xff; the right reading never can.
        names: ["read"],
        action: "SCMP_ACT_ALLOW",
        args: [{ index: 0, value: 0x10, valueTwo: 0xff, op: "SCMP_CMP_MASKED_EQ" }],
      },
      {
        names: ["socket"],
        action: "SCMP_ACT_ALLOW",
        args: [{
          index: 2,
          value: 0xffff000000000000n,
          valueTwo: 0x1234000000000000n,
          op: "SCMP_CMP_MASKED_EQ",
        }],
      },
    ],
  });
  assert.equal(call(c, NR.write, [0, 0x1f]), RET.ALLOW);
  assert.equal(call(c, NR.write, [0, 0x10]), RET.ALLOW);
  assert.equal(call(c, NR.write, [0, 0x20]), RET.ERRNO(EPERM));
  assert.equal(call(c, NR.write, [0, 0x1_0000_0010n]), RET.ALLOW);
  assert.equal(call(c, NR.read, [0xff]), RET.ERRNO(EPERM));
  assert.equal(call(c, NR.read, [0x10]), RET.ERRNO(EPERM));
  assert.equal(call(c, NR.socket, [0, 0, 0x1234_5678_9abc_def0n]), RET.ALLOW);
  assert.equal(call(c, NR.socket, [0, 0, 0x1235_0000_0000_0000n]), RET.ERRNO(EPERM));
});

Deno.test("conditions on distinct indexes AND, a repeated index ORs them all", () => {
  const c = compile({
    defaultAction: "SCMP_ACT_ALLOW",
    syscalls: [
      {
        names: ["write"],
        action: "SCMP_ACT_ERRNO",
        args: [
          { index: 0, value: 1, op: "SCMP_CMP_EQ" },
          { index: 2, value: 10, op: "SCMP_CMP_GT" },
        ],
      },
      {
        names: ["read"],
        action: "SCMP_ACT_ERRNO",
        args: [
          { index: 0, value: 1, op: "SCMP_CMP_EQ" },
          { index: 0, value: 2, op: "SCMP_CMP_EQ" },
          { index: 1, value: 5, op: "SCMP_CMP_EQ" },
        ],
      },
      {
        names: ["socket"],
        action: "SCMP_ACT_ERRNO",
        args: [
          { index: 0, value: 1, op: "SCMP_CMP_EQ" },
          { index: 0, value: 1, op: "SCMP_CMP_EQ" },
          { index: 0, value: 2, op: "SCMP_CMP_EQ" },
        ],
      },
    ],
  });
  const denied = RET.ERRNO(EPERM);
  assert.equal(call(c, NR.socket, [1]), denied);
  assert.equal(call(c, NR.socket, [2]), denied);
  assert.equal(call(c, NR.socket, [3]), RET.ALLOW);
  assert.equal(call(c, NR.write, [1, 0, 11]), denied);
  assert.equal(call(c, NR.write, [1, 0, 10]), RET.ALLOW);
  assert.equal(call(c, NR.write, [2, 0, 11]), RET.ALLOW);
  assert.equal(call(c, NR.read, [1]), denied);
  assert.equal(call(c, NR.read, [2]), denied);
  assert.equal(call(c, NR.read, [3, 5]), denied);
  assert.equal(call(c, NR.read, [3, 4]), RET.ALLOW);
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

Deno.test("architectures: x86 and x32 on x86_64, arm on aarch64, anything else killed", () => {
  const rules: LinuxSeccomp["syscalls"] = [
    { names: ["read", "rt_sigaction"], action: "SCMP_ACT_ALLOW" },
    { names: ["chown32"], action: "SCMP_ACT_LOG" },
  ];
  const all = compile({
    defaultAction: "SCMP_ACT_ERRNO",
    architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32", "SCMP_ARCH_AARCH64"],
    syscalls: rules,
  });
  assert.deepEqual(all.warnings, []);
  assert.equal(call(all, NR.read), RET.ALLOW);
  assert.equal(call(all, 13), RET.ALLOW); // rt_sigaction
  assert.equal(call(all, 3, [], AUDIT.I386), RET.ALLOW); // read
  assert.equal(call(all, 174, [], AUDIT.I386), RET.ALLOW); // rt_sigaction
  assert.equal(call(all, 212, [], AUDIT.I386), RET.LOG); // chown32
  assert.equal(call(all, 212), RET.ERRNO(EPERM)); // x86_64 212 is lookup_dcookie
  assert.equal(call(all, 0 | X32), RET.ALLOW); // x32 read
  assert.equal(call(all, 512 | X32), RET.ALLOW); // x32 rt_sigaction
  assert.equal(call(all, 13 | X32), RET.ERRNO(EPERM)); // x86_64-only number on x32
  assert.equal(call(all, 548 | X32), RET.ERRNO(ENOSYS));
  assert.equal(call(all, 0xffffffff), RET.ERRNO(ENOSYS)); // nr -1 is x32 space, unknown
  // An x86_64 host cannot run aarch64 code: left out, so killed like any unknown arch.
  assert.equal(call(all, 63, [], AUDIT.AARCH64), RET.KILL_PROCESS);
  assert.equal(call(all, 0, [], 0x12345678), RET.KILL_PROCESS);

  const only64 = compile({ defaultAction: "SCMP_ACT_ERRNO", syscalls: rules });
  assert.equal(call(only64, NR.read), RET.ALLOW);
  assert.equal(call(only64, 0 | X32), RET.KILL_PROCESS);
  assert.equal(call(only64, 3, [], AUDIT.I386), RET.KILL_PROCESS);
  assert.equal(only64.warnings.length, 1); // chown32 exists on no handled arch

  const arm = compile(
    {
      defaultAction: "SCMP_ACT_ERRNO",
      architectures: ["SCMP_ARCH_X86", "SCMP_ARCH_ARM", "SCMP_ARCH_MIPS"],
      syscalls: [...rules!, { names: ["cacheflush"], action: "SCMP_ACT_TRAP" }],
    },
    "aarch64",
  );
  assert.equal(call(arm, 63, [], AUDIT.AARCH64), RET.ALLOW); // read
  assert.equal(call(arm, 3, [], AUDIT.ARM), RET.ALLOW); // read
  assert.equal(call(arm, 212, [], AUDIT.ARM), RET.LOG); // chown32
  assert.equal(call(arm, 0xf0002, [], AUDIT.ARM), RET.TRAP); // cacheflush
  assert.equal(call(arm, 0xf0001, [], AUDIT.ARM), RET.ERRNO(EPERM)); // breakpoint
  // Between the last regular number and ARM's private ones: unknown.
  assert.equal(call(arm, 500, [], AUDIT.ARM), RET.ERRNO(ENOSYS));
  assert.equal(call(arm, 0xf0000 - 1, [], AUDIT.ARM), RET.ERRNO(ENOSYS));
  assert.equal(call(arm, 0xf0100, [], AUDIT.ARM), RET.ERRNO(ENOSYS));
  assert.equal(call(arm, 3, [], AUDIT.I386), RET.KILL_PROCESS);
  assert.equal(call(arm, 0, [], AUDIT.X86_64), RET.KILL_PROCESS);
});

Deno.test("unknown numbers get ENOSYS, unassigned known-range numbers the default", () => {
  const c = compile({
    defaultAction: "SCMP_ACT_TRAP",
    syscalls: [{ names: ["read"], action: "SCMP_ACT_ALLOW" }],
  });
  assert.equal(call(c, NR.rseqSliceYield), RET.TRAP);
  assert.equal(call(c, NR.rseqSliceYield + 1), RET.ERRNO(ENOSYS));
  assert.equal(call(c, 1000), RET.ERRNO(ENOSYS));
  assert.equal(call(c, X32 - 1), RET.ERRNO(ENOSYS));
  // Without the x32 bit even a huge number is an (unknown) x86_64 one; with it, and x32 not
  // handled, it is a bad architecture.
  assert.equal(call(c, 0x80000000), RET.ERRNO(ENOSYS));
  assert.equal(call(c, 0xc0000000), RET.KILL_PROCESS);
  assert.equal(call(c, 400), RET.TRAP); // between rseq (334) and pidfd_send_signal (424)
  assert.equal(call(c, NR.read), RET.ALLOW);
});

Deno.test("unknown syscall names are skipped with a warning", () => {
  const c = compile({
    defaultAction: "SCMP_ACT_ERRNO",
    syscalls: [{ names: ["read", "no_such_call", "write"], action: "SCMP_ACT_ALLOW" }],
  });
  assert.equal(c.warnings.length, 1);
  assert.match(c.warnings[0], /^linux\.seccomp\.syscalls\[0\]\.names\[1\]: .*"no_such_call"/);
  assert.equal(call(c, NR.read), RET.ALLOW);
  assert.equal(call(c, NR.write), RET.ALLOW);
});

Deno.test("validation errors name the field", () => {
  const ok: LinuxSeccomp = { defaultAction: "SCMP_ACT_ALLOW" };
  const rule = (r: object) => ({ ...ok, syscalls: [{ names: ["read"], ...r }] }) as LinuxSeccomp;
  const arg = (a: object) => rule({ action: "SCMP_ACT_ERRNO", args: [{ ...a }] });
  const cases: [unknown, string, RegExp?][] = [
    [null, "linux.seccomp"],
    [{}, "linux.seccomp.defaultAction"],
    [{ defaultAction: "SCMP_ACT_MAYBE" }, "linux.seccomp.defaultAction", /unknown action/],
    [rule({ action: "ALLOW" }), "linux.seccomp.syscalls[0].action"],
    [
      { ...ok, syscalls: [{ names: [], action: "SCMP_ACT_ERRNO" }] },
      "linux.seccomp.syscalls[0].names",
    ],
    [{ ...ok, syscalls: [{ action: "SCMP_ACT_ERRNO" }] }, "linux.seccomp.syscalls[0].names"],
    [
      { ...ok, syscalls: [{ names: [""], action: "SCMP_ACT_ERRNO" }] },
      "linux.seccomp.syscalls[0].names[0]",
    ],
    [
      arg({ index: 6, value: 0, op: "SCMP_CMP_EQ" }),
      "linux.seccomp.syscalls[0].args[0].index",
      /0\.\.5/,
    ],
    [arg({ index: -1, value: 0, op: "SCMP_CMP_EQ" }), "linux.seccomp.syscalls[0].args[0].index"],
    [
      arg({ index: 0, value: 0, op: "SCMP_CMP_LIKE" }),
      "linux.seccomp.syscalls[0].args[0].op",
      /unknown operator/,
    ],
    [arg({ index: 0, value: -1, op: "SCMP_CMP_EQ" }), "linux.seccomp.syscalls[0].args[0].value"],
    [arg({ index: 0, value: 1.5, op: "SCMP_CMP_EQ" }), "linux.seccomp.syscalls[0].args[0].value"],
    [arg({ index: 0, op: "SCMP_CMP_EQ" }), "linux.seccomp.syscalls[0].args[0].value"],
    [
      arg({ index: 0, value: 1, valueTwo: 1n << 64n, op: "SCMP_CMP_MASKED_EQ" }),
      "linux.seccomp.syscalls[0].args[0].valueTwo",
    ],
    [
      { ...ok, architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_Z80"] },
      "linux.seccomp.architectures[1]",
      /unknown architecture/,
    ],
    [{ ...ok, flags: ["SECCOMP_FILTER_FLAG_FAST"] }, "linux.seccomp.flags[0]", /unknown flag/],
    [{ ...ok, flags: ["SECCOMP_FILTER_FLAG_NEW_LISTENER"] }, "linux.seccomp.flags[0]"],
    // One rule set with the config validator: the field to fix is the missing listenerPath.
    [rule({ action: "SCMP_ACT_NOTIFY" }), "linux.seccomp.listenerPath", /SCMP_ACT_NOTIFY/],
    [{ defaultAction: "SCMP_ACT_NOTIFY" }, "linux.seccomp.listenerPath", /SCMP_ACT_NOTIFY/],
    [{ ...ok, listenerPath: "/run/a\0b" }, "linux.seccomp.listenerPath", /NUL/],
    [{ ...ok, listenerMetadata: "x" }, "linux.seccomp.listenerMetadata", /listenerPath/],
    [{ ...ok, listenerPath: "" }, "linux.seccomp.listenerPath", /empty/],
    [{ ...ok, listenerPath: "run/agent.sock" }, "linux.seccomp.listenerPath", /absolute/],
    [{ ...rule({ action: "SCMP_ACT_NOTIFY" }), listenerPath: "" }, "linux.seccomp.listenerPath"],
  ];
  for (const [profile, path, message] of cases) {
    throwsSpec(() => compile(profile as LinuxSeccomp), path, message);
  }
  throwsSpec(
    () => compileSeccomp({ defaultAction: "BAD" }, { hostArch: "x86_64", path: "p.seccomp" }),
    "p.seccomp.defaultAction",
  );
  // Valid but not runnable here: left out, not an error.
  compile({ ...ok, architectures: ["SCMP_ARCH_MIPS64", "SCMP_ARCH_S390X"] });
  // listenerPath without NOTIFY is fine (ignored by the runtime).
  assert.equal(compile({ ...ok, listenerPath: LISTENER, listenerMetadata: "m" }).usesNotify, false);
});

Deno.test("flags", () => {
  const flags = (f: string[], notify = false) =>
    compile({
      defaultAction: "SCMP_ACT_ALLOW",
      flags: f,
      listenerPath: LISTENER,
      syscalls: notify ? [{ names: ["mkdir"], action: "SCMP_ACT_NOTIFY" }] : [],
    });
  assert.equal(flags([]).flags, 0);
  assert.equal(flags(["SECCOMP_FILTER_FLAG_TSYNC"]).flags, 1);
  assert.equal(flags(["SECCOMP_FILTER_FLAG_LOG"]).flags, 2);
  assert.equal(flags(["SECCOMP_FILTER_FLAG_SPEC_ALLOW"]).flags, 4);
  assert.equal(flags(["SECCOMP_FILTER_FLAG_TSYNC_ESRCH"]).flags, 16);
  assert.equal(
    flags(["SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW", "SECCOMP_FILTER_FLAG_LOG"])
      .flags,
    6,
  );
  // NOTIFY + TSYNC needs TSYNC_ESRCH; NEW_LISTENER is left to the runtime.
  const n = flags(["SECCOMP_FILTER_FLAG_TSYNC"], true);
  assert.equal(n.flags, 1 | 16);
  assert.equal(n.usesNotify, true);
  assert.equal(flags(["SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"], true).flags, 32);
  const w = flags(["SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", "SECCOMP_FILTER_FLAG_LOG"]);
  assert.equal(w.flags, 2);
  assert.match(w.warnings[0], /WAIT_KILLABLE_RECV/);
});

Deno.test("64-bit values: bigints, and JSON numbers past 2^53", () => {
  const c = compile(JSON.parse(`{
    "defaultAction": "SCMP_ACT_ALLOW",
    "syscalls": [{"names": ["write"], "action": "SCMP_ACT_ERRNO",
      "args": [{"index": 0, "value": 18446744073709551615, "op": "SCMP_CMP_EQ"}]}]
  }`));
  assert.equal(c.warnings.length, 1);
  assert.match(c.warnings[0], /args\[0\]\.value.*18446744073709551615/);
  assert.equal(call(c, NR.write, [U64]), RET.ERRNO(EPERM));
  assert.equal(call(c, NR.write, [U64 - 1n]), RET.ALLOW);
});

Deno.test("long jumps keep big programs valid; oversized ones are refused", () => {
  const names = [
    "read",
    "write",
    "openat",
    "close",
    "fstat",
    "mmap",
    "mprotect",
    "munmap",
    "brk",
    "ioctl",
  ];
  const syscalls = names.flatMap((name, i) =>
    Array.from({ length: 12 }, (_, j) => ({
      names: [name],
      action: "SCMP_ACT_ERRNO",
      errnoRet: 100 + j,
      args: [
        { index: 0, value: i, op: "SCMP_CMP_EQ" },
        { index: 1, value: j, op: "SCMP_CMP_GE" },
        { index: 2, value: 0xff, valueTwo: j, op: "SCMP_CMP_MASKED_EQ" },
      ],
    }))
  );
  const c = compile({ defaultAction: "SCMP_ACT_ALLOW", syscalls });
  assert.ok(c.instructions > 1000, `${c.instructions}`);
  const insns = checkProgram(c.program);
  assert.ok(insns.some((x) => x.code === 0x05), "expected a long jump");
  assert.equal(call(c, NR.read, [0, 5, 0x105]), RET.ERRNO(105));
  assert.equal(call(c, NR.read, [0, 5, 0x104]), RET.ERRNO(104));
  assert.equal(call(c, NR.read, [0, 3, 0x104]), RET.ALLOW);
  assert.equal(call(c, 16, [9, 11, 11]), RET.ERRNO(111)); // ioctl

  const huge = names.flatMap((name) =>
    Array.from({ length: 40 }, (_, j) => ({
      names: [name],
      action: "SCMP_ACT_ERRNO",
      args: [0, 1, 2, 3, 4, 5].map((index) => ({ index, value: j, op: "SCMP_CMP_NE" })),
    }))
  );
  throwsSpec(
    () => compile({ defaultAction: "SCMP_ACT_ALLOW", syscalls: huge }),
    "linux.seccomp",
    /at most 4096/,
  );
});

Deno.test("big-endian host (s390x) loads argument words the other way round", () => {
  const c = compileSeccomp({
    defaultAction: "SCMP_ACT_ALLOW",
    syscalls: [{
      names: ["write"],
      action: "SCMP_ACT_ERRNO",
      args: [{ index: 1, value: 0x1_0000_0002n, op: "SCMP_CMP_EQ" }],
    }],
  }, { hostArch: "s390x" });
  const data = (args: bigint[]) => ({ nr: 4, arch: AUDIT.S390X, args });
  assert.equal(evaluate(c.program, data([0n, 0x1_0000_0002n]), false), RET.ERRNO(EPERM));
  assert.equal(evaluate(c.program, data([0n, 0x2_0000_0001n]), false), RET.ALLOW);
  assert.equal(evaluate(c.program, data([0n, 2n]), false), RET.ALLOW);
});

Deno.test("Docker's default profile", () => {
  const c = compile(DOCKER);
  assert.ok(c.instructions < 1024, `${c.instructions} instructions`);
  assert.deepEqual(c.warnings.map((w) => w.replace(/.*unknown syscall (\S+).*/, "$1")), [
    '"recv"',
    '"send"',
  ]);
  assert.equal(c.flags, 0);
  assert.equal(c.usesNotify, false);
  const eperm = RET.ERRNO(EPERM);
  assert.equal(call(c, NR.read), RET.ALLOW);
  assert.equal(call(c, NR.write), RET.ALLOW);
  assert.equal(call(c, NR.mount), eperm);
  // The profile returns ENOSYS for clone3 itself so glibc falls back to clone.
  assert.equal(call(c, NR.clone3), RET.ERRNO(ENOSYS));
  assert.equal(call(c, 1000), RET.ERRNO(ENOSYS));
  assert.equal(call(c, NR.personality, [0]), RET.ALLOW);
  assert.equal(call(c, NR.personality, [0xffffffff]), RET.ALLOW);
  assert.equal(call(c, NR.personality, [0x0020000]), RET.ALLOW);
  assert.equal(call(c, NR.personality, [1]), eperm);
  assert.equal(call(c, NR.personality, [0x1_0000_0000n]), eperm);
  // clone: allowed unless a namespace flag in 0x7e020000 is set.
  assert.equal(call(c, NR.clone, [0x11 /* SIGCHLD */]), RET.ALLOW);
  assert.equal(call(c, NR.clone, [0x003d0f00]), RET.ALLOW); // pthread_create's flags
  assert.equal(call(c, NR.clone, [0x10000000 /* CLONE_NEWUSER */]), eperm);
  assert.equal(call(c, NR.clone, [0x00020000 /* CLONE_NEWNS */]), eperm);
  // ptrace is allowed on kernels >= 4.8; unshare needs CAP_SYS_ADMIN, absent by default.
  assert.equal(call(c, 101), RET.ALLOW);
  assert.equal(call(c, 272), eperm);
  // i386 and x32 code run on x86_64 and are filtered too.
  assert.equal(call(c, 3, [], AUDIT.I386), RET.ALLOW); // read
  assert.equal(call(c, 21, [], AUDIT.I386), eperm); // mount
  assert.equal(call(c, 102, [], AUDIT.I386), RET.ALLOW); // socketcall
  assert.equal(call(c, 0 | X32), RET.ALLOW);
  assert.equal(call(c, 165 | X32), eperm);
  assert.equal(call(c, 63, [], AUDIT.AARCH64), RET.KILL_PROCESS);

  // Dispatch is a binary search: a syscall without argument checks takes few steps.
  const prog = checkProgram(c.program);
  let worst = 0;
  for (let nr = 0; nr < 600; nr++) {
    if (nr === NR.personality || nr === NR.clone) continue;
    worst = Math.max(worst, run(prog, { nr, arch: AUDIT.X86_64, args: [] }).steps);
  }
  assert.ok(worst <= 14, `worst case ${worst} steps`);
});

Deno.test("Docker's profile on an aarch64 host", () => {
  const c = compile(DOCKER, "aarch64");
  const arch = AUDIT.AARCH64;
  assert.equal(call(c, 63, [], arch), RET.ALLOW); // read
  assert.equal(call(c, 40, [], arch), RET.ERRNO(EPERM)); // mount
  assert.equal(call(c, 435, [], arch), RET.ERRNO(ENOSYS)); // clone3
  assert.equal(call(c, 3, [], AUDIT.ARM), RET.KILL_PROCESS); // arm not listed
  assert.equal(call(c, 0, [], AUDIT.X86_64), RET.KILL_PROCESS);
});

Deno.test("compileSeccompCached: a per-process memo, nothing on disk", () => {
  clearSeccompCache();
  const a = compileSeccompCached(DOCKER, { hostArch: "x86_64" });
  assert.deepEqual(a, compileSeccomp(DOCKER, { hostArch: "x86_64" }));
  // Copies: changing a result does not change the cache.
  a.program.fill(0);
  a.warnings.push("mine");
  const reordered = Object.fromEntries(Object.entries(DOCKER).reverse()) as LinuxSeccomp;
  const b = compileSeccompCached(reordered, { hostArch: "x86_64" });
  assert.deepEqual(b, compileSeccomp(DOCKER, { hostArch: "x86_64" }));
  // Another host architecture is another entry; invalid profiles still throw.
  const f = compileSeccompCached(DOCKER, { hostArch: "aarch64" });
  assert.notDeepEqual(f.program, b.program);
  throwsSpec(() => compileSeccompCached({ defaultAction: "x" }), "linux.seccomp.defaultAction");
  clearSeccompCache();
});

Deno.test("seccompFeatures", () => {
  const f = seccompFeatures();
  assert.equal(f.actions.length, 9);
  assert.ok(f.actions.includes("SCMP_ACT_NOTIFY") && f.actions.includes("SCMP_ACT_KILL_PROCESS"));
  assert.deepEqual(f.operators.toSorted(), Object.keys(OPS).toSorted());
  for (const a of ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32", "SCMP_ARCH_AARCH64"]) {
    assert.ok(f.archs.includes(a), a);
  }
  assert.ok(!f.archs.includes("SCMP_ARCH_MIPS"));
  assert.ok(!f.flags.includes("SECCOMP_FILTER_FLAG_NEW_LISTENER"));
  assert.ok(f.flags.includes("SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"));
  // Every listed feature compiles.
  compile({
    defaultAction: "SCMP_ACT_ALLOW",
    architectures: f.archs,
    flags: f.flags,
    listenerPath: LISTENER,
    syscalls: f.actions.filter((a) => a !== "SCMP_ACT_ALLOW").map((action, i) => ({
      names: ["read"],
      action,
      args: [{ index: i % 6, value: i, op: f.operators[i % f.operators.length] }],
    })),
  });
});

Deno.test("compile: a profile validateSpec checked is compiled as checked, not validated again", () => {
  clearSeccompCache();
  const profile = { defaultAction: "SCMP_ACT_ALLOW" } as const;
  const other = validateSeccomp({
    defaultAction: "SCMP_ACT_ERRNO",
    syscalls: [{ names: ["read", "write"], action: "SCMP_ACT_ALLOW" }],
  }, "linux.seccomp");
  const plain = compileSeccompCached(profile);
  clearSeccompCache();
  const handed = compileSeccompCached(profile, { valid: other });
  assert.notEqual(handed.instructions, plain.instructions, "the handed result was used");
  clearSeccompCache();
});
