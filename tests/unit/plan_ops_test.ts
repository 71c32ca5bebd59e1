/**
 * The op constructors (lib/plan/ops.ts) against the positions zig/src/child.zig reads: one
 * constructor per kind, each argument at its documented number or string, optional trailing
 * numbers encoded only when given. Then the errors a failed step makes: field and action
 * as two parts, mounts with their flags by name and their data.
 */
import assert from "node:assert/strict";
import { buildExecPlan, buildPlan } from "../../lib/plan/build.ts";
import { MsgKind } from "../../lib/native/ffi.ts";
import { launchError } from "../../lib/launch.ts";
import { NONE, Op, type OpKind, type PlanOp } from "../../lib/plan/encode.ts";
import { mountFlagNames, MS } from "../../lib/plan/mount_options.ts";
import { describeStep, ops } from "../../lib/plan/ops.ts";
import { probeSpec } from "../helpers.ts";

const s = { action: "a" };

/** A cpu_set_t of `size` bytes starting with `head`. */
function cpuSet(size: number, head: number[]): Uint8Array {
  const mask = new Uint8Array(size);
  mask.set(head);
  return mask;
}

/** Every constructor, called once with distinct values, and what the init must read. */
const CASES: [PlanOp, OpKind, PlanOp["nums"], PlanOp["strs"]][] = [
  [ops.signalsReset(s), Op.SIGNALS_RESET, [], []],
  [ops.waitParent(s), Op.WAIT_PARENT, [], []],
  [ops.setns({ ...s, nsFlag: 0x40000000, path: "/p" }), Op.SETNS, [0x40000000], ["/p"]],
  [ops.unshare({ ...s, flags: 0x80 }), Op.UNSHARE, [0x80], []],
  [ops.forkPid({ ...s, cloneFlags: 7 }), Op.FORK_PID, [7], []],
  [ops.syncHooks(s), Op.SYNC_HOOKS, [], []],
  [
    ops.runHook({
      ...s,
      path: "/h",
      args: ["h", "x"],
      env: ["E=1"],
      timeoutMs: 9,
      state: "created",
    }),
    Op.RUN_HOOK,
    [2, 9, 1],
    ["/h", "h", "x", "E=1"],
  ],
  [ops.openSlot({ ...s, slot: 2, flags: 0o2000000, path: "/f" }), Op.OPEN_SLOT, [2, 0o2000000], [
    "/f",
  ]],
  [ops.fifoWait({ ...s, slot: 3 }), Op.FIFO_WAIT, [3], []],
  [ops.ready(s), Op.READY, [], []],
  [ops.setsid(s), Op.SETSID, [], []],
  [ops.console({ ...s, rows: 24, cols: 80 }), Op.CONSOLE, [24, 80], []],
  [ops.keyring({ ...s, name: "_ses.c" }), Op.KEYRING, [], ["_ses.c"]],
  [ops.closeFds({ ...s, from: 5, keep: [9, 11] }), Op.CLOSE_FDS, [5, 9, 11], []],
  [ops.loUp(s), Op.LO_UP, [], []],
  [ops.sethostname({ ...s, name: "h" }), Op.SETHOSTNAME, [], ["h"]],
  [ops.setdomainname({ ...s, name: "d" }), Op.SETDOMAINNAME, [], ["d"]],
  [ops.writeFile({ ...s, path: "/w", content: "1" }), Op.WRITE_FILE, [], ["/w", "1"]],
  [ops.resolveExec({ ...s, file: "sh", searchPath: "/bin" }), Op.RESOLVE_EXEC, [], ["sh", "/bin"]],
  [ops.exec({ ...s, args: ["sh", "-c"], env: ["A=1"] }), Op.EXEC, [2], ["sh", "-c", "A=1"]],
  [ops.openRoot({ ...s, path: "/r" }), Op.OPEN_ROOT, [], ["/r"]],
  [ops.pivot(s), Op.PIVOT, [], []],
  [ops.moveRoot(s), Op.MOVE_ROOT, [], []],
  [ops.chroot(s), Op.CHROOT, [], []],
  [
    ops.mountInRoot({
      ...s,
      source: "src",
      target: "dst",
      fstype: "tmpfs",
      data: "size=1m",
      flags: 1,
      propagation: 2,
      create: "file",
      bind: true,
      remountFlags: 3,
      attrSet: 4,
      attrClr: 5,
      keepSlot: 6,
    }),
    Op.MOUNT_IN_ROOT,
    [1, 2, 2, 1, 3, 4, 5, 6],
    ["src", "dst", "tmpfs", "size=1m"],
  ],
  [
    ops.mount({
      ...s,
      source: "s",
      target: "/t",
      fstype: "f",
      data: "d",
      flags: 8,
      optionalTarget: true,
    }),
    Op.MOUNT,
    [8, 1],
    ["s", "/t", "f", "d"],
  ],
  [
    ops.mknod({ ...s, path: "/dev/x", mode: 0o020600, dev: 0x103n, uid: 4, gid: 5 }),
    Op.MKNOD,
    [0o020600, 0x103n, 4, 5],
    ["/dev/x"],
  ],
  [ops.symlink({ ...s, target: "pts/ptmx", link: "/dev/ptmx" }), Op.SYMLINK, [], [
    "pts/ptmx",
    "/dev/ptmx",
  ]],
  [ops.chdir({ ...s, dir: "/w", createMissing: true }), Op.CHDIR, [1], ["/w"]],
  [ops.maskPath({ ...s, path: "/proc/kcore" }), Op.MASK_PATH, [], ["/proc/kcore"]],
  [ops.setattrSlot({ ...s, slot: 1, attrSet: 2, attrClr: 3 }), Op.SETATTR_SLOT, [1, 2, 3], []],
  [
    ops.idmapTree({
      ...s,
      index: 3,
      recursive: true,
      idmapRecursive: true,
      attrSet: 1,
      attrClr: 2,
      propagation: MS.SLAVE,
      source: "/src",
      uidMap: "0 1 2\n",
      gidMap: "0 3 4\n",
    }),
    Op.IDMAP_TREE,
    [3, 0x8000, 0x8000, 1, 2, MS.SLAVE],
    ["/src", "0 1 2\n", "0 3 4\n"],
  ],
  [ops.mountTree({ ...s, index: 2, target: "d", create: "dir" }), Op.MOUNT_TREE, [2, 1], ["d"]],
  [ops.setresuid({ ...s, uid: 7 }), Op.SETRESUID, [7, 7, 7], []],
  [ops.setresgid({ ...s, gid: 8 }), Op.SETRESGID, [8, 8, 8], []],
  [ops.setgroups({ ...s, gids: [1, 0x10203] }), Op.SETGROUPS, [], [
    new Uint8Array([1, 0, 0, 0, 3, 2, 1, 0]),
  ]],
  [ops.rlimit({ ...s, resource: 7, soft: 10n, hard: NONE }), Op.RLIMIT, [7, 10n, NONE], []],
  [ops.umask({ ...s, mask: 0o027 }), Op.UMASK, [0o027], []],
  [ops.capsBounding({ ...s, keep: 5n, lastCap: 40 }), Op.CAPS_BOUNDING, [5n, 40], []],
  [
    ops.prctl({ ...s, option: 1, arg2: 2, arg3: 3, bestEffort: true }),
    Op.PRCTL,
    [1, 2, 3, 1],
    [],
  ],
  [
    ops.capset({ ...s, effective: 1n, permitted: 2n, inheritable: 3n }),
    Op.CAPSET,
    [1n, 2n, 3n],
    [],
  ],
  [ops.capsAmbient({ ...s, raise: 6n, lastCap: 40 }), Op.CAPS_AMBIENT, [6n, 40], []],
  [
    ops.seccomp({ ...s, program: new Uint8Array([9]), flags: 1, listenerFd: 4, timeoutMs: 50 }),
    Op.SECCOMP,
    [1, 4, 50],
    [new Uint8Array([9])],
  ],
  [ops.personality({ ...s, persona: 8 }), Op.PERSONALITY, [8], []],
  [ops.affinity({ ...s, cpus: [0, 9] }), Op.AFFINITY, [], [cpuSet(128, [1, 2])]],
  [ops.ioprio({ ...s, ioClass: 2, level: 4 }), Op.IOPRIO, [2, 4], []],
  [
    ops.sched({
      ...s,
      policy: 6,
      flags: 1,
      nice: -3,
      priority: 2,
      runtime: 10,
      deadline: 20,
      period: 30,
    }),
    Op.SCHED,
    [6, 1, 0xfffffffdn, 2, 10, 20, 30],
    [],
  ],
];

