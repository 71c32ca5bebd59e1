/**
 * The seccomp compiler's argument conditions, run through a BPF interpreter: every operator
 * over all 64 bits, unsigned; MASKED_EQ; conditions ANDed across indexes and ORed on one;
 * 64-bit values as bigints and as JSON numbers past 2^53.
 */
import assert from "node:assert/strict";
import { call, compile, EPERM, NR, OPS, RET, U64 } from "./seccomp_compile_helpers.ts";

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
