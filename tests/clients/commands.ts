/**
 * Running a client's commands for the engine suites: with stdin closed (or given) and a
 * deadline, or failing with both streams; and polling until something holds.
 * @module
 */

/** What a command did. */
export interface Result {
  /** Exit code (124 when the deadline killed it). */
  code: number;
  /** Captured stdout. */
  stdout: string;
  /** Captured stderr. */
  stderr: string;
}

/** Runs cmd with stdin closed (or given), failing the wait after timeoutMs. */
export async function sh(
  cmd: string[],
  opts: { stdin?: string; timeoutMs?: number } = {},
): Promise<Result> {
  const child = new Deno.Command(cmd[0], {
    args: cmd.slice(1),
    stdin: opts.stdin !== undefined ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
  }, opts.timeoutMs ?? 60_000);
  if (opts.stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(opts.stdin));
    await w.close();
  }
  const out = await child.output();
  clearTimeout(timer);
  const dec = new TextDecoder();
  return {
    code: out.signal === "SIGKILL" ? 124 : out.code,
    stdout: dec.decode(out.stdout),
    stderr: dec.decode(out.stderr),
  };
}

/** Like sh, but throws with both streams when the command fails. */
export async function must(cmd: string[], opts: { timeoutMs?: number } = {}): Promise<string> {
  const r = await sh(cmd, opts);
  if (r.code !== 0) {
    throw new Error(`${cmd.join(" ")}: exit ${r.code}\n${r.stdout}\n${r.stderr}`);
  }
  return r.stdout;
}

/** Polls fn every 100 ms until it returns true or ms pass. */
export async function until(fn: () => Promise<boolean>, ms = 10_000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await fn()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}
