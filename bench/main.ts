/**
 * `deno task bench [--quick]`: drun against runc and crun on the same probe bundles.
 *
 * Cases (see bench/README.md): 1 run/create/start/delete of a container that exits at once,
 * 2 the same under Docker's seccomp profile, 3 syscall cost inside the container, 4 seccomp
 * notify handoff, 5 many containers through the library, 6 peak RSS and size; plus a
 * breakdown of where drun's time goes. Writes bench/results/latest.{md,json} (--quick:
 * quick.{md,json}). Needs root. Cleans up every container, state dir, cgroup and mount it
 * made, also when a case fails or the run is interrupted.
 * @module
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import {
  baseChain,
  cgroupInfo,
  existing,
  findCgroups,
  mountDiff,
  mountSnapshot,
  rmdirCgroups,
} from "./lib/host.ts";
import { CHAIN_FILE, deleteAll, dockerProfile, PREFIX, REPO, Workspace } from "./lib/setup.ts";
import { killCgroupProcs, sweepStale } from "./lib/sweep.ts";
import { type CaseResult, finish, type Results, resultsMarkdown } from "./lib/report.ts";
import { targetRows } from "./lib/targets.ts";
import { runTimed, stopSpawning } from "./lib/proc.ts";
import type { Counts, Ctx } from "./cases/common.ts";
import { lifecycleCase } from "./cases/lifecycle.ts";
import { syscallCase } from "./cases/syscalls.ts";
import { notifyCase } from "./cases/notify.ts";
import { libraryCase } from "./cases/library.ts";
import { footprintCase } from "./cases/footprint.ts";
import { breakdown } from "./cases/breakdown.ts";
import { shortCase } from "./cases/short.ts";
import { enginesCase } from "./cases/engines.ts";

const USAGE =
  `deno task bench [--quick] [--cases 1,2,3,4,5,6,short,engines,breakdown] [--out DIR] [--no-bundle]

  --quick      few iterations (CI): under 2 minutes, writes quick.{md,json}
  --cases      which cases to run (default: all)
  --out        results directory (default bench/results)
  --no-bundle  do not rebuild dist/drun.js (use it if present)
`;

const FULL: Counts = {
  n: 30,
  warmup: 2,
  loopReps: 5,
  loopCount: 300_000,
  libN: 100,
  libBatches: 2,
  small: 5,
};
const QUICK: Counts = {
  n: 5,
  warmup: 1,
  loopReps: 1,
  loopCount: 50_000,
  libN: 10,
  libBatches: 1,
  small: 2,
};
const ALL = ["1", "2", "3", "4", "5", "6", "short", "engines", "breakdown"];

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      quick: { type: "boolean", default: false },
      cases: { type: "string", default: ALL.join(",") },
      out: { type: "string", default: join(REPO, "bench", "results") },
      "no-bundle": { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const wanted = new Set(values.cases.split(",").map((s) => s.trim()));
  for (const w of wanted) {
    if (!ALL.includes(w)) {
      console.error(`unknown case ${w}\n${USAGE}`);
      return 2;
    }
  }
  if (Deno.uid() !== 0) {
    console.error("bench: containers need root (run as root, like the e2e tests)");
    return 2;
  }
  const t0 = performance.now();
  const loadBefore = loadavg();
  const log = (msg: string) =>
    console.error(`[${((performance.now() - t0) / 1000).toFixed(1).padStart(5)} s] ${msg}`);
  const quick = values.quick;
  const counts = quick ? QUICK : FULL;

  const cg = cgroupInfo();
  const checks: Record<string, unknown> = {};
  const swept = await sweepStale(cg);
  for (const s of swept) log(`cleaned up after an earlier run that died: ${s}`);
  if (swept.length) checks.earlierRunsCleaned = swept;
  const mountsBefore = mountSnapshot();
  const chain = baseChain(cg);
  const chainBefore = existing(chain);

  let bundleJs: string | undefined = join(REPO, "dist", "drun.js");
  if (!values["no-bundle"]) {
    log("building dist/drun.js (deno task bundle)");
    const r = await runTimed([Deno.execPath(), "run", "-A", join(REPO, "scripts/bundle.ts")], {
      cwd: REPO,
      timeoutMs: 120_000,
    });
    if (r.code !== 0) {
      log(`bundle failed, drun (dist/drun.js) left out: ${r.stderr.trim()}`);
      bundleJs = undefined;
    }
  }
  if (bundleJs) {
    try {
      Deno.statSync(bundleJs);
    } catch {
      bundleJs = undefined;
    }
  }
  let splitJs: string | undefined = join(REPO, "dist", "split", "cli.js");
  try {
    if (!bundleJs) throw new Error("no bundle");
    Deno.statSync(splitJs);
  } catch {
    splitJs = undefined;
  }

  const ws = new Workspace(cg);
  Deno.writeTextFileSync(join(ws.dir, CHAIN_FILE), JSON.stringify([...chainBefore]));
  Deno.writeTextFileSync(join(ws.dir, "cgroup-dirs-chain.json"), JSON.stringify(chain));
  ws.addRuntimes({ bundleJs, splitJs });
  const ctx: Ctx = { ws, counts, quick, docker: dockerProfile(), log };
  log(`workspace ${ws.dir}; cgroups ${cg.mode}, this process in ${cg.base || "/"}`);
  for (const [k, v] of Object.entries(ws.missing)) log(`${k}: ${v}, left out`);

  let cleaning: Promise<void> | undefined;
  const cleanup = () => cleaning ??= doCleanup();
  const doCleanup = async () => {
    const problems: string[] = [];
    for (const rt of ws.all) problems.push(...await deleteAll(rt));
    const ours = findCgroups(cg, PREFIX).filter((p) => p.endsWith(`-${Deno.pid}`));
    checks.cgroupsLeftByRuntimes = ours.length ? ours : "none";
    const stray = await killCgroupProcs(ours);
    if (stray) problems.push(`${stray} container processes were still running: killed`);
    problems.push(...rmdirCgroups(ours));
    const created = chain.filter((d) => !chainBefore.has(d) && existing([d]).size);
    problems.push(...rmdirCgroups(created, true));
    const kept = created.filter((d) => existing([d]).size);
    checks.intermediateCgroupDirs = created.length
      ? { createdByRuntimes: created.length, removed: created.length - kept.length, kept }
      : "none created";
    const still = findCgroups(cg, PREFIX).filter((p) => p.endsWith(`-${Deno.pid}`));
    checks.cgroupsAfterCleanup = still.length ? still : "none";
    try {
      Deno.removeSync(ws.dir, { recursive: true });
      checks.workspaceRemoved = true;
    } catch (e) {
      problems.push(`removing ${ws.dir}: ${(e as Error).message}`);
    }
    // Only what the bench could have caused counts: a mount left in the workspace or under
    // the cgroup tree, or a cgroup mount gone (crun's wrapper unmounts one, privately).
    const diff = mountDiff(mountsBefore, mountSnapshot());
    const mine = (m: string) => m.startsWith(`${ws.dir}/`) || m.startsWith("/sys/fs/cgroup");
    const bad = [...diff.added.filter(mine), ...diff.removed.filter(mine)];
    const other = [...diff.added, ...diff.removed].filter((m) => !mine(m));
    checks.hostMountTable = bad.length ? { changed: bad } : "unchanged";
    if (other.length) checks.mountChangesByOtherProcesses = other;
    checks.cleanupProblems = problems.length ? problems : "none";
  };
  let interrupted = false;
  const onSignal = () => {
    if (interrupted) return;
    interrupted = true;
    stopSpawning();
    log("interrupted: cleaning up");
    cleanup().finally(async () => {
      // A case still running may have written into the workspace again meanwhile.
      await Deno.remove(ws.dir, { recursive: true }).catch(() => {});
      Deno.exit(130);
    });
  };
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);

  const cases: CaseResult[] = [];
  try {
    const crun = ws.runtimes.get("crun");
    if (crun?.wrapper) {
      const before = mountSnapshot();
      const r = await runTimed([...crun.wrapper, "cat", "/proc/self/mountinfo"], {
        capture: true,
      });
      const inside = r.stdout.includes(" - cgroup2 ") ? "cgroup2 still mounted" : "ok";
      const diff = mountDiff(before, mountSnapshot());
      checks.crunWrapper = {
        code: r.code,
        cgroup2InsideWrapper: inside,
        hostMountsAfter: diff.added.length || diff.removed.length ? diff : "unchanged",
      };
    }
    const run = async (id: string, fn: () => Promise<CaseResult | CaseResult[]>) => {
      if (!wanted.has(id) || interrupted) return;
      const s = performance.now();
      try {
        const got = await fn();
        for (const c of Array.isArray(got) ? got : [got]) {
          c.seconds = (performance.now() - s) / 1000;
          cases.push(finish(c));
        }
      } catch (e) {
        log(`case ${id} failed: ${(e as Error).stack}`);
        cases.push({
          id,
          title: `case ${id}`,
          columns: [],
          labels: {},
          metrics: [],
          notes: [],
          errors: [`drun bench: ${(e as Error).message}`],
        });
      }
    };
    await run("1", () => lifecycleCase(ctx, false));
    await run("2", () => lifecycleCase(ctx, true));
    await run("3", () => syscallCase(ctx));
    await run("4", () => notifyCase(ctx));
    await run("5", () => libraryCase(ctx));
    await run("6", () => footprintCase(ctx, bundleJs));
    await run("short", () => shortCase(ctx));
    await run("engines", () => enginesCase(ctx));
    await run("breakdown", () => breakdown(ctx, bundleJs));
  } finally {
    if (!interrupted) log("cleaning up");
    await cleanup();
    Deno.removeSignalListener("SIGINT", onSignal);
    Deno.removeSignalListener("SIGTERM", onSignal);
  }

  if (interrupted) return 130; // the signal handler exits once the cleanup is done
  const results: Results = {
    date: new Date().toISOString(),
    mode: quick ? "quick" : "full",
    host: {
      kernel: `Linux ${Deno.osRelease()}`,
      cpus: navigator.hardwareConcurrency,
      cgroupMode: cg.mode,
      benchCgroup: cg.base || "/",
      deno: `deno ${Deno.version.deno} (V8 ${Deno.version.v8})`,
      runc: ws.runtimes.get("runc")?.version ?? "runc: not installed",
      crun: ws.runtimes.get("crun")?.version ?? "crun: not installed",
      loadavgBefore: loadBefore,
      loadavgAfter: loadavg(),
    },
    settings: { ...counts },
    cases,
    targets: targetRows(cases),
    checks,
    seconds: (performance.now() - t0) / 1000,
  };
  Deno.mkdirSync(values.out, { recursive: true });
  const base = join(values.out, quick ? "quick" : "latest");
  Deno.writeTextFileSync(`${base}.json`, JSON.stringify(results, null, 1) + "\n");
  const md = resultsMarkdown(results);
  Deno.writeTextFileSync(`${base}.md`, md);
  console.log(md);
  log(`wrote ${base}.md and ${base}.json`);

  const drunFailed = cases.some((c) => c.errors.some((e) => e.startsWith("drun")));
  const dirty = checks.cleanupProblems !== "none" || checks.cgroupsAfterCleanup !== "none" ||
    checks.hostMountTable !== "unchanged";
  if (drunFailed) log("drun failed in at least one case (see errors above)");
  if (dirty) log("cleanup incomplete (see Cleanup checks)");
  return drunFailed || dirty ? 1 : 0;
}

/** The 1, 5 and 15 minute load averages (other work on the machine makes numbers noisy). */
function loadavg(): string {
  try {
    return Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).join(" ");
  } catch {
    return "?";
  }
}

Deno.exit(await main());
