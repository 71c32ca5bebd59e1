/**
 * Reads what one validation program printed and reduces it to the names of its failures.
 *
 * The programs speak TAP 13 (`ok N - text`, `not ok N - text`, a `1..N` plan, YAML blocks
 * between `  ---` and `  ...`), with two habits of their own: several end with a non-zero exit
 * and no TAP at all (`util.Fatal`), and the lifecycle programs (hooks, prestart, ...) report
 * a failure only as a YAML block with an `error` before any test line, then `1..0`; a bare
 * `1..0` from them is a pass. Both kinds are named here so that the table of expected
 * results can list them like any failing test.
 * @module
 */

/** What a program run came to, as the table of expected results names it. */
export interface Outcome {
  /** Failure names, sorted and unique: `not ok` texts, `error: <first line>`, `exit N`, `timeout`. */
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

/** The first line of a YAML block's `error`, if the block is the JSON the suite prints. */
function blockError(lines: string[]): string | undefined {
  try {
    const value = JSON.parse(lines.join("\n"));
    if (typeof value?.error === "string" && value.error !== "") {
      return value.error.split("\n")[0];
    }
  } catch { /* not JSON: not one of the suite's error blocks */ }
  return undefined;
}

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
  let seenTest = false;
  let block: string[] | undefined;
  for (const line of run.stdout.split("\n")) {
    if (block) {
      if (line.trim() === "...") {
        // A block before any test line is the program's own error report.
        const error = seenTest ? undefined : blockError(block);
        if (error) failures.add(`error: ${error}`);
        block = undefined;
      } else {
        block.push(line);
      }
      continue;
    }
    if (line.trim() === "---") {
      block = [];
      continue;
    }
    const notOk = /^not ok \d+(?: - (.*))?$/.exec(line);
    if (notOk) {
      seenTest = true;
      failures.add((notOk[1] ?? "").trim());
    } else if (/^ok \d+/.test(line)) {
      seenTest = true;
      passed++;
    }
  }
  if (run.timedOut) failures.add(TIMEOUT);
  else if (run.code !== 0) failures.add(`exit ${run.code}`);
  return { failures: [...failures].sort(), passed };
}
