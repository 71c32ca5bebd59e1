/**
 * The cgroup v2 driver against a temporary directory laid out like a cgroup2 filesystem:
 * which files it writes, with which values, and what it refuses; plus stats, freeze and
 * removal of what it created.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { SpecError } from "../../lib/errors.ts";
import {
  cgroupDirs,
  cgroupsFromPaths,
  CREATED_KEY,
  detectLayout,
  openCgroups,
} from "../../lib/cgroup/mod.ts";
import { blkioToIoWeight, sharesToWeight, swapMax } from "../../lib/cgroup/v2.ts";
import type { LinuxResources, Spec } from "../../lib/spec/types.ts";

const CONTROLLERS = "cpuset cpu io memory hugetlb pids rdma misc";

/** A fake cgroup2 root with the runtime in /test (its own cgroup). */
function fakeRoot(controllers = CONTROLLERS): string {
  const root = Deno.makeTempDirSync({ prefix: "drun-cg2-" });
  for (const d of [root, join(root, "test")]) {
    Deno.mkdirSync(d, { recursive: true });
    Deno.writeTextFileSync(join(d, "cgroup.controllers"), controllers + "\n");
    Deno.writeTextFileSync(join(d, "cgroup.subtree_control"), "");
    Deno.writeTextFileSync(join(d, "cgroup.procs"), "");
  }
  return root;
}

function spec(linux: Spec["linux"]): Spec {
  return { ociVersion: "1.2.0", root: { path: "rootfs" }, linux };
}

const SELF = "0::/test\n";

function open(root: string, linux: Spec["linux"], id = "c1", warnings: string[] = []) {
  const m = openCgroups(spec(linux), id, {
    root,
    procSelfCgroup: SELF,
    warn: (w) => warnings.push(w),
  });
  assert.ok(m, "a manager");
  return m;
}

function read(dir: string, f: string): string {
  return Deno.readTextFileSync(join(dir, f)).trim();
}

/** Empties a fake leaf (regular files would make rmdir fail) so destroy can run. */
function clearFiles(dir: string) {
  for (const e of Deno.readDirSync(dir)) {
    if (e.isFile) Deno.removeSync(join(dir, e.name));
    else clearFiles(join(dir, e.name));
  }
}

Deno.test("v2: layout detection", () => {
  const root = fakeRoot();
  const v1 = Deno.makeTempDirSync();
  Deno.mkdirSync(join(v1, "memory"));
  const none = Deno.makeTempDirSync();
  try {
    assert.equal(detectLayout(root), "v2");
    assert.equal(detectLayout(v1), "v1");
    assert.equal(detectLayout(none), "none");
    assert.equal(detectLayout(join(none, "missing")), "none");
  } finally {
    for (const d of [root, v1, none]) Deno.removeSync(d, { recursive: true });
  }
});

Deno.test("v2: conversions (shares → weight, blkio → io.weight, memory+swap → swap.max)", () => {
  assert.equal(sharesToWeight(2), 1);
  assert.equal(sharesToWeight(1024), 39);
  assert.equal(sharesToWeight(262144), 10000);
  assert.equal(sharesToWeight(1), 1, "clamped");
  assert.equal(blkioToIoWeight(10), 1);
  assert.equal(blkioToIoWeight(500), 4950);
  assert.equal(blkioToIoWeight(1000), 10000);
  assert.equal(swapMax(-1, 100), "max");
  assert.equal(swapMax(0, 100), undefined);
  assert.equal(swapMax(300, 100), "200");
  assert.equal(swapMax(100, 100), "0");
  assert.throws(() => swapMax(50, 100), /below memory.limit/);
  assert.throws(() => swapMax(50, undefined), /needs a memory limit/);
});

