/**
 * cgroups on the real host (a v1 or hybrid layout here; the v2 driver has unit tests over a
 * fake cgroupfs): limits that bite (memory OOM, pids), knobs that land (cpu quota, update),
 * pause/resume, ps, events, and cleanup: after delete, and after a failed create, no cgroup
 * directory is left in any hierarchy.
 *
 * Safety: every container's cgroup is nested under this test process's own cgroup in each
 * hierarchy (no cgroupsPath, or a relative one), and every test removes what it made.
 */
import "./needs_root.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import { type Bundle, CLI, drun, makeProbeBundle, probeSpec } from "../helpers.ts";
import type { Spec } from "../../lib/spec/types.ts";

const MiB = 1024 * 1024;
const HOST_V2 = (() => {
  try {
    Deno.statSync("/sys/fs/cgroup/cgroup.controllers");
    return true;
  } catch {
    return false;
  }
})();

/** This process's own cgroup directory in each mounted v1 hierarchy (controller → dir). */
function ownDirs(): Record<string, string> {
  const own: Record<string, string> = {};
  const lines = Deno.readTextFileSync("/proc/self/cgroup").trim().split("\n");
  for (const line of Deno.readTextFileSync("/proc/self/mountinfo").trim().split("\n")) {
    const [left, right] = line.split(" - ");
    const [fstype, , opts] = right.split(" ");
    if (fstype !== "cgroup") continue;
    const mountPoint = left.split(" ")[4];
    for (const c of opts.split(",")) {
      const l = lines.find((x) => x.split(":")[1].split(",").includes(c));
      if (l && !c.startsWith("name=") && !["rw", "ro", "relatime"].includes(c)) {
        own[c] = join(mountPoint, l.split(":")[2]);
      }
    }
  }
  return own;
}

/** Distinct directories named `name` under our own cgroups that exist now. */
function existing(name: string): string[] {
  const out = new Set<string>();
  for (const d of Object.values(ownDirs())) {
    try {
      Deno.statSync(join(d, name));
      out.add(join(d, name));
    } catch { /* absent */ }
  }
  return [...out];
}

/** rmdir (depth first) whatever a failed test left under our own cgroups named `name`. */
function removeLeftovers(name: string): void {
  const rm = (d: string) => {
    for (const e of Deno.readDirSync(d)) if (e.isDirectory) rm(join(d, e.name));
    Deno.removeSync(d);
  };
  for (const d of existing(name)) {
    try {
      rm(d);
    } catch (e) {
      console.error(`could not remove leftover cgroup ${d}: ${e}`);
    }
  }
}

function stateOf(b: Bundle, id: string) {
  return JSON.parse(Deno.readTextFileSync(join(b.root, id, "state.json"))) as {
    pid: number;
    cgroupPaths: Record<string, string>;
  };
}

function cgroupDirsOf(paths: Record<string, string>): string[] {
  return [...new Set(Object.entries(paths).filter(([k]) => k !== "drun.created").map((e) => e[1]))];
}

function assertGone(dirs: string[]) {
  for (const d of dirs) {
    let exists = true;
    try {
      Deno.statSync(d);
    } catch {
      exists = false;
    }
    assert.ok(!exists, `cgroup ${d} was left behind`);
  }
}

async function status(b: Bundle, id: string): Promise<string> {
  const r = await drun(b, ["state", id]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout).status;
}

function withResources(args: string[], res: Partial<NonNullable<Spec["linux"]>>): Spec {
  const spec = probeSpec(args);
  spec.linux = { ...spec.linux, ...res };
  return spec;
}

/** Runs fn with a bundle, deleting the containers and any leftover cgroups afterwards. */
async function withBundle(
  spec: Spec,
  ids: string[],
  fn: (b: Bundle) => Promise<void>,
): Promise<void> {
  const b = makeProbeBundle(spec);
  try {
    await fn(b);
  } finally {
    await b.cleanup();
    for (const id of ids) removeLeftovers(`drun-${id}`);
  }
}

const opts = { ignore: HOST_V2, sanitizeResources: false, sanitizeOps: false };

