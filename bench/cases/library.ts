/**
 * Case 5: many containers from one Deno process through the library API (mod.ts), against
 * the same number of `runc run` (and `crun run`) invocations, one after the other.
 * @module
 */
import { join } from "node:path";
import { add, type CaseResult, metric, newCase } from "../lib/report.ts";
import { deleteAll, probeSpec, REPO, runContainer } from "../lib/setup.ts";
import { check, runTimed } from "../lib/proc.ts";
import type { Ctx } from "./common.ts";

/** Case 5. */
export async function libraryCase(ctx: Ctx): Promise<CaseResult> {
  const { ws, counts } = ctx;
  const n = counts.libN;
  const others = ws.pick(["runc", "crun"]);
  const c = newCase(
    "5",
    `${n} containers: drun's library in one Deno process vs ${n} runtime invocations`,
    [
      { key: "drun", label: "drun (library, one process)" },
      ...others.map((rt) => ({ key: rt.name, label: `${rt.label} run ×${n}` })),
    ],
  );
  const drun = ws.runtimes.get("drun");
  const libRt = ws.drunAt("drun-lib");
  const spec = probeSpec(ws.rootfs, ["exit", "0"]);
  const libBundle = drun ? ws.bundle(drun, "plain", spec) : undefined;
  const bundles = new Map(others.map((rt) => [rt.name, ws.bundle(rt, "plain", spec)]));
  const total = metric(c, `total for ${n} containers, incl. process start`, "s");
  const per = metric(c, "per container (create+start+wait+delete)", "ms");
  const first = metric(c, "first container of the process", "ms", true);
  const imp = metric(c, "import of mod.ts", "ms", true);
  const hwm = metric(c, "peak RSS of the library process", "KiB", true);
  const failed = new Set<string>();
  for (let b = 0; b < counts.libBatches; b++) {
    if (libBundle && !failed.has("drun")) {
      ctx.log(`case 5: batch ${b + 1}: library x${n}`);
      try {
        const r = check(
          await runTimed([
            Deno.execPath(),
            "run",
            "-A",
            join(REPO, "bench", "lib_loop.ts"),
            "--bundle",
            libBundle,
            "--root",
            libRt.root,
            "--prefix",
            `drun-bench-lib-${Deno.pid}-${b}`,
            "--n",
            String(n),
          ], { capture: true, cwd: ws.dir, timeoutMs: 600_000 }),
          "library loop",
        );
        const res = JSON.parse(r.stdout) as {
          importMs: number;
          vmHwmKiB?: number;
          iterations: { total: number }[];
        };
        add(total, "drun", r.ms / 1000);
        res.iterations.forEach((it, i) => add(i === 0 ? first : per, "drun", it.total));
        add(imp, "drun", res.importMs);
        if (res.vmHwmKiB) add(hwm, "drun", res.vmHwmKiB);
      } catch (e) {
        failed.add("drun");
        c.errors.push(`drun library: ${(e as Error).message}`);
      }
    }
    for (const rt of others) {
      if (failed.has(rt.name)) continue;
      ctx.log(`case 5: batch ${b + 1}: ${rt.name} run x${n}`);
      try {
        const t0 = performance.now();
        for (let i = 0; i < n; i++) {
          const r = await runContainer(rt, bundles.get(rt.name)!, ws.id(rt), { cwd: ws.dir });
          add(per, rt.name, r.ms);
        }
        add(total, rt.name, (performance.now() - t0) / 1000);
      } catch (e) {
        failed.add(rt.name);
        c.errors.push(`${rt.label}: ${(e as Error).message}`);
      }
    }
  }
  for (const rt of [libRt, ...others]) c.errors.push(...await deleteAll(rt));
  c.notes.push(
    `The library loop is \`deno run -A bench/lib_loop.ts\`: one process that imports mod.ts ` +
      `and does create/start/wait/delete ${n} times; its total includes Deno's start-up. The ` +
      `first container of the process also opens libdrun (shown apart). runc and crun are ` +
      `${n} sequential \`run\` processes.`,
  );
  return c;
}
