/**
 * Seccomp profile validation: errors name the field, flags are checked and carried, and a
 * profile validateSpec already checked is compiled as checked, not validated again.
 */
import assert from "node:assert/strict";
import {
  clearSeccompCache,
  compileSeccomp,
  compileSeccompCached,
  type LinuxSeccomp,
} from "../../lib/seccomp/compile.ts";
import { validateSeccomp } from "../../lib/seccomp/validate.ts";
import { compile, LISTENER, throwsSpec } from "./seccomp_compile_helpers.ts";

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
