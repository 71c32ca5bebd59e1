/**
 * cgroups through a container's life on the real host (a v1 or hybrid layout here): pause and
 * resume, ps, a nested relative cgroupsPath, the view of /sys/fs/cgroup without a cgroup
 * namespace, a cgroup already in use; and cleanup: after delete, a failed create and a refused
 * config, no cgroup directory is left in any hierarchy.
 *
 * Safety: every container's cgroup is nested under this test process's own cgroup in each
 * hierarchy (no cgroupsPath, or a relative one), and every test removes what it made.
 */
import "./needs_root.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import { drun, makeProbeBundle, probeSpec } from "../helpers.ts";
import type { Spec } from "../../lib/spec/types.ts";
import {
  assertGone,
  cgroupDirsOf,
  existing,
  MiB,
  opts,
  ownDirs,
  removeLeftovers,
  stateOf,
  status,
  withBundle,
  withResources,
} from "./cgroup_helpers.ts";

Deno.test({
  ...opts,
  name: "cgroup: pause freezes the container (state paused, no progress), resume thaws it",
  fn: async () => {
    const id = `cgpause${Deno.pid}`;
    // getpid in a loop: cpuacct.usage grows while it runs.
    const spec = probeSpec(["loop", "getpid", "100000000000"]);
    await withBundle(spec, [id], async (b) => {
      assert.equal((await drun(b, ["create", "--bundle", b.dir, id])).code, 0);
      assert.equal((await drun(b, ["start", id])).code, 0);
      const { cgroupPaths: p } = stateOf(b, id);
      const usage = () => Number(Deno.readTextFileSync(join(p.cpuacct, "cpuacct.usage")));
      const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
      const u0 = usage();
      await sleep(200);
      assert.ok(usage() > u0, "running: cpu time grows");

      let r = await drun(b, ["pause", id]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(await status(b, id), "paused");
      assert.equal(Deno.readTextFileSync(join(p.freezer, "freezer.state")).trim(), "FROZEN");
      const list = JSON.parse((await drun(b, ["list", "--format", "json"])).stdout);
      assert.equal(list.find((s: { id: string }) => s.id === id).status, "paused");
      const f0 = usage();
      await sleep(300);
      assert.equal(usage(), f0, "paused: no cpu time at all");
      r = await drun(b, ["pause", id]);
      assert.notEqual(r.code, 0, "pausing twice is refused");

      r = await drun(b, ["resume", id]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(await status(b, id), "running");
      const t0 = usage();
      await sleep(200);
      assert.ok(usage() > t0, "resumed: cpu time grows again");
      r = await drun(b, ["resume", id]);
      assert.notEqual(r.code, 0, "resuming a running container is refused");

      // A paused container is deleted with --force: thawed so the kill lands.
      assert.equal((await drun(b, ["pause", id])).code, 0);
      r = await drun(b, ["delete", id]);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /paused/);
      r = await drun(b, ["delete", "--force", id]);
      assert.equal(r.code, 0, r.stderr);
      assertGone(cgroupDirsOf(p));
    });
  },
});

Deno.test({
  ...opts,
  name: "cgroup: ps lists the container's pids (json and table)",
  fn: async () => {
    const id = `cgps${Deno.pid}`;
    await withBundle(probeSpec(["sleep", "30"]), [id], async (b) => {
      assert.equal((await drun(b, ["create", "--bundle", b.dir, id])).code, 0);
      assert.equal((await drun(b, ["start", id])).code, 0);
      const { pid } = stateOf(b, id);
      const j = await drun(b, ["ps", "--format", "json", id]);
      assert.equal(j.code, 0, j.stderr);
      assert.deepEqual(JSON.parse(j.stdout), [pid]);
      const t = await drun(b, ["ps", id]);
      assert.equal(t.code, 0, t.stderr);
      const lines = t.stdout.trim().split("\n");
      assert.match(lines[0], /\bPID\b/);
      assert.equal(lines.length, 2, t.stdout);
      assert.match(lines[1], new RegExp(`\\b${pid}\\b.*/probe sleep 30`));
      const custom = await drun(b, ["ps", id, "-o", "pid,comm"]);
      assert.equal(custom.code, 0, custom.stderr);
      assert.match(custom.stdout, new RegExp(`^\\s*${pid}\\s+probe$`, "m"));
      const bad = await drun(b, ["ps", "--format", "yaml", id]);
      assert.notEqual(bad.code, 0);
    });
  },
});

Deno.test({
  ...opts,
  name: "cgroup: a nested relative cgroupsPath is created and removed with its parents",
  fn: async () => {
    const id = `cgnest${Deno.pid}`;
    const top = `drun-nest-${Deno.pid}`;
    const spec = withResources(["sleep", "30"], {
      cgroupsPath: `${top}/middle/${id}`,
      resources: { memory: { limit: 64 * MiB } },
    });
    const b = makeProbeBundle(spec);
    try {
      assert.equal((await drun(b, ["create", "--bundle", b.dir, id])).code, 0);
      const { cgroupPaths: p } = stateOf(b, id);
      const own = ownDirs();
      assert.equal(p.memory, join(own.memory, top, "middle", id));
      assert.equal(p.cpu, join(own.cpu, top, "middle", id));
      assert.ok(p["drun.created"], "created parents are recorded");
      assert.equal(existing(top).length, new Set(Object.values(own)).size);
      assert.equal((await drun(b, ["delete", "--force", id])).code, 0);
      assertGone(cgroupDirsOf(p));
      assert.deepEqual(existing(top), [], "created parents removed too");
    } finally {
      await b.cleanup();
      removeLeftovers(top);
    }
  },
});

Deno.test({
  ...opts,
  name: "cgroup: a failed create (bad args[0]) leaves no cgroup directory",
  fn: async () => {
    const id = `cgfail${Deno.pid}`;
    const spec = withResources(["report"], { resources: { memory: { limit: 64 * MiB } } });
    spec.process!.args = ["/no/such/binary"];
    await withBundle(spec, [id], async (b) => {
      const r = await drun(b, ["create", "--bundle", b.dir, id]);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /process\.args\[0\]/);
      assert.deepEqual(existing(`drun-${id}`), []);
      assert.equal((await drun(b, ["state", id])).code === 0, false);
    });
  },
});

