/**
 * cgroup limits on the real host (a v1 or hybrid layout here; the v2 driver has unit tests over
 * a fake cgroupfs): limits that bite (memory OOM, pids) and the oom event they cause, knobs that
 * land in their v1 files, and `update` changing them in a running container; after delete, no
 * cgroup directory is left in any hierarchy.
 *
 * Safety: every container's cgroup is nested under this test process's own cgroup in each
 * hierarchy (no cgroupsPath, or a relative one), and every test removes what it made.
 */
import "./needs_root.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import { CLI, drun } from "../helpers.ts";
import {
  assertGone,
  cgroupDirsOf,
  MiB,
  opts,
  ownDirs,
  stateOf,
  status,
  withBundle,
  withResources,
} from "./cgroup_helpers.ts";

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