Deno.test({
  ...opts,
  name: "cgroup: a 32 MiB memory limit OOM-kills a probe allocating 64 MiB (exit 137)",
  fn: async () => {
    const id = `cgoom${Deno.pid}`;
    const spec = withResources(["alloc", "64", "report"], {
      resources: { devices: [{ allow: false, access: "rwm" }], memory: { limit: 32 * MiB } },
    });
    await withBundle(spec, [id], async (b) => {
      const r = await drun(b, ["run", "--keep", "--bundle", b.dir, id]);
      assert.equal(r.code, 137, `stdout ${r.stdout} stderr ${r.stderr}`);
      assert.ok(!r.stdout.includes('"alloc":64,"ok":true'), "the allocation must not succeed");
      const st = stateOf(b, id);
      assert.equal(
        Deno.readTextFileSync(join(st.cgroupPaths.memory, "memory.limit_in_bytes")).trim(),
        String(32 * MiB),
      );
      const oom = Deno.readTextFileSync(join(st.cgroupPaths.memory, "memory.oom_control"));
      assert.match(oom, /oom_kill [1-9]/);
      // events --stats still reads the cgroup of the stopped container.
      const ev = await drun(b, ["events", "--stats", id]);
      assert.equal(ev.code, 0, ev.stderr);
      const e = JSON.parse(ev.stdout.trim());
      assert.equal(e.type, "stats");
      assert.equal(e.id, id);
      assert.equal(e.data.memory.usage.limit, 32 * MiB);
      assert.ok(e.data.memory.usage.failcnt > 0, `failcnt ${e.data.memory.usage.failcnt}`);
      assert.ok(e.data.memory.usage.max >= 31 * MiB, `max ${e.data.memory.usage.max}`);
      assert.equal((await drun(b, ["delete", id])).code, 0);
      assertGone(cgroupDirsOf(st.cgroupPaths));
    });
  },
});

Deno.test({
  ...opts,
  name: "cgroup: events streams an oom event when the OOM killer strikes, then ends",
  fn: async () => {
    const id = `cgev${Deno.pid}`;
    const spec = withResources(["sleep", "0.3", "alloc", "64"], {
      resources: { memory: { limit: 32 * MiB } },
    });
    await withBundle(spec, [id], async (b) => {
      const c = await drun(b, ["create", "--bundle", b.dir, id]);
      assert.equal(c.code, 0, c.stderr);
      const child = new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", CLI, "--root", b.root, "events", "--interval", "200ms", id],
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
      let out = "";
      // The first stats event says the stream is watching: only then start.
      while (!out.includes("\n")) {
        const { value, done } = await reader.read();
        if (done) break;
        out += value;
      }
      assert.match(out, /"type":"stats"/);
      assert.equal((await drun(b, ["start", id])).code, 0);
      const timer = setTimeout(() => child.kill("SIGTERM"), 15_000);
      while (true) {
        const { value, done } = await reader.read();
        if (done) break;
        out += value;
      }
      clearTimeout(timer);
      const st = await child.status;
      const err = await new Response(child.stderr).text();
      assert.equal(st.code, 0, err);
      const events = out.trim().split("\n").map((l) => JSON.parse(l));
      assert.ok(events.some((e) => e.type === "oom" && e.id === id), out);
      assert.ok(events.filter((e) => e.type === "stats").length >= 1);
      assert.equal(await status(b, id), "stopped");
      const paths = stateOf(b, id).cgroupPaths;
      assert.equal((await drun(b, ["delete", id])).code, 0);
      assertGone(cgroupDirsOf(paths));
    });
  },
});

Deno.test({
  ...opts,
  name: "cgroup: pids.limit 10 stops the fork that would make an 11th task (EAGAIN)",
  fn: async () => {
    const id = `cgpids${Deno.pid}`;
    const spec = withResources(["fork", "12"], { resources: { pids: { limit: 10 } } });
    await withBundle(spec, [id], async (b) => {
      const r = await drun(b, ["run", "--bundle", b.dir, id]);
      const line = r.stdout.split("\n").find((l) => l.startsWith('{"fork"'));
      assert.ok(line, `no fork report: ${r.stdout} ${r.stderr}`);
      const rep = JSON.parse(line);
      assert.equal(rep.errno, 11, line);
      assert.ok(rep.ok < 12, line);
      assert.equal(rep.ok, 9, "the init plus 9 children make 10 tasks");
    });
  },
});

