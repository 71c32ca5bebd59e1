/**
 * The plan builder and its pure helpers: mount options, in-root path resolution, op order,
 * and the byte encoding the Zig side reads.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { buildPlan, makedev } from "../../lib/plan/build.ts";
import { encodePlan, Op } from "../../lib/plan/encode.ts";
import { bindRemountFlags, MS, parseMountOptions } from "../../lib/plan/mount_options.ts";
import { resolveInRoot } from "../../lib/plan/paths.ts";
import { SpecError } from "../../lib/errors.ts";
import { probeSpec } from "../helpers.ts";

Deno.test("mount options: flags, bind, propagation and data", () => {
  const o = parseMountOptions([
    "nosuid",
    "noexec",
    "nodev",
    "ro",
    "rbind",
    "rslave",
    "size=64k",
    "mode=755",
  ], "bind");
  assert.equal(o.bind, true);
  assert.equal(o.recursive, true);
  assert.equal(o.flags, MS.NOSUID | MS.NOEXEC | MS.NODEV | MS.RDONLY);
  assert.deepEqual(o.propagation, [MS.SLAVE | MS.REC]);
  assert.equal(o.data, "size=64k,mode=755");
  assert.equal(
    bindRemountFlags(o),
    MS.REMOUNT | MS.BIND | MS.NOSUID | MS.NOEXEC | MS.NODEV | MS.RDONLY,
  );
  assert.equal(bindRemountFlags(parseMountOptions(["bind"])), 0);
  const rw = parseMountOptions(["ro", "rw", "exec", "noexec", "exec"]);
  assert.equal(rw.flags, 0);
  const rro = parseMountOptions(["rro", "rnosuid", "rnoatime"]);
  assert.equal(rro.flags, 0);
  assert.equal(rro.attrSet, 0x1 | 0x2 | 0x10);
  assert.equal(rro.attrClr, 0x70);
  const back = parseMountOptions(["rro", "rrw"]);
  assert.equal(back.attrSet, 0);
  assert.equal(back.attrClr, 0x1);
  assert.deepEqual(parseMountOptions(["tmpcopyup"]).ignored, ["tmpcopyup"]);
});

Deno.test("paths: resolution stays inside the rootfs; escaping relative links are refused", () => {
  const root = Deno.makeTempDirSync({ prefix: "drun-paths-" });
  try {
    Deno.mkdirSync(join(root, "run/real"), { recursive: true });
    Deno.mkdirSync(join(root, "var"), { recursive: true });
    Deno.symlinkSync("/run", join(root, "var/run")); // absolute: re-rooted
    Deno.symlinkSync("../run/real", join(root, "var/rel")); // relative, stays inside
    Deno.symlinkSync("../../../../etc", join(root, "var/escape")); // climbs out
    Deno.symlinkSync("loop2", join(root, "loop1"));
    Deno.symlinkSync("loop1", join(root, "loop2"));
    assert.equal(resolveInRoot(root, "/var/run/x", "f"), "/run/x");
    assert.equal(resolveInRoot(root, "/var/rel/y", "f"), "/run/real/y");
    assert.equal(resolveInRoot(root, "/../../tmp", "f"), "/tmp");
    assert.equal(resolveInRoot(root, "/new/dir", "f"), "/new/dir");
    assert.throws(() => resolveInRoot(root, "/var/escape/passwd", "mounts[2].destination"), (e) => {
      assert.ok(e instanceof SpecError);
      assert.match(
        e.message,
        /^mounts\[2\]\.destination: symlink \/var\/escape -> .* points outside/,
      );
      return true;
    });
    assert.throws(() => resolveInRoot(root, "/loop1/x", "f"), /too many levels/);
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("plan: order of the steps that matter", () => {
  const spec = probeSpec();
  spec.process!.noNewPrivileges = true;
  const plan = buildPlan({
    spec,
    rootfs: "/nonexistent-rootfs",
    fifoPath: "/run/x/exec.fifo",
    seccomp: { program: new Uint8Array(8), flags: 0 },
    cgroupLines: ["4:memory:/a", "1:name=systemd:/", "0::/"],
  });
  const kinds = plan.ops.map((o) => o.kind);
  const at = (k: number) => kinds.indexOf(k as typeof kinds[number]);
  assert.ok(at(Op.WAIT_PARENT) < at(Op.OPEN_SLOT), "fifo opened after the parent is done");
  assert.ok(at(Op.OPEN_SLOT) < at(Op.PIVOT), "fifo opened while the host is reachable");
  assert.ok(at(Op.PIVOT) < at(Op.MKNOD));
  assert.ok(at(Op.CAPS_BOUNDING) < at(Op.SETRESUID), "bounding set dropped while root");
  assert.ok(at(Op.SETRESUID) < at(Op.CAPSET));
  assert.ok(at(Op.PRCTL) < at(Op.SECCOMP));
  assert.ok(at(Op.SECCOMP) > at(Op.CAPSET), "with no_new_privs the filter goes in last");
  assert.ok(at(Op.SECCOMP) < at(Op.READY), "the agent holds the fd before create returns");
  assert.ok(at(Op.READY) < at(Op.FIFO_WAIT));
  assert.equal(kinds.at(-1), Op.EXEC);
  // Namespaces from runc's default: pid, network, ipc, uts, mount (+ cgroup).
  assert.equal(plan.cloneFlags & 0x20000000, 0x20000000);
  // cgroup v1 lines give a tmpfs plus one mount per hierarchy.
  assert.ok(plan.ops.some((o) => o.action.includes("(memory)")));
  assert.ok(plan.ops.some((o) => o.action.includes("(systemd)")));

  spec.process!.noNewPrivileges = false;
  const plan2 = buildPlan({
    spec,
    rootfs: "/x",
    fifoPath: "/f",
    seccomp: { program: new Uint8Array(8), flags: 0 },
  });
  const k2 = plan2.ops.map((o) => o.kind);
  assert.ok(k2.indexOf(Op.SECCOMP) < k2.indexOf(Op.CAPSET), "without nnp: before caps drop");
});

Deno.test("plan: config errors name the field before anything runs", () => {
  const spec = probeSpec();
  spec.linux!.namespaces = [
    ...spec.linux!.namespaces!.filter((n) => n.type !== "mount"),
    { type: "user" },
  ];
  assert.throws(
    () => buildPlan({ spec, rootfs: "/x", fifoPath: "/f" }),
    /linux.namespaces: a new user namespace needs a mount namespace/,
  );
  const s2 = probeSpec();
  s2.process!.capabilities!.bounding = ["CAP_NOPE"];
  assert.throws(
    () => buildPlan({ spec: s2, rootfs: "/x", fifoPath: "/f" }),
    /process.capabilities.bounding\[0\]: unknown capability/,
  );
});

Deno.test("plan: encoding matches the layout zig/src/plan.zig reads", () => {
  const bytes = encodePlan({
    cloneFlags: 0x20000000,
    ops: [{ kind: Op.MOUNT, action: "x", nums: [5, -1], strs: ["ab", new Uint8Array([1, 0, 2])] }],
  });
  const dv = new DataView(bytes.buffer);
  assert.equal(dv.getUint32(0, true), 0x4e555244);
  assert.equal(dv.getUint32(4, true), 2);
  assert.equal(dv.getBigUint64(8, true), 0x20000000n);
  // op: u16 kind, u8 nnum, u8 0, u32 size, u32 nstr, then nums and strings
  assert.equal(dv.getUint16(16, true), Op.MOUNT);
  assert.equal(bytes[18], 2);
  assert.equal(bytes[19], 0);
  assert.equal(dv.getUint32(20, true), bytes.length - 16);
  assert.equal(dv.getUint32(24, true), 2);
  assert.equal(dv.getBigUint64(28, true), 5n);
  assert.equal(dv.getBigUint64(36, true), 0xffffffffffffffffn);
  assert.equal(dv.getUint32(44, true), 2);
  assert.deepEqual([...bytes.subarray(48, 51)], [97, 98, 0]);
  assert.equal(dv.getUint32(51, true), 3);
  assert.deepEqual([...bytes.subarray(55, 59)], [1, 0, 2, 0]);
  assert.equal(makedev(1, 3), 0x103n);
  assert.equal(makedev(259, 300), (300n & 0xffn) | (259n << 8n) | ((300n & ~0xffn) << 12n));
});

Deno.test("plan: no mount namespace listed: chroot, and only the rootfs bind is changed", () => {
  const spec = probeSpec();
  spec.linux!.namespaces = spec.linux!.namespaces!.filter((n) => n.type !== "mount");
  const plan = buildPlan({ spec, rootfs: "/x", fifoPath: "/f", noPivot: true });
  const kinds = plan.ops.map((o) => o.kind);
  assert.ok(kinds.includes(Op.CHROOT));
  assert.ok(!kinds.includes(Op.PIVOT) && !kinds.includes(Op.MOVE_ROOT), "never a new /");
  assert.equal(plan.cloneFlags & 0x00020000, 0, "no CLONE_NEWNS");
  // Every mount that names a target names the rootfs or a path in it, never the runtime's "/".
  const mounts = plan.ops.filter((o) => o.kind === Op.MOUNT && o.strs[1] === "/");
  const beforeChroot = mounts.filter((o) => plan.ops.indexOf(o) < kinds.indexOf(Op.CHROOT));
  assert.deepEqual(beforeChroot.map((o) => o.action), []);
  const bind = plan.ops.findIndex((o) =>
    o.field === "root.path" && o.action === "bind rootfs onto itself"
  );
  const priv = plan.ops[bind + 1];
  assert.deepEqual([priv.strs[1], priv.nums[0]], ["/x", 0x40000 | 0x4000]);
  assert.ok(bind < plan.ops.findIndex((o) => o.kind === Op.OPEN_ROOT));
});
