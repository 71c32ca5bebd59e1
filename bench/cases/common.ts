/**
 * What every case gets: the workspace, the iteration counts, a logger, and small helpers.
 * @module
 */
import type { LinuxSeccomp } from "../../lib/spec/types.ts";
import type { Rt, Workspace } from "../lib/setup.ts";
import type { CaseResult } from "../lib/report.ts";

/** Iteration counts (full / --quick). */
export interface Counts {
  /** Containers per runtime in cases 1, 2 and 4. */
  n: number;
  /** Warm-up runs per runtime before a case (not recorded). */
  warmup: number;
  /** Containers per runtime and profile in case 3. */
  loopReps: number;
  /** Syscalls per `loop` action in case 3. */
  loopCount: number;
  /** Containers per batch in case 5. */
  libN: number;
  /** Batches per runtime in case 5. */
  libBatches: number;
  /** Runs per runtime in case 6 and in the breakdown. */
  small: number;
}

/** Shared state of a bench run. */
export interface Ctx {
  /** The workspace. */
  ws: Workspace;
  /** Counts for this mode. */
  counts: Counts;
  /** --quick. */
  quick: boolean;
  /** Docker's profile, when vendor/ has it. */
  docker?: LinuxSeccomp;
  /** Progress output (stderr). */
  log(msg: string): void;
}

/** Sleeps ms. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Waits until pid has exited (gone or a zombie nobody reaped yet). */
export async function waitExit(pid: number, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    let stat: string;
    try {
      stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    } catch {
      return;
    }
    const state = stat[stat.lastIndexOf(")") + 2];
    if (state === "Z" || state === "X") return;
    await sleep(1);
  }
  throw new Error(`container process ${pid} still running after ${timeoutMs} ms`);
}

/**
 * Runs `fn` for each runtime, in turn, `n` times (A B C A B C ...). A runtime whose run
 * throws is reported in `c.errors` and left out of the remaining rounds.
 */
export async function interleave(
  c: CaseResult,
  rts: Rt[],
  n: number,
  fn: (rt: Rt, i: number) => Promise<void>,
  log?: (msg: string) => void,
): Promise<void> {
  const failed = new Set<string>();
  for (let i = 0; i < n; i++) {
    for (const rt of rts) {
      if (failed.has(rt.name)) continue;
      try {
        await fn(rt, i);
      } catch (e) {
        failed.add(rt.name);
        const msg = `${rt.label}: ${(e as Error).message}`;
        c.errors.push(msg);
        log?.(`  error: ${msg}`);
      }
    }
  }
}
