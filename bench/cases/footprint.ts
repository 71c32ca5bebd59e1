/**
 * Case 6: peak RSS of the runtime process during `run`, and what each runtime weighs on disk.
 * Peak RSS comes from GNU time's %M (the wait4 rusage of the runtime process: its own peak,
 * or that of a child it waited for if larger); without /usr/bin/time, VmHWM is polled.
 * @module
 */
import { join } from "node:path";
import { add, type CaseResult, metric, newCase } from "../lib/report.ts";
import { deleteAll, probeSpec, REPO, withEnv } from "../lib/setup.ts";
import { check, runTimed } from "../lib/proc.ts";
import { type Ctx, interleave, sleep } from "./common.ts";
import { which } from "../lib/host.ts";

/** Case 6. */
export async function footprintCase(ctx: Ctx, bundleJs?: string): Promise<CaseResult> {
  const { ws, counts } = ctx;
  const rts = ws.pick(["drun", "drun-bundle", "drun-split", "runc", "crun"]);
  const c = newCase(
    "6",
    "footprint: peak RSS of the runtime process during `run`, size on disk",
    rts.map((rt) => ({ key: rt.name, label: rt.label })),
  );
  const spec = probeSpec(ws.rootfs, ["exit", "0"]);
  const bundles = new Map(rts.map((rt) => [rt.name, ws.bundle(rt, "plain", spec)]));
  const gnuTime = ["/usr/bin/time", "/bin/time"].find((p) => exists(p));
  const rss = metric(c, "peak RSS during run", "KiB");
  const out = ws.path("time.out");
  ctx.log(`case 6: peak RSS x${counts.small} (${gnuTime ? "GNU time %M" : "polling VmHWM"})`);
  await interleave(c, rts, counts.small, async (rt) => {
    const argv = rt.argv(["run", "--bundle", bundles.get(rt.name)!, ws.id(rt)]);
    if (gnuTime) {
      check(
        await runTimed([gnuTime, "-f", "%M", "-o", out, ...argv], withEnv(rt, { cwd: ws.dir })),
        "run",
      );
      add(rss, rt.name, Number(Deno.readTextFileSync(out).trim().split("\n").pop()));
    } else {
      add(rss, rt.name, await pollPeak(argv, ws.dir));
    }
  }, ctx.log);
  for (const rt of rts) c.errors.push(...await deleteAll(rt));

  const initRss = metric(c, "the container's init while created (VmRSS)", "KiB");
  const sleeper = probeSpec(ws.rootfs, ["exit", "0"]);
  const created = new Map(rts.map((rt) => [rt.name, ws.bundle(rt, "init-rss", sleeper)]));
  await interleave(c, rts, counts.small, async (rt) => {
    const id = ws.id(rt);
    const pidFile = ws.path(`${id}.pid`);
    const args = ["create", "--bundle", created.get(rt.name)!, "--pid-file", pidFile, id];
    check(await runTimed(rt.argv(args), withEnv(rt, { cwd: ws.dir })), "create");
    const pid = Deno.readTextFileSync(pidFile).trim();
    const m = /VmRSS:\s+(\d+)/.exec(Deno.readTextFileSync(`/proc/${pid}/status`));
    if (m) add(initRss, rt.name, Number(m[1]));
    check(
      await runTimed(rt.argv(["delete", "--force", id]), withEnv(rt, { cwd: ws.dir })),
      "delete",
    );
  }, ctx.log);

  const size = metric(c, "size on disk", "bytes", true);
  const realSize = (p: string | undefined) => {
    if (!p) return undefined;
    try {
      return Deno.statSync(Deno.realPathSync(p)).size;
    } catch {
      return undefined;
    }
  };
  const sizes: Record<string, number | undefined> = {
    "drun-bundle": bundleJs ? realSize(bundleJs) : undefined,
    runc: realSize(which("runc")),
    crun: realSize(which("crun")),
  };
  for (const [k, v] of Object.entries(sizes)) if (v !== undefined) add(size, k, v);
  const deno = realSize(Deno.execPath());
  const lib = realSize(join(REPO, "zig/out/libdrun.so"));
  c.notes.push(
    `Size: dist/drun.js includes libdrun.so (${lib} bytes, base64) but needs Deno ` +
      `(${deno ? (deno / 1048576).toFixed(1) : "?"} MiB binary). crun is dynamically linked ` +
      `(libseccomp, libyajl, libcap, libsystemd ... not counted); runc is a static Go binary.`,
    "Peak RSS is the maximum over the runtime process and the children it waited for " +
      "(wait4's ru_maxrss, GNU time's %M): runc's includes its `runc init` child, drun's " +
      "its drun-init (a static program started from a sealed memfd: it never holds a copy " +
      "of the Deno process). The init row is VmRSS of the container's process between " +
      "create and start (runc init, crun's own process, drun-init).",
  );
  c.extra = { gnuTime: gnuTime ?? null, denoBinaryBytes: deno, libdrunBytes: lib };
  return c;
}

function exists(p: string): boolean {
  try {
    Deno.statSync(p);
    return true;
  } catch {
    return false;
  }
}

/** Peak VmHWM of the spawned process, polled (misses its children). */
async function pollPeak(argv: string[], cwd: string): Promise<number> {
  const child = new Deno.Command(argv[0], {
    args: argv.slice(1),
    cwd,
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  let peak = 0;
  let done = false;
  const status = child.status.then((s) => {
    done = true;
    return s;
  });
  while (!done) {
    try {
      const m = /VmHWM:\s+(\d+)/.exec(Deno.readTextFileSync(`/proc/${child.pid}/status`));
      if (m) peak = Math.max(peak, Number(m[1]));
    } catch { /* exiting */ }
    await sleep(2);
  }
  const s = await status;
  if (!s.success) throw new Error(`${argv.join(" ")}: exit ${s.code}`);
  return peak;
}
