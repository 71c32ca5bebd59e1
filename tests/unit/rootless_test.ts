/** Rootless mode decisions: the --rootless flag, the default state root, the id map writers. */
import assert from "node:assert/strict";
import { defaultStateRoot, inUserNamespace, rootlessMode } from "../../lib/rootless.ts";
import { idMapMethod } from "../../lib/id_maps.ts";
import { defaultSpec } from "../../lib/spec/default.ts";
import { buildPlan } from "../../lib/plan/build.ts";
import { Op } from "../../lib/plan/encode.ts";
import { openCgroups } from "../../lib/cgroup/mod.ts";

Deno.test("rootless: --rootless auto|true|false as runc", () => {
  assert.equal(rootlessMode("true", 0), true);
  assert.equal(rootlessMode("false", 1000), false);
  assert.equal(rootlessMode(undefined, 1000), true);
  assert.equal(rootlessMode("auto", 1000), true);
  assert.throws(() => rootlessMode("yes", 0), /--rootless: must be true, false or auto/);
});

Deno.test("rootless: a user namespace is told from the uid_map", () => {
  assert.equal(inUserNamespace("         0          0 4294967295\n"), false);
  assert.equal(inUserNamespace("         0       1000          1\n"), true);
});

Deno.test("rootless: the state root is $XDG_RUNTIME_DIR/drun for a user, /run/drun for root", () => {
  const no = () => false, yes = () => true;
  assert.equal(
    defaultStateRoot({ XDG_RUNTIME_DIR: "/run/user/1000" }, 1000, no),
    "/run/user/1000/drun",
  );
  assert.equal(defaultStateRoot({}, 1000, no), "/run/drun");
  assert.equal(defaultStateRoot({ XDG_RUNTIME_DIR: "/run/user/0" }, 0, no), "/run/drun");
  // Root in a user namespace (rootless podman) follows XDG_RUNTIME_DIR unless USER is root.
  const xdg = { XDG_RUNTIME_DIR: "/run/user/1000", USER: "me" };
  assert.equal(defaultStateRoot(xdg, 0, yes), "/run/user/1000/drun");
  assert.equal(defaultStateRoot({ ...xdg, USER: "root" }, 0, yes), "/run/drun");
});

Deno.test("rootless: own ids are written directly (setgroups denied), ranges by the helpers", () => {
  const own = defaultSpec({ rootless: true, hostUid: 1000, hostGid: 1000 });
  assert.deepEqual(idMapMethod(own, 1000, 1000), {
    uid: "direct",
    gid: "direct",
    denySetgroups: true,
  });
  const ranges = structuredClone(own);
  ranges.linux!.uidMappings!.push({ containerID: 1, hostID: 100000, size: 65536 });
  ranges.linux!.gidMappings!.push({ containerID: 1, hostID: 100000, size: 65536 });
  assert.deepEqual(idMapMethod(ranges, 1000, 1000), {
    uid: "helper",
    gid: "helper",
    denySetgroups: false,
  });
  assert.deepEqual(idMapMethod(ranges, 0, 0), {
    uid: "direct",
    gid: "direct",
    denySetgroups: false,
  });
  assert.equal(idMapMethod(defaultSpec(), 1000, 1000), undefined);
});

Deno.test("rootless: without a user namespace of its own, devices and cgroups are bound", () => {
  // Rootless podman runs drun as root in its user namespace, with no user namespace in the
  // config: mknod and a cgroupfs mount would fail there with EPERM.
  const spec = defaultSpec({ args: ["true"], terminal: false });
  spec.linux!.devices = [{ path: "/dev/fuse", type: "c", major: 10, minor: 229 }];
  const plan = (rootless: boolean) =>
    buildPlan({ spec, rootfs: "/x", fifoPath: "/f", rootless, cgroupLines: ["4:memory:/a"] });
  const mknods = (p: ReturnType<typeof plan>) => p.ops.filter((o) => o.kind === Op.MKNOD).length;
  const cgroupfs = (p: ReturnType<typeof plan>) =>
    p.ops.some((o) => o.kind === Op.MOUNT_IN_ROOT && o.strs[2] === "cgroup");
  assert.ok(mknods(plan(false)) > 0 && cgroupfs(plan(false)));
  assert.equal(mknods(plan(true)), 0);
  assert.equal(cgroupfs(plan(true)), false);
});

Deno.test("rootless: cgroups only in a hierarchy the runtime may write, else limits refused", () => {
  // A fake cgroup2 root: writable to us (a delegated subtree), then owned by someone else.
  const root = Deno.makeTempDirSync({ prefix: "drun-rootless-cg-" });
  try {
    Deno.writeTextFileSync(`${root}/cgroup.controllers`, "memory pids\n");
    Deno.writeTextFileSync(`${root}/cgroup.subtree_control`, "memory pids\n");
    const spec = defaultSpec({ rootless: true });
    const opts = { root, procSelfCgroup: "0::/\n", rootless: true };
    assert.ok(openCgroups(spec, "c1", opts), "a writable hierarchy is used");
    Deno.chownSync(root, 12345, 12345);
    Deno.chmodSync(root, 0o755);
    // Root would write anyway: the test asks whether the directory is the caller's.
    assert.equal(openCgroups(spec, "c1", opts), undefined, "no cgroups, silently");
    spec.linux!.resources = { pids: { limit: 10 } };
    assert.throws(
      () => openCgroups(spec, "c1", opts),
      /linux\.resources\.pids: cannot be applied: a rootless container has no writable/,
    );
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});
