/**
 * Validation of `linux.resources` / `linux.cgroupsPath` (and of `update`'s input): every
 * refused value names its field, and nothing is created on the way. Also the CLI's size and
 * duration parsers.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { ArgError, SpecError } from "../../lib/errors.ts";
import {
  openCgroups,
  SYSTEMD_PATH_MESSAGE,
  validateCgroupsPath,
  validateResources,
} from "../../lib/cgroup/mod.ts";
import { parseBytes, parseDuration } from "../../cli/args.ts";
import { defaultSpec } from "../../lib/spec/default.ts";
import type { Spec } from "../../lib/spec/types.ts";
import { validateSpec } from "../../lib/spec/validate.ts";

function refused(value: unknown, field: string, base = "linux.resources") {
  try {
    validateResources(value, base);
  } catch (e) {
    assert.ok(e instanceof SpecError, `expected SpecError, got ${e}`);
    assert.equal(e.path, field, e.message);
    assert.ok(e.message.startsWith(`${field}: `), e.message);
    return;
  }
  assert.fail(`${JSON.stringify(value)} was accepted; expected an error at ${field}`);
}

Deno.test("validateResources: refuses bad values, naming the field", () => {
  const R = "linux.resources";
  const cases: [unknown, string][] = [
    ["x", R],
    [{ memory: { limit: -2 } }, `${R}.memory.limit`],
    [{ memory: { limit: 1.5 } }, `${R}.memory.limit`],
    [{ memory: { reservation: "1G" } }, `${R}.memory.reservation`],
    [{ memory: { limit: 200, swap: 100 } }, `${R}.memory.swap`],
    [{ memory: { swappiness: 101 } }, `${R}.memory.swappiness`],
    [{ memory: { disableOOMKiller: 1 } }, `${R}.memory.disableOOMKiller`],
    [{ memory: [] }, `${R}.memory`],
    [{ cpu: { shares: -1 } }, `${R}.cpu.shares`],
    [{ cpu: { quota: -5 } }, `${R}.cpu.quota`],
    [{ cpu: { quota: 500 } }, `${R}.cpu.quota`],
    [{ cpu: { period: 100 } }, `${R}.cpu.period`],
    [{ cpu: { period: 2_000_000 } }, `${R}.cpu.period`],
    [{ cpu: { cpus: "0-" } }, `${R}.cpu.cpus`],
    [{ cpu: { cpus: "3-1" } }, `${R}.cpu.cpus`],
    [{ cpu: { mems: "a" } }, `${R}.cpu.mems`],
    [{ cpu: { idle: 2 } }, `${R}.cpu.idle`],
    [{ cpu: { realtimeRuntime: -3 } }, `${R}.cpu.realtimeRuntime`],
    [{ pids: {} }, `${R}.pids.limit`],
    [{ pids: { limit: -2 } }, `${R}.pids.limit`],
    [{ blockIO: { weight: 5 } }, `${R}.blockIO.weight`],
    [{ blockIO: { weight: 1001 } }, `${R}.blockIO.weight`],
    [
      { blockIO: { weightDevice: [{ major: 8, weight: 100 }] } },
      `${R}.blockIO.weightDevice[0].minor`,
    ],
    [
      { blockIO: { throttleReadBpsDevice: [{ major: 8, minor: 0, rate: -1 }] } },
      `${R}.blockIO.throttleReadBpsDevice[0].rate`,
    ],
    [{ devices: [{ access: "rwm" }] }, `${R}.devices[0].allow`],
    [{ devices: [{ allow: true, type: "x" }] }, `${R}.devices[0].type`],
    [{ devices: [{ allow: true, type: "c", major: -2 }] }, `${R}.devices[0].major`],
    [{ devices: [{ allow: true, access: "rwx" }] }, `${R}.devices[0].access`],
    [{ devices: [{ allow: true, access: "rr" }] }, `${R}.devices[0].access`],
    [{ hugepageLimits: [{ pageSize: "2M", limit: 1 }] }, `${R}.hugepageLimits[0].pageSize`],
    [{ hugepageLimits: [{ pageSize: "2MB" }] }, `${R}.hugepageLimits[0].limit`],
    [{ network: { classID: -1 } }, `${R}.network.classID`],
    [
      { network: { priorities: [{ name: "eth/0", priority: 1 }] } },
      `${R}.network.priorities[0].name`,
    ],
    [{ rdma: { "mlx 0": {} } }, `${R}.rdma["mlx 0"]`],
    [{ unified: { "../x": "1" } }, `${R}.unified["../x"]`],
    [{ unified: { "cgroup.procs": "1" } }, `${R}.unified["cgroup.procs"]`],
    [{ unified: { "memory.high": 5 } }, `${R}.unified["memory.high"]`],
  ];
  for (const [value, field] of cases) refused(value, field);
  // update names its fields from "resources".
  refused({ memory: { limit: -7 } }, "resources.memory.limit", "resources");
});

Deno.test("validateResources: accepts the full range of valid values", () => {
  const ok = {
    devices: [{ allow: false, access: "rwm" }, { allow: true, type: "c", major: 1, minor: -1 }],
    memory: {
      limit: -1,
      reservation: 0,
      swap: -1,
      kernel: 1,
      kernelTCP: -1,
      swappiness: 0,
      disableOOMKiller: true,
      checkBeforeUpdate: false,
    },
    cpu: {
      shares: 1024,
      quota: -1,
      period: 1000,
      burst: 0,
      realtimeRuntime: -1,
      realtimePeriod: 1000000,
      cpus: "0-3,7",
      mems: "",
      idle: 0,
    },
    pids: { limit: 0 },
    blockIO: {
      weight: 10,
      leafWeight: 0,
      weightDevice: [{ major: 8, minor: 0, weight: 1000 }],
      throttleWriteIOPSDevice: [{ major: 8, minor: 0, rate: 0 }],
    },
    hugepageLimits: [{ pageSize: "1GB", limit: 2 ** 64 }],
    network: { classID: 0x100001, priorities: [{ name: "eth0", priority: 5 }] },
    rdma: { mlx5_0: { hcaHandles: 1, hcaObjects: 2 } },
    unified: { "memory.high": "1G", "io.max": "8:0 rbps=1" },
    somethingNew: { ignored: true },
  };
  // A checked copy, as validateSpec returns: the caller's object is neither handed back nor
  // changed (the shared rules drop JSON nulls as absent).
  const copy = validateResources(ok);
  assert.deepEqual(copy, ok);
  assert.notEqual(copy, ok);
  const withNull = { memory: null, pids: { limit: 5 } };
  assert.deepEqual(validateResources(withNull), { pids: { limit: 5 } });
  assert.equal(withNull.memory, null);
  assert.deepEqual(validateResources(undefined), {});
  assert.deepEqual(validateResources(null), {});
});

Deno.test("validateCgroupsPath: systemd form, .. and NUL refused", () => {
  assert.equal(validateCgroupsPath(undefined), undefined);
  assert.equal(validateCgroupsPath(""), undefined);
  assert.equal(validateCgroupsPath("/a/b"), "/a/b");
  assert.equal(validateCgroupsPath("a/b"), "a/b");
  assert.equal(validateCgroupsPath("/a:b:c"), "/a:b:c", "absolute paths are paths");
  for (const bad of ["system.slice:docker:abc", "::x", "user.slice:podman:"]) {
    assert.throws(
      () => validateCgroupsPath(bad),
      (e) =>
        e instanceof SpecError && e.path === "linux.cgroupsPath" &&
        e.message === `linux.cgroupsPath: ${SYSTEMD_PATH_MESSAGE}`,
    );
  }
  for (const bad of ["../x", "/a/../../b", "a\0b", 5]) {
    assert.throws(
      () => validateCgroupsPath(bad),
      (e) => e instanceof SpecError && e.path === "linux.cgroupsPath",
    );
  }
});

/** A fake v1 cgroupfs: one directory per hierarchy, the runtime at /. */
function fakeV1(): string {
  const root = Deno.makeTempDirSync({ prefix: "drun-cg1-" });
  for (const h of ["cpu,cpuacct", "memory", "pids", "freezer"]) {
    Deno.mkdirSync(join(root, h));
    Deno.writeTextFileSync(join(root, h, "cgroup.procs"), "");
  }
  Deno.writeTextFileSync(join(root, "cpu,cpuacct", "cpu.shares"), "1024");
  Deno.writeTextFileSync(join(root, "cpu,cpuacct", "cpu.cfs_quota_us"), "-1");
  return root;
}

