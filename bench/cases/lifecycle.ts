/**
 * Cases 1 and 2: a container whose process exits at once (`probe exit 0`), run sequentially
 * by each runtime as a separate process per command, without and with Docker's default
 * seccomp profile: `run` wall time, then `create`, `start` and `delete` timed one by one.
 * @module
 */
import { join } from "node:path";
import { add, type CaseResult, metric, newCase } from "../lib/report.ts";
import { deleteAll, probeSpec, runContainer, withEnv } from "../lib/setup.ts";
import { check, runTimed } from "../lib/proc.ts";
import { findCgroups } from "../lib/host.ts";
import { type Ctx, interleave, waitExit } from "./common.ts";

/** Case 1 (no seccomp) or case 2 (Docker's profile). */
export async function lifecycleCase(ctx: Ctx, seccomp: boolean): Promise<CaseResult> {
  const { ws, counts } = ctx;
  const rts = ws.pick(["drun", "drun-bundle", "drun-split", "runc", "crun"]);
  const c = newCase(
    seccomp ? "2" : "1",
    seccomp
      ? "the same with Docker's default seccomp profile (linux.seccomp)"
      : "one container whose process exits at once, sequentially",
    rts.map((rt) => ({ key: rt.name, label: rt.label })),
  );
  if (seccomp && !ctx.docker) {
    c.errors.push(`Docker's profile not found (vendor/docker-default-amd64.json); case skipped`);
    return c;
  }
  const spec = probeSpec(ws.rootfs, ["exit", "0"]);
  if (seccomp) spec.linux!.seccomp = ctx.docker;
  const variant = seccomp ? "docker" : "plain";
  const bundles = new Map(rts.map((rt) => [rt.name, ws.bundle(rt, variant, spec)]));
  const opts = { cwd: ws.dir };

  ctx.log(`case ${c.id}: warm-up`);
  await interleave(c, rts, counts.warmup, async (rt) => {
    await runContainer(rt, bundles.get(rt.name)!, ws.id(rt), opts);
  }, ctx.log);

  ctx.log(`case ${c.id}: run x${counts.n}`);
  const run = metric(c, "run (create+start+wait+delete)", "ms");
  await interleave(c, rts, counts.n, async (rt) => {
    const r = await runContainer(rt, bundles.get(rt.name)!, ws.id(rt), opts);
    add(run, rt.name, r.ms);
  }, ctx.log);

  ctx.log(`case ${c.id}: create / start / delete x${counts.n}`);
  const mc = metric(c, "create", "ms");
  const ms = metric(c, "start", "ms");
  const md = metric(c, "delete (after exit)", "ms");
  const sum = metric(c, "create + start + delete", "ms");
  const cgroupSeen: Record<string, unknown> = {};
  await interleave(c, rts, counts.n, async (rt, i) => {
    const id = ws.id(rt);
    const bundle = bundles.get(rt.name)!;
    const pidFile = join(ws.dir, `${id}.pid`);
    const cr = check(
      await runTimed(
        rt.argv(["create", "--bundle", bundle, "--pid-file", pidFile, id]),
        withEnv(rt, opts),
      ),
      `${rt.name} create`,
    );
    const pid = Number(Deno.readTextFileSync(pidFile).trim());
    Deno.removeSync(pidFile);
    if (i === 0) cgroupSeen[rt.name] = whereIs(ctx, pid);
    const sr = check(await runTimed(rt.argv(["start", id]), withEnv(rt, opts)), `${rt.name} start`);
    await waitExit(pid);
    const dr = check(
      await runTimed(rt.argv(["delete", id]), withEnv(rt, opts)),
      `${rt.name} delete`,
    );
    add(mc, rt.name, cr.ms);
    add(ms, rt.name, sr.ms);
    add(md, rt.name, dr.ms);
    add(sum, rt.name, cr.ms + sr.ms + dr.ms);
  }, ctx.log);
  for (const rt of rts) c.errors.push(...await deleteAll(rt));

  const crun = ws.runtimes.get("crun");
  if (!seccomp && crun?.wrapper) {
    const w = metric(c, "crun's wrapper alone (unshare -m, umount, exec true)", "ms", true);
    for (let i = 0; i < counts.n; i++) {
      add(w, "crun", check(await runTimed([...crun.wrapper, "true"], opts), "wrapper").ms);
    }
    c.notes.push(
      "crun 1.8 refuses this hybrid cgroup layout, so each crun command runs as " +
        "`unshare -m sh -c 'umount /sys/fs/cgroup/unified && exec crun ...'`; its cost is " +
        "in crun's numbers and shown alone in the last row.",
    );
  }
  c.notes.push(
    "Every command is a new process: drun is bin/drun (`deno run -A --no-config cli.ts`) " +
      "or bin/drun-single (the same on dist/drun.js), as an engine calls it. `delete` is timed after the process has exited.",
  );
  c.extra = { cgroupOfFirstContainer: cgroupSeen };
  return c;

  // The cgroups of a created container: nested under this process's own, as intended?
  function whereIs(ctx: Ctx, pid: number) {
    const text = Deno.readTextFileSync(`/proc/${pid}/cgroup`).trim().split("\n");
    const mem = text.find((l) => l.split(":")[1].split(",").includes("memory")) ??
      text.find((l) => l.startsWith("0::"));
    const path = mem?.slice(mem.indexOf(":", mem.indexOf(":") + 1) + 1) ?? "";
    return {
      path,
      nestedUnderBench: path.startsWith(`${ctx.ws.cgroups.base}/`),
      benchCgroupDirs: findCgroups(ctx.ws.cgroups, "drun-bench-").length,
    };
  }
}
