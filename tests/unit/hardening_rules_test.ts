/**
 * The rules behind issue #14's fixes, without containers: exec's capability sets, runc's
 * /proc mount rule, and the path, id and capability checks of the validator. (The e2e
 * hardening tests show each one in a real container.)
 */
import assert from "node:assert/strict";
import { execCapabilities } from "../../lib/linux/capabilities.ts";
import { checkProcMount } from "../../lib/plan/proc_mounts.ts";
import { buildPlan } from "../../lib/plan/build.ts";
import { Op } from "../../lib/plan/encode.ts";
import { validateSpec } from "../../lib/spec/validate.ts";
import { defaultSpec } from "../../lib/spec/default.ts";
import type { Spec } from "../../lib/spec/types.ts";

const spec = (): Spec => {
  const s = defaultSpec({ args: ["/bin/true"] });
  s.root = { path: "/nonexistent-rootfs" };
  return s;
};
const refuses = (s: Spec, re: RegExp) =>
  assert.throws(() => validateSpec(s, { bundle: "/tmp" }), re);

Deno.test("execCapabilities: own sets, else the container's; --cap joins bnd/eff/prm", () => {
  const container = { bounding: ["CAP_KILL"], effective: ["CAP_KILL"], permitted: ["CAP_KILL"] };
  assert.deepEqual(execCapabilities(undefined, container), container);
  assert.deepEqual(execCapabilities({}, container), {}, "an explicit empty set stays empty");
  const added = execCapabilities(undefined, container, ["CAP_CHOWN"]);
  assert.deepEqual(added.bounding, ["CAP_KILL", "CAP_CHOWN"]);
  assert.deepEqual(added.permitted, ["CAP_KILL", "CAP_CHOWN"]);
  assert.equal(added.inheritable, undefined);
  assert.equal(added.ambient, undefined);
  assert.deepEqual(container.bounding, ["CAP_KILL"], "the container's sets are not changed");
  // Ambient only alongside an inheritable set, as runc does.
  const inh = execCapabilities({ inheritable: [], ambient: [] }, undefined, ["CAP_CHOWN"]);
  assert.deepEqual(inh.ambient, ["CAP_CHOWN"]);
  assert.deepEqual(inh.inheritable, []);
});

Deno.test("plan: no capabilities object still drops the bounding set and capsets to zero", () => {
  const s = spec();
  delete s.process!.capabilities;
  const plan = buildPlan({
    spec: validateSpec(s, { bundle: "/tmp" }),
    rootfs: "/nonexistent-rootfs",
    fifoPath: "/run/x/exec.fifo",
    cgroupLines: [],
  });
  const bnd = plan.ops.find((o) => o.kind === Op.CAPS_BOUNDING)!;
  const set = plan.ops.find((o) => o.kind === Op.CAPSET)!;
  assert.equal(bnd.nums[0], 0n);
  assert.deepEqual(set.nums, [0n, 0n, 0n]);
});

Deno.test("checkProcMount: runc's rule for /proc and below", () => {
  const ok = (dest: string, m: Parameters<typeof checkProcMount>[1], bind = false) =>
    checkProcMount(dest, m, bind, "mounts[0]");
  ok("/proc", { destination: "/proc", type: "proc", source: "proc" });
  ok("/proc", { destination: "/proc", type: "bind", source: "/proc" }, true);
  ok("/proc/uptime", { destination: "/proc/uptime", type: "bind", source: "/x" }, true);
  ok("/procfoo", { destination: "/procfoo", type: "tmpfs" });
  assert.throws(
    () => ok("/proc", { destination: "/proc", type: "tmpfs", source: "tmpfs" }),
    /^SpecError: mounts\[0\]\.destination: only a proc filesystem/,
  );
  // A bind whose source merely looks like proc is not a procfs.
  assert.throws(
    () => ok("/proc", { destination: "/proc", type: "proc", source: "/sys" }, true),
    /only a proc filesystem/,
  );
  assert.throws(
    () => ok("/proc/sys", { destination: "/proc/sys", type: "bind", source: "/proc/sys" }, true),
    /mounts inside \/proc are refused/,
  );
});

Deno.test("validate: PATH_MAX, NAME_MAX, the argument limit and id 4294967295", () => {
  let s = spec();
  s.mounts!.push({ destination: "/" + "a/".repeat(2100), type: "tmpfs" });
  refuses(s, /^SpecError: mounts\[\d+\]\.destination: longer than 4095 bytes \(PATH_MAX\)$/);
  s = spec();
  s.process!.cwd = "/" + "é".repeat(128); // 256 bytes in UTF-8, 128 characters
  refuses(s, /process\.cwd: has a path component longer than 255 bytes/);
  s = spec();
  s.process!.args = ["/bin/true", "a".repeat(131072)];
  refuses(s, /process\.args\[1\]: longer than 131071 bytes/);
  s = spec();
  s.process!.user.uid = 4294967295;
  refuses(s, /process\.user\.uid: must be an integer in 0\.\.4294967294/);
  s = spec();
  s.process!.user.uid = 4294967294;
  validateSpec(s, { bundle: "/tmp" });
  // The whole target on the host counts: rootfs and destination together.
  s = spec();
  s.root!.path = "/" + "r/".repeat(1500);
  s.mounts!.push({ destination: "/" + "d/".repeat(1100), type: "tmpfs" });
  refuses(s, /destination: with root\.path, longer than 4095 bytes/);
});

Deno.test("validate: an effective capability must be permitted; messages stay one line", () => {
  const s = spec();
  s.process!.capabilities = { effective: ["CAP_KILL"], permitted: [] };
  refuses(s, /process\.capabilities\.effective\[0\]: CAP_KILL is not in the permitted set/);
  const t = spec();
  t.ociVersion = "1.0\n2";
  assert.throws(() => validateSpec(t, { bundle: "/tmp" }), (e: Error) => {
    assert.ok(!e.message.includes("\n"), e.message);
    assert.match(e.message, /ociVersion: .*1\.0\\n2/);
    return true;
  });
});
