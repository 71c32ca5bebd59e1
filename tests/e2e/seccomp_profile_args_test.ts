/**
 * `linux.seccomp` argument conditions in real containers: every comparison operator over all
 * 64 bits, unsigned; MASKED_EQ; conditions on two indexes ANDed, on one index ORed.
 *
 * Arguments are tested on `getpriority(which, who)` (nr 140): it has no side effects whatever
 * its arguments, and each rule returns its own errno so the probe's answer tells which matched.
 * @module
 */
import "./needs_root.ts";
import assert from "node:assert/strict";
import type { LinuxSeccompArg } from "../../lib/spec/types.ts";
import { allowAllBut, errnos, ESRCH, NR, runProbe, sys } from "./seccomp_profile_helpers.ts";

// ---------------------------------------------------------------------------------------------
// Argument conditions, with 64-bit values.

const PIVOT = 0x1_0000_0005n;
/** Values for `who`: both sides of PIVOT in each half, all-ones, and 32-bit look-alikes. */
const VALUES = [
  0n,
  5n,
  6n,
  0xffff_ffffn,
  0x1_0000_0004n,
  PIVOT,
  0x1_0000_0006n,
  0x2_0000_0000n,
  0x2_0000_0005n,
  (1n << 64n) - 1n,
];
const OPS: [string, (a: bigint) => boolean][] = [
  ["SCMP_CMP_EQ", (a) => a === PIVOT],
  ["SCMP_CMP_NE", (a) => a !== PIVOT],
  ["SCMP_CMP_LT", (a) => a < PIVOT],
  ["SCMP_CMP_LE", (a) => a <= PIVOT],
  ["SCMP_CMP_GT", (a) => a > PIVOT],
  ["SCMP_CMP_GE", (a) => a >= PIVOT],
];

/**
 * Runs getpriority(which, who) for each pair under a profile whose only rule is
 * `getpriority → ERRNO(errno)` with `args`, and checks which calls the rule caught.
 */
async function checkArgs(
  args: LinuxSeccompArg[],
  calls: [bigint, bigint, boolean][],
  errno: number,
) {
  const r = await runProbe(
    allowAllBut({ names: ["getpriority"], action: "SCMP_ACT_ERRNO", errnoRet: errno, args }),
    calls.flatMap(([which, who]) => sys(NR.getpriority, which, who)),
  );
  const got = errnos(r);
  assert.equal(got.length, calls.length, r.stdout);
  calls.forEach(([which, who, match], i) => {
    const what = `${JSON.stringify(args)} on getpriority(0x${which.toString(16)}, 0x${
      who.toString(16)
    })`;
    if (match) assert.equal(got[i], errno, `${what} should match`);
    // Not caught, the call reaches the kernel: 0 for ourselves, ESRCH for anyone else.
    else assert.ok([0, ESRCH].includes(got[i]), `${what} should not match, got errno ${got[i]}`);
  });
}

for (const [i, [op, holds]] of OPS.entries()) {
  Deno.test(`args: ${op} compares all 64 bits, unsigned`, async () => {
    await checkArgs(
      [{ index: 1, value: Number(PIVOT), op }],
      VALUES.map((v) => [0n, v, holds(v)]),
      101 + i,
    );
  });
}

Deno.test("args: SCMP_CMP_MASKED_EQ is (arg & value) == valueTwo, over 64 bits", async () => {
  // The swapped reading, (arg & valueTwo) == value, can match nothing here: value has bits
  // valueTwo lacks. A compiler comparing only the low halves would match 0x50.
  const mask = 0x1_0000_00f0n, datum = 0x1_0000_0050n;
  const values = [
    0x1_0000_0050n,
    0x1_0000_0055n,
    0x3_0000_005fn,
    0x50n, // low half matches, high half does not
    0x1_0000_00a0n,
    0x1_0000_00f0n,
    mask,
    0n,
    (1n << 64n) - 1n,
  ];
  await checkArgs(
    [{ index: 1, value: Number(mask), valueTwo: Number(datum), op: "SCMP_CMP_MASKED_EQ" }],
    values.map((v) => [0n, v, (v & mask) === datum]),
    108,
  );
});

Deno.test("args: conditions on two indexes are ANDed", async () => {
  await checkArgs(
    [{ index: 0, value: 1, op: "SCMP_CMP_EQ" }, { index: 1, value: 7, op: "SCMP_CMP_GE" }],
    [[1n, 7n, true], [1n, 9n, true], [1n, 6n, false], [0n, 7n, false], [2n, 9n, false], [
      0x1_0000_0001n,
      7n,
      false,
    ]],
    110,
  );
});

Deno.test("args: two conditions on one index are ORed", async () => {
  await checkArgs(
    [{ index: 1, value: 7, op: "SCMP_CMP_EQ" }, {
      index: 1,
      value: 0x2_0000_0009,
      op: "SCMP_CMP_EQ",
    }],
    [[0n, 7n, true], [0n, 0x2_0000_0009n, true], [0n, 9n, false], [0n, 8n, false], [
      0n,
      0x2_0000_0007n,
      false,
    ]],
    111,
  );
});
