/**
 * Summary statistics for benchmark samples: median and spread (p10/p90, IQR), and ratios of
 * medians. Percentiles interpolate linearly between order statistics.
 * @module
 */

/** Median and spread of a sample set. */
export interface Summary {
  /** Number of samples. */
  n: number;
  /** Median. */
  median: number;
  /** 10th percentile. */
  p10: number;
  /** 90th percentile. */
  p90: number;
  /** 25th percentile. */
  q1: number;
  /** 75th percentile. */
  q3: number;
  /** Smallest sample. */
  min: number;
  /** Largest sample. */
  max: number;
  /** Arithmetic mean. */
  mean: number;
}

/** The p-th percentile (0..100) of sorted values. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * (p / 100);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** Summarises samples (NaN everywhere when there are none). */
export function summarize(samples: number[]): Summary {
  const s = samples.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  return {
    n: s.length,
    median: percentile(s, 50),
    p10: percentile(s, 10),
    p90: percentile(s, 90),
    q1: percentile(s, 25),
    q3: percentile(s, 75),
    min: s.length ? s[0] : NaN,
    max: s.length ? s[s.length - 1] : NaN,
    mean: s.length ? s.reduce((a, b) => a + b, 0) / s.length : NaN,
  };
}

/** Ratio of two medians, NaN when either is missing. */
export function ratio(a: Summary | undefined, b: Summary | undefined): number {
  if (!a || !b || !a.n || !b.n || b.median === 0) return NaN;
  return a.median / b.median;
}

/** A number with a sensible number of digits for a table cell. */
export function fmt(x: number, digits?: number): string {
  if (!Number.isFinite(x)) return "n/a";
  const d = digits ?? (Math.abs(x) >= 100 ? 0 : Math.abs(x) >= 10 ? 1 : 2);
  return x.toFixed(d);
}
