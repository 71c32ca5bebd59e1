/**
 * Benchmark results: the shape of results/latest.json (every raw sample is kept) and its
 * rendering as markdown tables with median [p10–p90] per cell and the drun/runc, drun/crun
 * ratios of medians.
 * @module
 */
import { fmt, ratio, summarize, type Summary } from "./stats.ts";
import { type TargetRow, targetRows, targetsMarkdown } from "./targets.ts";

/** One measured quantity across the compared columns (runtimes, usually). */
export interface Metric {
  /** Row label. */
  label: string;
  /** Unit of the samples. */
  unit: string;
  /** Raw samples per column key. */
  samples: Record<string, number[]>;
  /** Summaries per column key (filled by {@link finish}). */
  summary?: Record<string, Summary>;
  /** Leave this row out of the ratio columns. */
  noRatio?: boolean;
}

/** One case of the issue. */
export interface CaseResult {
  /** "1".."6", or a name for extra sections. */
  id: string;
  /** Heading. */
  title: string;
  /** Column keys in display order. */
  columns: string[];
  /** Column labels by key. */
  labels: Record<string, string>;
  /** The rows. */
  metrics: Metric[];
  /** Remarks printed under the table. */
  notes: string[];
  /** Failures that did not stop the run (a runtime that could not do this case...). */
  errors: string[];
  /** Anything else worth keeping in the JSON. */
  extra?: Record<string, unknown>;
  /** Wall time the case took, s. */
  seconds?: number;
  /** Ratio columns [a, b] shown as a/b (default: drun/runc and drun/crun). */
  ratios?: [string, string][];
}

/** A new, empty case. */
export function newCase(
  id: string,
  title: string,
  columns: { key: string; label: string }[],
): CaseResult {
  return {
    id,
    title,
    columns: columns.map((c) => c.key),
    labels: Object.fromEntries(columns.map((c) => [c.key, c.label])),
    metrics: [],
    notes: [],
    errors: [],
  };
}

/** The metric with `label`, created on first use. */
export function metric(c: CaseResult, label: string, unit: string, noRatio = false): Metric {
  let m = c.metrics.find((x) => x.label === label);
  if (!m) {
    m = { label, unit, samples: {}, noRatio };
    c.metrics.push(m);
  }
  return m;
}

/** Adds one sample. */
export function add(m: Metric, column: string, value: number): void {
  (m.samples[column] ??= []).push(value);
}

/** Computes every summary. */
export function finish(c: CaseResult): CaseResult {
  for (const m of c.metrics) {
    m.summary = Object.fromEntries(
      Object.entries(m.samples).map(([k, v]) => [k, summarize(v)]),
    );
  }
  return c;
}

function cell(s: Summary | undefined, unit: string): string {
  if (!s || !s.n) return "–";
  const d = unit === "KiB" || unit === "bytes" ? 0 : undefined;
  if (s.n === 1) return fmt(s.median, d);
  return `${fmt(s.median, d)} [${fmt(s.p10, d)}–${fmt(s.p90, d)}]`;
}

/** Ratio text: "1.23×" or "–". */
function ratioCell(m: Metric, a: string, b: string): string {
  const r = ratio(m.summary?.[a], m.summary?.[b]);
  return Number.isFinite(r) ? `${r.toFixed(2)}×` : "–";
}

/** Markdown for one case. */
export function caseMarkdown(c: CaseResult): string {
  const cols = c.columns.filter((k) => c.metrics.some((m) => m.samples[k]?.length));
  const hasRatio = ([a, b]: [string, string]) =>
    cols.includes(a) && cols.includes(b) &&
    c.metrics.some((m) => !m.noRatio && m.samples[a]?.length && m.samples[b]?.length);
  const pairs: [string, string][] = c.ratios ?? [["drun", "runc"], ["drun", "crun"]];
  const ratioCols = pairs.filter(hasRatio);
  const short = (k: string) => ({ "drun-bundle": "single", "drun-split": "split" })[k] ?? k;
  const head = [
    "",
    "unit",
    ...cols.map((k) => c.labels[k] ?? k),
    ...ratioCols.map(([a, b]) => `${short(a)}/${b}`),
  ];
  const lines = [
    `### ${c.id.match(/^\d/) ? `Case ${c.id}: ` : ""}${c.title}`,
    "",
    `| ${head.join(" | ")} |`,
    `| ${head.map((_, i) => (i < 2 ? "---" : "---:")).join(" | ")} |`,
  ];
  for (const m of c.metrics) {
    const row = [
      m.label,
      m.unit,
      ...cols.map((k) => cell(m.summary?.[k], m.unit)),
      ...ratioCols.map(([a, b]) => (m.noRatio ? "" : ratioCell(m, a, b))),
    ];
    lines.push(`| ${row.join(" | ")} |`);
  }
  lines.push("");
  for (const n of c.notes) lines.push(`- ${n}`);
  for (const e of c.errors) lines.push(`- **error:** ${e}`);
  if (c.notes.length || c.errors.length) lines.push("");
  return lines.join("\n");
}

/** The whole results document. */
export interface Results {
  /** ISO date of the run. */
  date: string;
  /** --quick or full. */
  mode: "quick" | "full";
  /** Host facts. */
  host: Record<string, unknown>;
  /** Iteration counts used. */
  settings: Record<string, number>;
  /** The cases, in order. */
  cases: CaseResult[];
  /** The start-up targets against this run (bench/lib/targets.ts). */
  targets?: TargetRow[];
  /** Leftover checks (cgroups, mounts, state). */
  checks: Record<string, unknown>;
  /** Total wall time, s. */
  seconds: number;
}

/** Markdown for the whole run. */
export function resultsMarkdown(r: Results): string {
  const h = r.host;
  const out = [
    `## drun benchmark results (${r.mode}, ${r.date})`,
    "",
    `Host: ${h.kernel}, ${h.cpus} CPUs, cgroups ${h.cgroupMode}; ${h.deno}; ${h.runc}; ${h.crun}. ` +
    `Load average before/after: ${h.loadavgBefore} / ${h.loadavgAfter}.`,
    `Cells: median [p10–p90] over the samples; ratios are of medians. Runs interleaved ` +
    `(A B C A B C …). Settings: ${
      Object.entries(r.settings).map(([k, v]) => `${k}=${v}`).join(", ")
    }. Took ${r.seconds.toFixed(0)} s.`,
    "",
  ];
  out.push(targetsMarkdown(targetRows(r.cases)));
  for (const c of r.cases) out.push(caseMarkdown(c));
  const ck = r.checks;
  out.push("### Cleanup checks", "");
  for (const [k, v] of Object.entries(ck)) {
    out.push(`- ${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`);
  }
  out.push("");
  return out.join("\n");
}