Deno.test({
  ...opts,
  name: "cgroup: refused configs (systemd path, unified on v1, bad values) create no cgroup",
  fn: async () => {
    const id = `cgref${Deno.pid}`;
    const cases: [Partial<NonNullable<Spec["linux"]>>, RegExp][] = [
      [
        { cgroupsPath: "system.slice:drun:x" },
        /linux\.cgroupsPath: systemd cgroup paths need the systemd driver/,
      ],
      [{ resources: { unified: { "memory.high": "1G" } } }, /linux\.resources\.unified/],
      [{ resources: { cpu: { cpus: "1-0" } } }, /linux\.resources\.cpu\.cpus/],
      [{ resources: { memory: { limit: -5 } } }, /linux\.resources\.memory\.limit/],
      [
        { resources: { devices: [{ allow: false, type: "x" }] } },
        /linux\.resources\.devices\[0\]\.type/,
      ],
      [{ cgroupsPath: "/" }, /linux\.cgroupsPath: \/ is the runtime's own cgroup/],
    ];
    for (const [i, [linux, want]] of cases.entries()) {
      const spec = withResources(["report"], linux);
      const cid = `${id}-${i}`;
      await withBundle(spec, [cid], async (b) => {
        const r = await drun(b, ["create", "--bundle", b.dir, cid]);
        assert.notEqual(r.code, 0, `case ${i} was accepted`);
        assert.match(r.stderr, want);
        assert.deepEqual(existing(`drun-${cid}`), []);
      });
    }
  },
});

Deno.test("cgroup: without a cgroup namespace /sys/fs/cgroup shows the container's own cgroup", async () => {
  const spec = probeSpec(["cat", "/sys/fs/cgroup/pids/cgroup.procs"]);
  spec.linux!.namespaces = spec.linux!.namespaces!.filter((n) => n.type !== "cgroup");
  const b = makeProbeBundle(spec);
  try {
    const r = await drun(b, ["run", "--bundle", b.dir, "cgview1"]);
    assert.equal(r.code, 0, r.stderr);
    // Only the container's own process, not every process of the host hierarchy.
    assert.deepEqual(r.stdout.trim().split("\n").filter(Boolean).length, 1, r.stdout);
  } finally {
    await b.cleanup();
  }
});

Deno.test("cgroup: a second container cannot take over a cgroup that is in use", async () => {
  const a = makeProbeBundle(probeSpec(["sleep", "30"]));
  const b = makeProbeBundle(probeSpec(["exit", "0"]));
  try {
    // Same id under two state roots: the same default cgroup, <own>/drun-<id>.
    assert.equal((await drun(a, ["run", "-d", "--bundle", a.dir, "shared1"])).code, 0);
    const r = await drun(b, ["run", "--bundle", b.dir, "shared1"]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /linux\.cgroupsPath: cgroup .*drun-shared1 is already in use/);
    assert.equal(JSON.parse((await drun(a, ["state", "shared1"])).stdout).status, "running");
  } finally {
    await b.cleanup();
    await a.cleanup();
  }
});
