/**
 * Reads what one validation program printed and reduces it to the names of its failures.
 *
 * The programs speak TAP 13 (`ok N - text`, `not ok N - text`, a `1..N` plan), but several
 * end with a non-zero exit and no TAP at all (`util.Fatal`), or print an empty plan after a
 * YAML error block: both are failures of the whole program, named here so the table of
 * expected results can list them like any failing test.
 * @module
 */

/** What a program run came to, as the table of expected results names it. */
export interface Outcome {
  /** Failure names, sorted and unique: `not ok` texts, plus `exit N`, `timeout`, `no tests`. */
  failures: string[];
  /** How many `ok` lines (skips included). */
  passed: number;
}

/** A program's raw result. */
export interface RawRun {
  /** Exit code of the program (or of `timeout`). */
  code: number;
  /** True when the per-program timeout killed it. */
  timedOut: boolean;
  /** Everything it printed on stdout. */
  stdout: string;
}

/** Name given to a run stopped by the per-program timeout. */
export const TIMEOUT = "timeout";
/** Name given to a run that printed `1..0` without a skip directive. */
export const NO_TESTS = "no tests";

/**
 * Reduces a program's run to its failure names.
 * @example
 * ```ts
 * const o = outcome({ code: 0, timedOut: false, stdout: "ok 1 - a\nnot ok 2 - b\n1..2\n" });
 * // o.failures → ["b"], o.passed → 1
 * ```
 */
export function outcome(run: RawRun): Outcome {
  const failures = new Set<string>();
  let passed = 0;
  let emptyPlan = false;
  for (const line of run.stdout.split("\n")) {
    const notOk = /^not ok \d+(?: - (.*))?$/.exec(line);
    if (notOk) {
      failures.add((notOk[1] ?? "").trim());
      continue;
    }
    if (/^ok \d+/.test(line)) passed++;
    // "1..0 # SKIP why" is a program skipping itself; a bare "1..0" ran nothing.
    if (/^1\.\.0\s*$/.test(line)) emptyPlan = true;
  }
  if (run.timedOut) failures.add(TIMEOUT);
  else if (run.code !== 0) failures.add(`exit ${run.code}`);
  // Some programs print a second, empty TAP stream after a full one; only a run that
  // reported nothing at all counts as having run no tests.
  if (emptyPlan && passed === 0 && failures.size === 0) failures.add(NO_TESTS);
  return { failures: [...failures].sort(), passed };
}