const SELF_V1 = "4:cpu,cpuacct:/\n3:memory:/\n2:pids:/\n1:freezer:/\n0::/\n";

function dirsUnder(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of Deno.readDirSync(d)) {
      if (e.isDirectory) {
        out.push(join(d, e.name));
        walk(join(d, e.name));
      }
    }
  };
  walk(root);
  return out.sort();
}

Deno.test("openCgroups: refuses before creating anything (cgroupsPath, v1-only, host limits)", () => {
  const root = fakeV1();
  try {
    const before = dirsUnder(root);
    const spec = (linux: Spec["linux"]): Spec => ({ ociVersion: "1.2.0", linux });
    const cases: [Spec["linux"], string][] = [
      [{ resources: { unified: { "memory.high": "1G" } } }, "linux.resources.unified"],
      [
        { resources: { hugepageLimits: [{ pageSize: "2MB", limit: 1 }] } },
        "linux.resources.hugepageLimits",
      ],
      [{ resources: { rdma: { mlx5_0: {} } } }, "linux.resources.rdma"],
      [{ resources: { cpu: { realtimeRuntime: 1000 } } }, "linux.resources.cpu.realtimeRuntime"],
      [{ resources: { blockIO: { weight: 100 } } }, "linux.resources.blockIO.weight"],
      [{ resources: { cpu: { mems: "0" } } }, "linux.resources.cpu.cpus"],
      [{ cgroupsPath: "a.slice:b:c" }, "linux.cgroupsPath"],
      [{ cgroupsPath: "/" }, "linux.cgroupsPath"],
    ];
    for (const [linux, field] of cases) {
      assert.throws(
        () => openCgroups(spec(linux), "c1", { root, procSelfCgroup: SELF_V1 }),
        (e) => e instanceof SpecError && e.path === field,
        JSON.stringify(linux),
      );
    }
    assert.deepEqual(dirsUnder(root), before, "nothing created");
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("linux.resources: one set of rules, checked by validateSpec; openCgroups trusts it", () => {
  const R = "linux.resources";
  const config = (resources: unknown) => {
    const spec = JSON.parse(JSON.stringify(defaultSpec()));
    spec.linux.resources = resources;
    return spec;
  };
  const refusedBySpec = (resources: unknown, field: string) => {
    assert.throws(
      () => validateSpec(config(resources), { bundle: "/nonexistent" }),
      (e) => e instanceof SpecError && e.path === field && e.message.startsWith(`${field}: `),
      JSON.stringify(resources),
    );
  };
  // Before, only the cgroup layer refused these, after validateSpec had passed them.
  refusedBySpec({ cpu: { quota: 500 } }, `${R}.cpu.quota`);
  refusedBySpec({ cpu: { period: 2_000_000 } }, `${R}.cpu.period`);
  refusedBySpec({ blockIO: { weight: 5 } }, `${R}.blockIO.weight`);
  refusedBySpec({ blockIO: { weight: 2000 } }, `${R}.blockIO.weight`);
  refusedBySpec(
    { network: { priorities: [{ name: "eth 0", priority: 1 }] } },
    `${R}.network.priorities[0].name`,
  );
  refusedBySpec({ rdma: { "mlx/0": {} } }, `${R}.rdma["mlx/0"]`);
  refusedBySpec({ unified: { "cgroup.procs": "1" } }, `${R}.unified["cgroup.procs"]`);
  // And update's input gets the spec's rules: an empty device access, which only the spec
  // validator refused, is refused for update too.
  refused({ devices: [{ allow: true, access: "" }] }, "resources.devices[0].access", "resources");

  // openCgroups does not check values again: a config that validateSpec would refuse but the
  // host could hold gets a manager (create only calls it on a checked spec).
  const root = fakeV1();
  try {
    const spec: Spec = { ociVersion: "1.2.0", linux: { resources: { memory: { limit: -2 } } } };
    refusedBySpec(spec.linux!.resources, `${R}.memory.limit`);
    const before = dirsUnder(root);
    assert.ok(openCgroups(spec, "c1", { root, procSelfCgroup: SELF_V1 }));
    assert.deepEqual(dirsUnder(root), before, "nothing created");
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("CLI parsers: sizes as runc's update takes them, Go durations", () => {
  assert.equal(parseBytes("-1", "--memory"), -1);
  assert.equal(parseBytes("1048576", "--memory"), 1048576);
  assert.equal(parseBytes("64m", "--memory"), 64 * 1024 * 1024);
  assert.equal(parseBytes("64MiB", "--memory"), 64 * 1024 * 1024);
  assert.equal(parseBytes("1.5g", "--memory"), 1.5 * 1024 ** 3);
  assert.equal(parseBytes("2 KB", "--memory"), 2048);
  for (const bad of ["", "lots", "-2", "1x", "m"]) {
    assert.throws(
      () => parseBytes(bad, "--memory"),
      (e) => e instanceof ArgError && /--memory/.test(e.message),
    );
  }
  assert.equal(parseDuration("5s"), 5000);
  assert.equal(parseDuration("500ms"), 500);
  assert.equal(parseDuration("1m30s"), 90_000);
  assert.equal(parseDuration("1.5h"), 5_400_000);
  for (const bad of ["", "5", "s", "0s", "-1s", "5 s"]) {
    assert.throws(
      () => parseDuration(bad),
      (e) => e instanceof ArgError && /--interval/.test(e.message),
    );
  }
});
