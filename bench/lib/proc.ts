/**
 * Running a command and timing it from spawn to exit. A container's init inherits the
 * runtime's stdio and may hold the pipes open after the runtime exits (after `create`), so
 * output is read until the command exits plus a short grace period, never until EOF.
 * @module
 */
import { drain } from "../../lib/streams.ts";

/** What one timed command did. */
export interface RunResult {
  /** The command line. */
  argv: string[];
  /** Wall time from spawn to exit, ms. */
  ms: number;
  /** Exit code (-1 when killed by the timeout). */
  code: number;
  /** Captured stdout ("" unless `capture`). */
  stdout: string;
  /** Captured stderr. */
  stderr: string;
  /** Spawn time, epoch ms (same clock as Deno's performance.timeOrigin + now()). */
  startEpoch: number;
  /** Exit time, epoch ms. */
  endEpoch: number;
}

/** Options of {@link runTimed}. */
export interface RunOptions {
  /** Capture stdout (else /dev/null). */
  capture?: boolean;
  /** Extra environment. */
  env?: Record<string, string>;
  /** Working directory. */
  cwd?: string;
  /** Kill the command after this long (default 60 s). */
  timeoutMs?: number;
  /** Run even after {@link stopSpawning} (the cleanup's own commands). */
  cleanup?: boolean;
}

let stopped = false;
const inFlight = new Set<Deno.ChildProcess>();

/**
 * After this, runTimed refuses new commands except cleanup ones, and the commands running now
 * are killed (an interrupted run; the cleanup then removes what they left).
 */
export function stopSpawning(): void {
  stopped = true;
  for (const c of inFlight) {
    try {
      c.kill("SIGKILL");
    } catch { /* already gone */ }
  }
}

/** Epoch milliseconds with sub-millisecond precision. */
export function epochNow(): number {
  return performance.timeOrigin + performance.now();
}

/** Runs argv, returns its timing and output. Never throws for a non-zero exit. */
export async function runTimed(argv: string[], opts: RunOptions = {}): Promise<RunResult> {
  if (stopped && !opts.cleanup) throw new Error("interrupted");
  const cmd = new Deno.Command(argv[0], {
    args: argv.slice(1),
    stdin: "null",
    stdout: opts.capture ? "piped" : "null",
    stderr: "piped",
    env: opts.env,
    cwd: opts.cwd,
  });
  const t0 = performance.now();
  const child = cmd.spawn();
  if (!opts.cleanup) inFlight.add(child);
  const out = opts.capture ? drain(child.stdout) : undefined;
  const err = drain(child.stderr);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
  }, opts.timeoutMs ?? 60_000);
  const status = await child.status;
  const t1 = performance.now();
  clearTimeout(timer);
  inFlight.delete(child);
  const [stdout, stderr] = await Promise.all([out?.settle(30) ?? "", err.settle(30)]);
  return {
    argv,
    ms: t1 - t0,
    code: timedOut ? -1 : status.code,
    stdout,
    stderr: timedOut ? `${stderr}\n(killed after ${opts.timeoutMs ?? 60_000} ms)` : stderr,
    startEpoch: performance.timeOrigin + t0,
    endEpoch: performance.timeOrigin + t1,
  };
}

/** Throws a readable error when the command failed. */
export function check(r: RunResult, what: string): RunResult {
  if (r.code !== 0) {
    const tail = r.stderr.trim().split("\n").slice(-5).join("\n");
    throw new Error(`${what}: exit ${r.code}: ${tail || "(no stderr)"}`);
  }
  return r;
}

/** Wall and CPU time of one command, from bash's `time`. */
export interface CpuResult {
  /** Exit code. */
  code: number;
  /** Wall time from bash's fork to its wait, ms. */
  ms: number;
  /** User + system CPU time of the command and the children it waited for, ms. */
  cpuMs: number;
}

/**
 * Runs argv under bash's `time` (getrusage of the children, ms resolution) with its output
 * discarded: on a loaded host CPU time moves far less than wall time, which includes waiting
 * for a CPU. Never throws for a non-zero exit.
 *
 * @example
 * ```ts
 * const { ms, cpuMs } = await cpuTimed(["deno", "run", "-A", "empty.js"]);
 * ```
 */
export async function cpuTimed(argv: string[], opts: RunOptions = {}): Promise<CpuResult> {
  const script = 'TIMEFORMAT="drun-bench-time %3R %3U %3S"; time "$@" >/dev/null 2>&1';
  const r = await runTimed(["bash", "-c", script, "bash", ...argv], opts);
  const m = /drun-bench-time ([\d.]+) ([\d.]+) ([\d.]+)/.exec(r.stderr);
  if (!m) return { code: r.code === 0 ? -1 : r.code, ms: r.ms, cpuMs: NaN };
  return { code: r.code, ms: Number(m[1]) * 1000, cpuMs: (Number(m[2]) + Number(m[3])) * 1000 };
}
