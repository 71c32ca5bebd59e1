/**
 * The start-up targets of the project (issue #18) checked against one bench run: `run` vs
 * runc and crun, `state` vs bare Deno, the peak RSS of `run`, and the engines' `run --rm`
 * against runc behind the same engine. Shown first in the results; never a failure.
 * @module
 */
import type { CaseResult } from "./report.ts";
import { ratio } from "./stats.ts";

/** One row of the targets table. */
export interface TargetRow {
  /** What is measured. */
  what: string;
  /** The measured value, as text. */
  measured: string;
  /** The target, as text ("" when only reported). */
  target: string;
  /** Whether the target is met (undefined: no target or not measured). */
  met?: boolean;
}

function summaryOf(cases: CaseResult[], id: string, label: string, col: string) {
  return cases.find((c) => c.id === id)?.metrics.find((m) => m.label === label)?.summary?.[col];
}

/**
 * The targets table rows from the cases of a run (missing cases give "–").
 *
 * @example
 * ```ts
 * for (const r of targetRows(results.cases)) console.log(r.what, r.measured);
 * ```
 */
export function targetRows(cases: CaseResult[]): TargetRow[] {
  const rows: TargetRow[] = [];
  const ratioRow = (
    what: string,
    id: string,
    label: string,
    a: string,
    b: string,
    max?: number,
  ) => {
    const r = ratio(summaryOf(cases, id, label, a), summaryOf(cases, id, label, b));
    const ok = Number.isFinite(r);
    rows.push({
      what,
      measured: ok ? `${r.toFixed(2)}×` : "–",
      target: max === undefined ? "" : `≤ ${max}×`,
      met: max === undefined || !ok ? undefined : r <= max,
    });
  };
  const RUN = "run (create+start+wait+delete)";
  ratioRow("`run` (bin/drun) vs runc", "1", RUN, "drun", "runc", 1.5);
  ratioRow("`run` (bin/drun-single) vs runc", "1", RUN, "drun-bundle", "runc", 1.5);
  ratioRow("`run` (dist/split) vs runc", "1", RUN, "drun-split", "runc", 1.5);
  ratioRow("`run` (bin/drun) vs crun", "1", RUN, "drun", "crun");
  for (const cmd of ["state", "list", "start", "kill CONT", "delete"]) {
    const max = cmd === "state" ? 1.3 : undefined;
    ratioRow(`\`${cmd}\` (bin/drun) vs bare deno`, "short", cmd, "drun", "deno", max);
    if (cmd === "state") {
      ratioRow("`state` (bin/drun-single) vs bare deno", "short", cmd, "drun-bundle", "deno", max);
      ratioRow("`state` (dist/split) vs bare deno", "short", cmd, "drun-split", "deno", max);
      const cpu = "state, CPU (user + sys)";
      ratioRow("`state` (bin/drun) vs bare deno, CPU time", "short", cpu, "drun", "deno", max);
      ratioRow(
        "`state` (dist/split) vs bare deno, CPU time",
        "short",
        cpu,
        "drun-split",
        "deno",
        max,
      );
    }
  }
  for (const [col, form] of [["drun", "bin/drun"], ["drun-split", "dist/split"]]) {
    const rss = summaryOf(cases, "6", "peak RSS during run", col);
    rows.push({
      what: `peak RSS of \`run\` (${form})`,
      measured: rss ? `${(rss.median / 1024).toFixed(1)} MiB` : "–",
      target: "≤ 40 MiB",
      met: rss ? rss.median <= 40 * 1024 : undefined,
    });
  }
  ratioRow("`podman run --rm`, drun vs runc", "engines", "podman run --rm", "drun", "runc");
  ratioRow("`ctr run --rm`, drun vs runc", "engines", "ctr run --rm", "drun", "runc");
  return rows;
}

/**
 * The targets as a markdown table.
 *
 * @example
 * ```ts
 * console.log(targetsMarkdown(targetRows(results.cases)));
 * ```
 */
export function targetsMarkdown(rows: TargetRow[]): string {
  const lines = [
    "### Targets (medians of this run)",
    "",
    "| | measured | target | met |",
    "| --- | ---: | ---: | --- |",
  ];
  for (const r of rows) {
    const met = r.met === undefined ? "" : r.met ? "yes" : "no";
    lines.push(`| ${r.what} | ${r.measured} | ${r.target} | ${met} |`);
  }
  return lines.join("\n") + "\n";
}