Deno.test("plan ops: one constructor per kind, named after it", () => {
  const camel = (k: string) => k.toLowerCase().replace(/_([a-z])/g, (_, c) => c.toUpperCase());
  assert.deepEqual(Object.keys(ops).sort(), Object.keys(Op).map(camel).sort());
  assert.deepEqual(CASES.map(([op]) => op.kind).sort(), Object.values(Op).sort());
});

Deno.test("plan ops: each argument lands at the number or string child.zig reads", () => {
  for (const [op, kind, nums, strs] of CASES) {
    const name = Object.entries(Op).find(([, v]) => v === kind)![0];
    assert.equal(op.kind, kind, name);
    assert.deepEqual(op.nums, nums, name);
    assert.deepEqual(op.strs, strs, name);
    assert.deepEqual([op.field, op.action], [undefined, "a"], name);
  }
});

Deno.test("plan ops: optional numbers are encoded only when given, defaults are 0 and ''", () => {
  const base = { action: "a", source: "s", target: "t", flags: 1 };
  assert.deepEqual(ops.mountInRoot(base).nums, [1, 0, 0, 0, 0]);
  assert.deepEqual(ops.mountInRoot(base).strs, ["s", "t", "", ""]);
  assert.deepEqual(ops.mountInRoot({ ...base, attrSet: 0, attrClr: 0 }).nums, [
    1,
    0,
    0,
    0,
    0,
    0,
    0,
  ]);
  // A slot given after attributes left out: those are encoded as 0.
  assert.deepEqual(ops.mountInRoot({ ...base, keepSlot: 0 }).nums, [1, 0, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual(ops.mount({ action: "a", target: "/", flags: 2 }).nums, [2]);
  assert.deepEqual(ops.mount({ action: "a", target: "/", flags: 2 }).strs, ["", "/", "", ""]);
  assert.deepEqual(ops.chdir({ action: "a", dir: "/" }).nums, []);
  assert.deepEqual(ops.prctl({ action: "a", option: 1, arg2: 0, arg3: 0 }).nums, [1, 0, 0]);
  assert.deepEqual(ops.seccomp({ ...s, program: new Uint8Array(), flags: 0, timeoutMs: 1 }).nums, [
    0,
    NONE,
    1,
  ]);
  assert.deepEqual(
    ops.idmapTree({
      ...s,
      index: 0,
      recursive: false,
      attrSet: 0,
      attrClr: 0,
      propagation: 0,
      source: "/s",
    }).strs,
    ["/s", "", ""],
  );
  // Past the 1024 cpus of glibc's cpu_set_t the mask grows, in whole u64s.
  const big = cpuSet(256, []);
  big[250] = 1;
  assert.deepEqual(ops.affinity({ ...s, cpus: [2000] }).strs, [big]);
  assert.deepEqual(ops.setns({ field: "f", action: "a", nsFlag: 1, path: "/p" }).field, "f");
});

Deno.test("plan ops: every step of real plans has an action, and a field only as a config path", () => {
  const spec = probeSpec();
  spec.linux!.namespaces!.push({ type: "user" });
  spec.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
  spec.linux!.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
  spec.linux!.devices = [{ path: "/dev/net/tun", type: "c", major: 10, minor: 200 }];
  spec.mounts!.push({
    destination: "/d",
    type: "bind",
    source: "/tmp",
    options: ["rbind", "idmap"],
  });
  const plans = [
    buildPlan({ spec: probeSpec(), rootfs: "/x", fifoPath: "/f", cgroupLines: ["1:memory:/"] }),
    buildPlan({ spec, rootfs: "/x", fifoPath: "/f" }),
    buildExecPlan({
      process: probeSpec().process!,
      linux: {},
      namespaces: [{ type: "pid", path: "/proc/1/ns/pid" }],
    }),
  ];
  for (const op of plans.flatMap((p) => p.ops)) {
    assert.ok(op.action !== "" && !op.action.includes(": "), op.action);
    if (op.field !== undefined) assert.match(op.field, /^[a-zA-Z][\w.\[\]]*$/, op.action);
  }
  const tun = plans[1].ops.find((o) => o.field === "linux.devices[0]")!;
  assert.equal(tun.action, "bind /dev/net/tun from the host");
});

Deno.test("mount flag names come from the option words, then the MS_ names", () => {
  assert.deepEqual(mountFlagNames(0), []);
  assert.deepEqual(mountFlagNames(MS.NOSUID | MS.STRICTATIME), ["nosuid", "strictatime"]);
  assert.deepEqual(mountFlagNames(MS.BIND | MS.REC | MS.RDONLY), ["ro", "rbind"]);
  assert.deepEqual(mountFlagNames(MS.BIND), ["bind"]);
  assert.deepEqual(mountFlagNames(MS.SLAVE | MS.REC), ["rslave"]);
  assert.deepEqual(mountFlagNames(MS.PRIVATE), ["private"]);
  assert.deepEqual(mountFlagNames(MS.REMOUNT | MS.BIND | MS.RDONLY), ["ro", "remount", "bind"]);
  assert.deepEqual(mountFlagNames(MS.MOVE | MS.REC | MS.SILENT), ["move", "rec", "silent"]);
  assert.deepEqual(mountFlagNames(0x80000000), ["0x80000000"]);
});

Deno.test("launch errors: the field, the action with a mount's flags and data, the errno", () => {
  const tmpfs = ops.mountInRoot({
    field: "mounts[1]",
    action: "mount tmpfs on /dev",
    source: "tmpfs",
    target: "dev",
    fstype: "tmpfs",
    data: "mode=755,size=65536k",
    flags: MS.NOSUID | MS.STRICTATIME,
    create: "dir",
  });
  assert.equal(
    describeStep(tmpfs),
    "mount tmpfs on /dev (flags nosuid,strictatime, data mode=755,size=65536k)",
  );
  const bind = ops.mountInRoot({
    action: "b",
    source: "/s",
    target: "t",
    flags: MS.BIND,
    propagation: MS.PRIVATE,
    bind: true,
    remountFlags: MS.REMOUNT | MS.BIND | MS.RDONLY,
  });
  assert.equal(describeStep(bind), "b (flags bind, propagation private, remount ro,remount,bind)");
  assert.equal(describeStep(ops.mount({ action: "proc", target: "/proc", flags: 0 })), "proc");
  const tun = ops.mknod({
    field: "linux.devices[0]",
    action: "create /dev/net/tun",
    path: "/dev/net/tun",
    mode: 0o020666,
    dev: 0xac8n,
    uid: 0,
    gid: 0,
  });
  const plan = { cloneFlags: 0, ops: [tmpfs, tun, ops.setsid({ action: "start a new session" })] };
  const fail = (step: number, errno: number, detail: string) =>
    launchError(plan, { kind: MsgKind.ERROR, step, errno, detail, value: 0n });
  const e = fail(0, 22, "mount");
  assert.equal(e.path, "mounts[1]");
  assert.equal(
    e.message,
    "mounts[1]: mount tmpfs on /dev (flags nosuid,strictatime, data mode=755,size=65536k): " +
      "mount: EINVAL: invalid argument",
  );
  const d = fail(1, 1, "mknod");
  assert.equal(d.path, "linux.devices[0]");
  assert.match(d.message, /^linux\.devices\[0\]: create \/dev\/net\/tun: mknod: EPERM/);
  const n = fail(2, 1, "setsid");
  assert.equal(n.path, undefined);
  assert.match(n.message, /^start a new session: setsid: EPERM/);
  assert.equal(fail(3, 0, "bad magic").message, "start the container init: bad magic");
});