Deno.test({
  ...opts,
  name: "cgroup: cpu, cpuset, memory, pids and device knobs land in their v1 files",
  fn: async () => {
    const id = `cgknobs${Deno.pid}`;
    const spec = withResources(["sleep", "30"], {
      resources: {
        devices: [{ allow: false, access: "rwm" }, {
          allow: true,
          type: "c",
          major: 10,
          minor: 229,
          access: "rw",
        }],
        cpu: { quota: 50000, period: 100000, shares: 512, cpus: "0" },
        memory: { limit: 64 * MiB, reservation: 32 * MiB, swappiness: 10 },
        pids: { limit: 42 },
      },
    });
    await withBundle(spec, [id], async (b) => {
      const c = await drun(b, ["create", "--bundle", b.dir, id]);
      assert.equal(c.code, 0, c.stderr);
      const { cgroupPaths: p, pid } = stateOf(b, id);
      const own = ownDirs();
      for (const [ctl, dir] of Object.entries(own)) {
        assert.equal(p[ctl], join(dir, `drun-${id}`), `default path in ${ctl}`);
        const procs = Deno.readTextFileSync(join(p[ctl], "cgroup.procs")).trim().split("\n");
        assert.deepEqual(procs, [String(pid)], `init joined ${ctl}`);
      }
      const read = (ctl: string, f: string) => Deno.readTextFileSync(join(p[ctl], f)).trim();
      assert.equal(read("cpu", "cpu.cfs_quota_us"), "50000");
      assert.equal(read("cpu", "cpu.cfs_period_us"), "100000");
      assert.equal(read("cpu", "cpu.shares"), "512");
      assert.equal(read("cpuset", "cpuset.cpus"), "0");
      assert.notEqual(read("cpuset", "cpuset.mems"), "", "mems copied from the parent");
      assert.equal(read("memory", "memory.limit_in_bytes"), String(64 * MiB));
      assert.equal(read("memory", "memory.soft_limit_in_bytes"), String(32 * MiB));
      assert.equal(read("memory", "memory.swappiness"), "10");
      assert.equal(read("pids", "pids.max"), "42");
      const devs = read("devices", "devices.list").split("\n");
      assert.ok(devs.includes("c 1:3 rwm"), `null allowed: ${devs}`);
      assert.ok(devs.includes("c 10:229 rw"), `config rule: ${devs}`);
      assert.ok(!devs.includes("a *:* rwm"), "deny-all in force");
      assert.equal((await drun(b, ["start", id])).code, 0);
      assert.equal((await drun(b, ["delete", "--force", id])).code, 0);
      assertGone(cgroupDirsOf(p));
    });
  },
});

Deno.test({
  ...opts,
  name: "cgroup: update changes the limits of a running container (flags and -r -)",
  fn: async () => {
    const id = `cgupd${Deno.pid}`;
    const spec = withResources(["sleep", "30"], {
      resources: { memory: { limit: 64 * MiB }, cpu: { quota: 20000 } },
    });
    await withBundle(spec, [id], async (b) => {
      assert.equal((await drun(b, ["create", "--bundle", b.dir, id])).code, 0);
      assert.equal((await drun(b, ["start", id])).code, 0);
      const { cgroupPaths: p } = stateOf(b, id);
      const read = (ctl: string, f: string) => Deno.readTextFileSync(join(p[ctl], f)).trim();
      let r = await drun(b, [
        "update",
        "--memory",
        "128m",
        "--memory-reservation",
        "16777216",
        "--cpu-quota",
        "-1",
        "--pids-limit",
        "20",
        "--cpu-shares",
        "256",
        id,
      ]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(read("memory", "memory.limit_in_bytes"), String(128 * MiB));
      assert.equal(read("memory", "memory.soft_limit_in_bytes"), String(16 * MiB));
      assert.equal(read("cpu", "cpu.cfs_quota_us"), "-1");
      assert.equal(read("cpu", "cpu.shares"), "256");
      assert.equal(read("pids", "pids.max"), "20");

      r = await drun(b, ["update", "-r", "-", id], {
        stdin: JSON.stringify({ memory: { limit: 96 * MiB }, pids: { limit: -1 } }),
      });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(read("memory", "memory.limit_in_bytes"), String(96 * MiB));
      assert.equal(read("pids", "pids.max"), "max");

      // Refused values name the field or the flag and change nothing.
      r = await drun(b, ["update", "--cpuset-cpus", "0-x", id]);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /resources\.cpu\.cpus/);
      r = await drun(b, ["update", "-r", "-", id], { stdin: '{"memory":{"limit":-7}}' });
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /resources\.memory\.limit/);
      r = await drun(b, ["update", "--memory", "lots", id]);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /--memory/);
      assert.equal(read("memory", "memory.limit_in_bytes"), String(96 * MiB));
    });
  },
});

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