Deno.test("v2: default path, controllers enabled, every resource in its file", () => {
  const root = fakeRoot();
  const warnings: string[] = [];
  try {
    const resources: LinuxResources = {
      devices: [{ allow: false, access: "rwm" }],
      memory: { limit: 64 << 20, reservation: 32 << 20, swap: 96 << 20, swappiness: 10 },
      cpu: { shares: 1024, quota: 50000, period: 100000, cpus: "0-1", mems: "0", idle: 1 },
      pids: { limit: 42 },
      blockIO: { weight: 500, throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1048576 }] },
      hugepageLimits: [{ pageSize: "2MB", limit: 4194304 }],
      rdma: { mlx5_0: { hcaHandles: 3 } },
      unified: { "memory.high": "50000000", "pids.max": "41" },
    };
    const m = open(root, { resources }, "c1", warnings);
    const leaf = join(root, "test", "drun-c1");
    assert.equal(m.version, 2);
    assert.deepEqual(m.paths, { "": leaf });
    m.create();
    assert.ok(Deno.statSync(leaf).isDirectory);
    // Our own cgroup hands every controller it has down to the container.
    assert.equal(
      read(join(root, "test"), "cgroup.subtree_control"),
      CONTROLLERS.split(" ").map((c) => `+${c}`).join(" "),
    );
    assert.equal(read(root, "cgroup.subtree_control"), "", "above our own cgroup: untouched");
    m.apply(resources);
    assert.equal(read(leaf, "memory.max"), String(64 << 20));
    assert.equal(read(leaf, "memory.low"), String(32 << 20));
    assert.equal(read(leaf, "memory.swap.max"), String(32 << 20), "swap is memory+swap - memory");
    assert.equal(read(leaf, "cpu.weight"), "39");
    assert.equal(read(leaf, "cpu.max"), "50000 100000");
    assert.equal(read(leaf, "cpu.idle"), "1");
    assert.equal(read(leaf, "cpuset.cpus"), "0-1");
    assert.equal(read(leaf, "cpuset.mems"), "0");
    assert.equal(read(leaf, "io.weight"), "default 4950");
    assert.equal(read(leaf, "io.max"), "8:0 rbps=1048576");
    assert.equal(read(leaf, "hugetlb.2MB.max"), "4194304");
    assert.equal(read(leaf, "rdma.max"), "mlx5_0 hca_handle=3 hca_object=max");
    assert.equal(read(leaf, "memory.high"), "50000000");
    assert.equal(read(leaf, "pids.max"), "41", "unified keys are written last and win");
    assert.ok(warnings.some((w) => w.includes("devices") && w.includes("eBPF")), `${warnings}`);
    assert.ok(warnings.some((w) => w.includes("swappiness")), `${warnings}`);

    m.join(4242);
    assert.equal(read(leaf, "cgroup.procs"), "4242");
    clearFiles(leaf);
    m.destroy();
    assert.throws(() => Deno.statSync(leaf), Deno.errors.NotFound);
    m.destroy(); // idempotent
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("v2: quota -1 is max, pids 0/-1 are max, swap -1 is max, bfq weight as is", () => {
  const root = fakeRoot();
  try {
    const m = open(root, { resources: {} });
    m.create();
    const leaf = m.paths[""];
    Deno.writeTextFileSync(join(leaf, "io.bfq.weight"), "100");
    m.apply({
      cpu: { quota: -1, period: 20000 },
      pids: { limit: -1 },
      memory: { limit: -1 },
      blockIO: { weight: 300, weightDevice: [{ major: 8, minor: 16, weight: 200 }] },
    });
    assert.equal(read(leaf, "cpu.max"), "max 20000");
    assert.equal(read(leaf, "pids.max"), "max");
    assert.equal(read(leaf, "memory.max"), "max");
    assert.equal(read(leaf, "io.bfq.weight"), "8:16 200", "per-device weight after default");
    m.update({ pids: { limit: 0 }, memory: { swap: -1 } });
    assert.equal(read(leaf, "pids.max"), "max");
    assert.equal(read(leaf, "memory.swap.max"), "max");
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("v2: update keeps what it is not told about and converts swap with the current limit", () => {
  const root = fakeRoot();
  try {
    const m = open(root, { resources: {} });
    m.create();
    const leaf = m.paths[""];
    m.apply({ cpu: { quota: 30000, period: 100000 }, memory: { limit: 100 } });
    m.update({ cpu: { period: 50000 } });
    assert.equal(read(leaf, "cpu.max"), "30000 50000", "quota kept");
    m.update({ cpu: { quota: 10000 } });
    assert.equal(read(leaf, "cpu.max"), "10000", "period kept (one word)");
    m.update({ memory: { swap: 250 } });
    assert.equal(read(leaf, "memory.swap.max"), "150");
    Deno.writeTextFileSync(join(leaf, "memory.current"), "5000\n");
    assert.throws(
      () => m.update({ memory: { limit: 4000, checkBeforeUpdate: true } }),
      /resources\.memory\.limit: new limit 4000 is below the current usage 5000/,
    );
    assert.equal(read(leaf, "memory.max"), "100");
    assert.throws(
      () => m.update({ cpu: { realtimeRuntime: 1000 } }),
      (e) => e instanceof SpecError && e.path === "resources.cpu.realtimeRuntime",
    );
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("v2: refuses what the host cannot do, before creating anything", () => {
  const root = fakeRoot("cpu memory pids");
  try {
    const cases: [Spec["linux"], string][] = [
      [
        { resources: { hugepageLimits: [{ pageSize: "2MB", limit: 1 }] } },
        "linux.resources.hugepageLimits",
      ],
      [{ resources: { cpu: { cpus: "0" } } }, "linux.resources.cpu.cpus"],
      [{ resources: { blockIO: { weight: 100 } } }, "linux.resources.blockIO"],
      [{ resources: { unified: { "misc.max": "x 1" } } }, 'linux.resources.unified["misc.max"]'],
      [{ resources: { cpu: { realtimeRuntime: 950 } } }, "linux.resources.cpu.realtimeRuntime"],
      [{ resources: { memory: { swap: 100 } } }, "linux.resources.memory.swap"],
      [{ resources: { memory: { limit: 200, swap: 100 } } }, "linux.resources.memory.swap"],
      [{ cgroupsPath: "machine.slice:drun:c1" }, "linux.cgroupsPath"],
      [{ cgroupsPath: "/test" }, "linux.cgroupsPath"],
      [{ cgroupsPath: "a/../../x" }, "linux.cgroupsPath"],
    ];
    for (const [linux, field] of cases) {
      assert.throws(
        () => openCgroups(spec(linux), "c1", { root, procSelfCgroup: SELF }),
        (e) => e instanceof SpecError && e.path === field,
        JSON.stringify(linux),
      );
    }
    assert.deepEqual(
      [...Deno.readDirSync(join(root, "test"))].filter((e) => e.isDirectory),
      [],
      "nothing created",
    );
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("v2: nested and absolute cgroupsPath; created parents recorded and removed", () => {
  const root = fakeRoot();
  try {
    const m = open(root, { cgroupsPath: "pods/p1/c1" });
    const leaf = join(root, "test", "pods", "p1", "c1");
    assert.equal(m.paths[""], leaf);
    m.create();
    assert.deepEqual(JSON.parse(m.paths[CREATED_KEY]), [join(root, "test", "pods")]);
    assert.deepEqual(cgroupDirs(m.paths), [leaf]);
    // Controllers flow down each level we made.
    assert.match(read(join(root, "test", "pods"), "cgroup.subtree_control"), /\+memory/);
    assert.match(read(join(root, "test", "pods", "p1"), "cgroup.subtree_control"), /\+memory/);
    clearFiles(join(root, "test", "pods"));
    // A later command only has the stored paths.
    const again = cgroupsFromPaths(JSON.parse(JSON.stringify(m.paths)));
    assert.ok(again);
    assert.equal(again.version, 2);
    again.destroy();
    assert.throws(() => Deno.statSync(join(root, "test", "pods")), Deno.errors.NotFound);
    assert.ok(Deno.statSync(join(root, "test")).isDirectory, "our own cgroup stays");

    const abs = open(root, { cgroupsPath: "/elsewhere/c2" });
    assert.equal(abs.paths[""], join(root, "elsewhere", "c2"));
    abs.create();
    assert.equal(
      read(root, "cgroup.subtree_control"),
      "",
      "an existing cgroup outside our own is never reconfigured",
    );
    clearFiles(join(root, "elsewhere"));
    abs.destroy();
    assert.throws(() => Deno.statSync(join(root, "elsewhere")), Deno.errors.NotFound);
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("v2: freeze/thaw through cgroup.freeze, pids, oom count and stats", async () => {
  const root = fakeRoot();
  try {
    const m = open(root, {});
    m.create();
    const leaf = m.paths[""];
    const w = (f: string, t: string) => Deno.writeTextFileSync(join(leaf, f), t);
    w("cgroup.events", "populated 1\nfrozen 1\n");
    await m.freeze();
    assert.equal(read(leaf, "cgroup.freeze"), "1");
    assert.equal(m.isFrozen(), true);
    m.thaw();
    assert.equal(m.isFrozen(), false);

    w("cgroup.procs", "10\n11\n");
    Deno.mkdirSync(join(leaf, "sub"));
    Deno.writeTextFileSync(join(leaf, "sub", "cgroup.procs"), "12\n");
    assert.deepEqual(m.pids(), [10, 11, 12]);

    w("memory.events", "low 0\nhigh 0\nmax 7\noom 2\noom_kill 2\n");
    assert.equal(m.oomKillCount(), 2);
    w("cpu.stat", "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\nnr_periods 4\n");
    w("memory.current", "4096\n");
    w("memory.max", "max\n");
    w("memory.peak", "8192\n");
    w("memory.stat", "anon 100\nfile 200\n");
    w("pids.current", "3\n");
    w("pids.max", "10\n");
    w("io.stat", "8:0 rbytes=10 wbytes=20 rios=1 wios=2 dbytes=0 dios=0\n");
    w("hugetlb.2MB.max", "max\n");
    w("hugetlb.2MB.current", "0\n");
    const s = m.stats();
    assert.deepEqual(s.cpu.usage, { total: 1_500_000n, kernel: 500_000n, user: 1_000_000n });
    assert.equal(s.cpu.throttling.periods, 4n);
    assert.equal(s.memory.usage.usage, 4096n);
    assert.equal(s.memory.usage.limit, 0n, "max reads as no limit");
    assert.equal(s.memory.usage.max, 8192n);
    assert.equal(s.memory.usage.failcnt, 7n);
    assert.equal(s.memory.cache, 200n);
    assert.deepEqual(s.memory.raw, { anon: 100n, file: 200n });
    assert.deepEqual(s.pids, { current: 3n, limit: 10n });
    assert.deepEqual(s.blkio.ioServiceBytesRecursive, [
      { major: 8, minor: 0, op: "Read", value: 10n },
      { major: 8, minor: 0, op: "Write", value: 20n },
    ]);
    assert.deepEqual(s.hugetlb, { "2MB": { usage: undefined, failcnt: 0n } });
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});
