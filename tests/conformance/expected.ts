/**
 * The checked-in table of expected results (expected.json) and the comparison with a run.
 *
 * Every program of the suite has a row per runtime. A row lists the failures expected of it,
 * each pointing at a cause; a cause says whether it is this host, the suite itself (with the
 * upstream issue), a drun deviation from the runtime-spec (with where in drun it comes
 * from), or a runc one. A program with no expected failures must pass.
 * @module
 */

/** Where an expected failure comes from. */
/**
 * `drun-choice`: drun knowingly differs from the suite's reading of the spec, for a reason the
 * entry gives (runc and crun do the same, or the spec's rule would harm the host).
 */
export type CauseKind = "host" | "suite" | "drun-bug" | "drun-choice" | "runc-bug";

/** One reason for expected failures, shared by the rows that fail for it. */
export interface Cause {
  /** Which kind of cause. */
  kind: CauseKind;
  /** What happens and why, precisely enough to act on. */
  why: string;
  /** For `suite`: the upstream issue or pull request (owner/repo#N), or why there is none. */
  upstream?: string;
  /** For `drun-bug`: the drun file and function responsible. */
  where?: string;
  /** For `drun-bug`: the item of the parity issue it belongs to, if any. */
  item?: number;
}

/** The runtimes the table has rows for. */
export type RuntimeName = "drun" | "runc";

/**
 * Expected failures of one program under one runtime: failure name → cause id, or several
 * when one failure name hides more than one cause (the suite often says only "exit status 1").
 */
export type Row = Record<string, string | string[]>;

/** The cause ids of one row entry. */
export function causesOf(entry: string | string[]): string[] {
  return typeof entry === "string" ? [entry] : entry;
}

/** The whole table. */
export interface Table {
  /** The suite release the table was made with. */
  suite: string;
  /** Cause id → cause. */
  causes: Record<string, Cause>;
  /** Program → runtime → expected failures. */
  programs: Record<string, Record<RuntimeName, Row>>;
}

/** How a run compares with its row. */
export interface Verdict {
  /** Failures the row does not list. */
  unexpected: string[];
  /** Failures the row lists that did not happen (an unexpected pass). */
  missing: string[];
}

const KINDS: CauseKind[] = ["host", "suite", "drun-bug", "drun-choice", "runc-bug"];

/**
 * Loads and checks the table: every cause is well formed, every row names known causes.
 * @example
 * ```ts
 * const table = loadTable(new URL("./expected.json", import.meta.url));
 * console.log(Object.keys(table.programs).length);
 * ```
 */
export function loadTable(path: URL | string): Table {
  const table = JSON.parse(Deno.readTextFileSync(path)) as Table;
  for (const [id, c] of Object.entries(table.causes)) {
    if (!KINDS.includes(c.kind)) throw new Error(`expected.json: causes.${id}.kind: unknown`);
    if (!c.why) throw new Error(`expected.json: causes.${id}.why: missing`);
    if (c.kind === "suite" && !c.upstream) {
      throw new Error(`expected.json: causes.${id}.upstream: a suite bug names its upstream issue`);
    }
    if (c.kind === "drun-bug" && !c.where) {
      throw new Error(`expected.json: causes.${id}.where: a drun bug names its file and function`);
    }
  }
  for (const [program, rows] of Object.entries(table.programs)) {
    for (const [runtime, row] of Object.entries(rows)) {
      for (const [failure, entry] of Object.entries(row)) {
        for (const cause of causesOf(entry)) {
          if (table.causes[cause]) continue;
          throw new Error(
            `expected.json: programs.${program}.${runtime}["${failure}"]: unknown cause ${cause}`,
          );
        }
      }
    }
  }
  return table;
}

/**
 * Compares a run's failures with the row expected of it.
 * @example
 * ```ts
 * const v = compare({ "exit 1": "host-kmem" }, ["exit 1", "b"]);
 * // v.unexpected → ["b"], v.missing → []
 * ```
 */
export function compare(row: Row, failures: string[]): Verdict {
  const seen = new Set(failures);
  return {
    unexpected: failures.filter((f) => !(f in row)),
    missing: Object.keys(row).filter((f) => !seen.has(f)),
  };
}
