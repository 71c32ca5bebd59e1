/**
 * Helpers the SCMP_ACT_NOTIFY suites share: a CLI run killed after a deadline (a hung start
 * fails the test instead of the suite), an agent's notifications per container, the bundle's
 * processes, and the fixture agent as a child process.
 * @module
 */
import { drain } from "../../lib/streams.ts";
import { join } from "node:path";
import type { AgentEvent } from "../../lib/agent/mod.ts";
import { CLI, REPO, snapshot } from "../helpers.ts";

/** How long a `run` may take before it counts as hung. */
export const RUN_TIMEOUT_MS = 10_000;

/** A CLI run that is killed after `ms`. */
export interface TimedResult {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
  timedOut: boolean;
}

/** Runs the CLI like helpers.drun, but SIGKILLs it after `ms` and says so. */
export async function drunTimed(
  b: { dir: string; root: string },
  args: string[],
  ms = RUN_TIMEOUT_MS,
) {
  const t0 = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CLI, "--root", b.root, ...args],
    cwd: b.dir,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      child.kill("SIGKILL");
    } catch { /* exited meanwhile */ }
  }, ms);
  const out = drain(child.stdout);
  const err = drain(child.stderr);
  const status = await child.status;
  clearTimeout(timer);
  const elapsed = performance.now() - t0;
  // A container init may still hold the pipes: take what has arrived.
  await new Promise((r) => setTimeout(r, 20));
  return {
    code: status.code,
    stdout: out.take(),
    stderr: err.take(),
    ms: elapsed,
    timedOut,
  } as TimedResult;
}

/** How many notifications of each syscall (by name, else number) container `id` sent. */
export function notificationsFor(events: AgentEvent[], id: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const e of events) {
    if (e.type !== "notification" || e.containerId !== id) continue;
    const k = e.syscall ?? String(e.nr);
    m.set(k, (m.get(k) ?? 0) + 1);
  }
  return m;
}

/** Processes of this bundle (drun commands, or a container init still in the runtime's image). */
export function bundleProcs(b: { dir: string; root: string }): string[] {
  return snapshot(b.root).procs.filter((p) => p.includes(b.dir));
}

/** Starts tests/e2e/fixtures/notify_agent.ts on `sock` and waits for its `ready`. */
export async function startAgentProcess(sock: string) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(REPO, "tests/e2e/fixtures/notify_agent.ts"), sock],
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const lines: string[] = [];
  const { promise: isReady, resolve: ready } = Promise.withResolvers<void>();
  (async () => {
    const dec = new TextDecoder();
    let buf = "";
    for await (const chunk of child.stdout) {
      buf += dec.decode(chunk, { stream: true });
      let nl;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        lines.push(line);
        if (line === "ready") ready();
      }
    }
  })();
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      isReady,
      new Promise((_, rej) => {
        timer = setTimeout(() => rej(new Error("agent process not ready in 10 s")), 10_000);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
  return { child, lines };
}
