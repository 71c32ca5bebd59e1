/**
 * The cgroup v2 device filter compiler (lib/cgroup/devices_bpf.ts): fixed cases and a
 * property test of the program (run by an interpreter) against the rules evaluated directly.
 */
import assert from "node:assert/strict";
import { compileDeviceFilter } from "../../lib/cgroup/devices_bpf.ts";
import { BASE_ALLOWED_DEVICES, deviceRuleList } from "../../lib/cgroup/v1.ts";
import type { LinuxDeviceCgroup } from "../../lib/spec/types.ts";
import { runDeviceFilter } from "./devices_bpf_interp.ts";

const BLOCK = 1, CHAR = 2;
const MKNOD = 1, READ = 2, WRITE = 4;

/**
 * Reference semantics, written apart from the compiler: each access bit is decided by the
 * last rule matching the device that names it (type a: all devices, all access; absent or
 * negative numbers: any; empty access: rwm); unnamed bits are denied.
 */
function reference(
  rules: LinuxDeviceCgroup[],
  type: number,
  major: number,
  minor: number,
  access: number,
): boolean {
  const bits = [MKNOD, READ, WRITE].filter((b) => access & b);
  return bits.every((bit) => {
    let verdict = false;
    for (const r of rules) {
      const t = r.type ?? "a";
      if (t !== "a") {
        if ((t === "b" ? BLOCK : CHAR) !== type) continue;
        if (r.major !== undefined && r.major >= 0 && r.major !== major) continue;
        if (r.minor !== undefined && r.minor >= 0 && r.minor !== minor) continue;
        const acc = r.access || "rwm";
        const letter = bit === MKNOD ? "m" : bit === READ ? "r" : "w";
        if (!acc.includes(letter)) continue;
      }
      verdict = r.allow;
    }
    return verdict;
  });
}

function run(rules: LinuxDeviceCgroup[], type: number, major: number, minor: number, acc: number) {
  return runDeviceFilter(compileDeviceFilter(rules), { type, major, minor, access: acc }) === 1;
}

Deno.test("device filter: instruction format", () => {
  const p = compileDeviceFilter([{ allow: true, type: "c", major: 1, minor: 3, access: "rw" }]);
  assert.equal(p.length % 8, 0);
  // First instruction: ldxw r2, [r1+0].
  assert.deepEqual([...p.subarray(0, 8)], [0x61, 0x12, 0, 0, 0, 0, 0, 0]);
  // Last: exit.
  assert.equal(p[p.length - 8], 0x95);
});

Deno.test("device filter: fixed cases", () => {
  const rules: LinuxDeviceCgroup[] = [
    { allow: false, access: "rwm" },
    { allow: true, type: "c", major: 1, minor: 3, access: "rwm" },
    { allow: true, type: "c", major: 136, access: "rw" },
    { allow: false, type: "c", major: 136, minor: 7, access: "w" },
  ];
  assert.equal(run([], CHAR, 1, 3, READ), false, "no rules: default deny");
  assert.equal(run(rules, CHAR, 1, 3, READ | WRITE), true);
  assert.equal(run(rules, BLOCK, 1, 3, READ), false, "type matters");
  assert.equal(run(rules, CHAR, 1, 5, READ), false);
  assert.equal(run(rules, CHAR, 136, 2, READ | WRITE), true);
  assert.equal(run(rules, CHAR, 136, 2, MKNOD), false, "m not granted");
  assert.equal(run(rules, CHAR, 136, 7, READ), true);
  assert.equal(run(rules, CHAR, 136, 7, READ | WRITE), false, "a later deny of w wins");
  assert.equal(run([{ allow: true }], BLOCK, 8, 0, 7), true, "type a allows everything");
  assert.equal(
    run([{ allow: true }, { allow: false, type: "b", major: 8, access: "m" }], BLOCK, 8, 1, 2),
    true,
  );
  assert.equal(
    run([{ allow: false, type: "c", access: "r" }, { allow: true }], CHAR, 4, 1, READ),
    true,
    "last match wins",
  );
  const big = [{ allow: true, type: "c", major: 0xfffffffe, minor: 0x80000001, access: "r" }];
  assert.equal(run(big, CHAR, 0xfffffffe, 0x80000001, READ), true, "u32 numbers compare whole");
  assert.equal(run(big, CHAR, 0xfffffffe, 1, READ), false);
  assert.throws(() => compileDeviceFilter([{ allow: true, type: "c", access: "x" }]), /access/);
  assert.throws(() => compileDeviceFilter([{ allow: true, type: "p" }]), /type/);
});

function rng(seed: number) {
  let s = seed >>> 0;
  return (n: number) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s >>> 8) % n;
  };
}

Deno.test("device filter: program agrees with the rules (random rule lists)", () => {
  const r = rng(20240601);
  const majors = [0, 1, 5, 8, 136];
  const minors = [0, 1, 3, 5, 7];
  const accesses = ["", "r", "w", "m", "rw", "rm", "wm", "rwm", "mwr"];
  const types = [undefined, "a", "b", "c", "c", "b"];
  let allowed = 0, total = 0;
  for (let t = 0; t < 400; t++) {
    const rules: LinuxDeviceCgroup[] = [];
    for (let i = r(9); i > 0; i--) {
      const rule: LinuxDeviceCgroup = { allow: r(2) === 0 };
      const type = types[r(types.length)];
      if (type !== undefined) rule.type = type;
      if (r(3)) rule.major = r(5) === 0 ? -1 : majors[r(majors.length)];
      if (r(3)) rule.minor = r(5) === 0 ? -1 : minors[r(minors.length)];
      if (r(4)) rule.access = accesses[r(accesses.length)];
      rules.push(rule);
    }
    const prog = compileDeviceFilter(rules);
    for (let q = 0; q < 60; q++) {
      const type = r(2) ? CHAR : BLOCK;
      const major = majors[r(majors.length)];
      const minor = minors[r(minors.length)];
      const access = 1 + r(7);
      const got = runDeviceFilter(prog, { type, major, minor, access }) === 1;
      const want = reference(rules, type, major, minor, access);
      assert.equal(got, want, `${JSON.stringify(rules)} on ${type} ${major}:${minor} ${access}`);
      total++;
      if (want) allowed++;
    }
  }
  assert.ok(allowed > total / 10 && allowed < total * 0.9, `${allowed}/${total}: both outcomes`);
});

Deno.test("device filter: the v1 list (defaults after deny-all) compiles and allows them", () => {
  const rules = deviceRuleList([{ allow: false, access: "rwm" }], []);
  const prog = compileDeviceFilter(rules);
  for (const d of BASE_ALLOWED_DEVICES) {
    const type = d.type === "b" ? BLOCK : CHAR;
    const access = [...d.access].reduce((a, c) => a | (c === "m" ? 1 : c === "r" ? 2 : 4), 0);
    const ctx = { type, major: d.major < 0 ? 42 : d.major, minor: d.minor < 0 ? 9 : d.minor };
    assert.equal(runDeviceFilter(prog, { ...ctx, access }), 1, JSON.stringify(d));
  }
  assert.equal(runDeviceFilter(prog, { type: CHAR, major: 1, minor: 3, access: 6 }), 1);
  assert.equal(runDeviceFilter(prog, { type: BLOCK, major: 8, minor: 0, access: READ }), 0);
  assert.equal(runDeviceFilter(prog, { type: BLOCK, major: 8, minor: 0, access: MKNOD }), 1);
});
