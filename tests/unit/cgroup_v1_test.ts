/**
 * The cgroup v1 driver against a temporary directory laid out like v1 hierarchies (one
 * directory per hierarchy, co-mounted controllers sharing one): paths, the cpuset seeding,
 * device rule order, memory/swap write order, and removal of created parents.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { cgroupsFromPaths, CREATED_KEY, openCgroups } from "../../lib/cgroup/mod.ts";
import { deviceRules } from "../../lib/cgroup/v1.ts";
import type { Spec } from "../../lib/spec/types.ts";

const HIERARCHIES = ["cpu,cpuacct", "cpuset", "memory", "devices", "freezer", "pids", "name=x"];

function fakeV1(): string {
  const root = Deno.makeTempDirSync({ prefix: "drun-cg1-" });
  for (const h of HIERARCHIES) {
    Deno.mkdirSync(join(root, h, "own"), { recursive: true });
    for (const d of [join(root, h), join(root, h, "own")]) {
      Deno.writeTextFileSync(join(d, "cgroup.procs"), "");
    }
  }
  Deno.writeTextFileSync(join(root, "cpuset", "own", "cpuset.cpus"), "0-3\n");
  Deno.writeTextFileSync(join(root, "cpuset", "own", "cpuset.mems"), "0\n");
  return root;
}

const SELF = [
  "7:name=x:/",
  "6:pids:/own",
  "5:freezer:/own",
  "4:devices:/own",
  "3:memory:/own",
  "2:cpuset:/own",
  "1:cpu,cpuacct:/own",
  "0::/",
].join("\n");

function spec(linux: Spec["linux"], devices?: NonNullable<Spec["linux"]>["devices"]): Spec {
  return { ociVersion: "1.2.0", linux: { ...linux, devices } };
}

function read(dir: string, f: string): string {
  return Deno.readTextFileSync(join(dir, f)).trim();
}

function clearFiles(dir: string) {
  for (const e of Deno.readDirSync(dir)) {
    if (e.isFile) Deno.removeSync(join(dir, e.name));
    else clearFiles(join(dir, e.name));
  }
}

Deno.test("v1: one directory per hierarchy, co-mounted controllers share it; named ones skipped", () => {
  const root = fakeV1();
  try {
    const m = openCgroups(spec({}), "c1", { root, procSelfCgroup: SELF });
    assert.ok(m);
    assert.equal(m.version, 1);
    const leaf = (h: string) => join(root, h, "own", "drun-c1");
    assert.deepEqual(m.paths, {
      cpu: leaf("cpu,cpuacct"),
      cpuacct: leaf("cpu,cpuacct"),
      cpuset: leaf("cpuset"),
      memory: leaf("memory"),
      devices: leaf("devices"),
      freezer: leaf("freezer"),
      pids: leaf("pids"),
    });
    m.create();
    // The new cpuset got its parent's cpus and mems before anything joins it.
    assert.equal(read(leaf("cpuset"), "cpuset.cpus"), "0-3");
    assert.equal(read(leaf("cpuset"), "cpuset.mems"), "0");
    m.join(77);
    for (const h of HIERARCHIES.slice(0, 6)) assert.equal(read(leaf(h), "cgroup.procs"), "77");
    for (const h of HIERARCHIES.slice(0, 6)) clearFiles(leaf(h));
    m.destroy();
    for (const h of HIERARCHIES) {
      assert.throws(() => Deno.statSync(join(root, h, "own", "drun-c1")), Deno.errors.NotFound);
      assert.ok(Deno.statSync(join(root, h, "own")).isDirectory, "own cgroup kept");
    }
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("v1: knobs, with memsw written first when the limit rises above it", () => {
  const root = fakeV1();
  try {
    const m = openCgroups(spec({}), "c1", { root, procSelfCgroup: SELF });
    assert.ok(m);
    m.create();
    const mem = m.paths.memory;
    const writes: string[] = [];
    const real = Deno.writeTextFileSync;
    Deno.writeTextFileSync = ((p: string | URL, d: string, o?: Deno.WriteFileOptions) => {
      writes.push(`${String(p).slice(root.length)}=${d}`);
      real(p, d, o);
    }) as typeof Deno.writeTextFileSync;
    try {
      Deno.writeTextFileSync(join(mem, "memory.memsw.limit_in_bytes"), "1000");
      Deno.writeTextFileSync(join(mem, "memory.limit_in_bytes"), "1000");
      writes.length = 0;
      m.apply({
        memory: {
          limit: 4000,
          swap: 8000,
          reservation: 2000,
          swappiness: 5,
          disableOOMKiller: true,
        },
        cpu: { shares: 512, quota: 25000, period: 50000, cpus: "1" },
        pids: { limit: 0 },
      });
      const memWrites = writes.filter((w) => w.includes("/memory/"));
      assert.deepEqual(memWrites.slice(0, 2), [
        "/memory/own/drun-c1/memory.memsw.limit_in_bytes=8000",
        "/memory/own/drun-c1/memory.limit_in_bytes=4000",
      ]);
      writes.length = 0;
      m.update({ memory: { limit: 500, swap: 600 } });
      assert.deepEqual(writes, [
        "/memory/own/drun-c1/memory.limit_in_bytes=500",
        "/memory/own/drun-c1/memory.memsw.limit_in_bytes=600",
      ], "lowering: the limit first");
    } finally {
      Deno.writeTextFileSync = real;
    }
    assert.equal(read(mem, "memory.soft_limit_in_bytes"), "2000");
    assert.equal(read(mem, "memory.swappiness"), "5");
    assert.equal(read(mem, "memory.oom_control"), "1");
    assert.equal(read(m.paths.cpu, "cpu.shares"), "512");
    assert.equal(read(m.paths.cpu, "cpu.cfs_quota_us"), "25000");
    assert.equal(read(m.paths.cpu, "cpu.cfs_period_us"), "50000");
    assert.equal(read(m.paths.cpuset, "cpuset.cpus"), "1");
    assert.equal(read(m.paths.pids, "pids.max"), "max");
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("v1: device rules keep config order, then base devices a later deny does not name", () => {
  const rules = deviceRules(
    [
      { allow: false, access: "rwm" },
      { allow: true, type: "c", major: 10, minor: 200, access: "rw" },
      { allow: false, type: "c", major: 1, minor: 9 },
    ],
    [{ type: "b", major: 8, minor: 0, access: "rwm" }],
  );
  const text = rules.map((r) => `${r.allow ? "allow" : "deny"} ${r.rule}`);
  assert.equal(text[0], "deny a");
  assert.ok(text.includes("allow c 1:3 rwm"), "null");
  assert.ok(text.includes("allow c *:* m"), "mknod");
  assert.ok(text.includes("allow c 136:* rwm"), "pts");
  assert.ok(text.includes("allow b 8:0 rwm"), "the config's linux.devices");
  // The config's rules first and in its order (devices.list reads as configured).
  assert.deepEqual(text.slice(0, 3), ["deny a", "allow c 10:200 rw", "deny c 1:9 rwm"]);
  assert.ok(!text.includes("allow c 1:9 rwm"), "a later deny still wins over a base device");
  // No deny-all: only the config's rules (the cgroup inherits its parent's allow-all).
  assert.deepEqual(
    deviceRules([{ allow: false, type: "b", major: 8, minor: -1, access: "w" }], []),
    [{ allow: false, rule: "b 8:* w" }],
  );
});

Deno.test("v1: a nested path records and removes the parents it made, also from stored paths", () => {
  const root = fakeV1();
  try {
    const m = openCgroups(spec({ cgroupsPath: "pod/c1" }), "c1", {
      root,
      procSelfCgroup: SELF,
    });
    assert.ok(m);
    m.create();
    const tops = JSON.parse(m.paths[CREATED_KEY]) as string[];
    assert.equal(tops.length, 6);
    assert.ok(tops.every((t) => t.endsWith("/own/pod")));
    assert.equal(read(join(root, "cpuset", "own", "pod"), "cpuset.cpus"), "0-3");
    assert.equal(read(join(root, "cpuset", "own", "pod", "c1"), "cpuset.cpus"), "0-3");
    for (const h of HIERARCHIES.slice(0, 6)) clearFiles(join(root, h, "own", "pod"));
    const stored = cgroupsFromPaths(JSON.parse(JSON.stringify(m.paths)));
    assert.ok(stored);
    stored.destroy();
    stored.destroy();
    for (const h of HIERARCHIES) {
      assert.throws(() => Deno.statSync(join(root, h, "own", "pod")), Deno.errors.NotFound);
    }
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});
