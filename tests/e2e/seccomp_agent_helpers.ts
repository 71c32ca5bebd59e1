/**
 * Helpers the `drun seccomp-agent` suites share: an agent process (the command or an example)
 * whose stdout lines are collected as they come, its counters (SIGUSR2), teardown, and the
 * probe's syscall result lines.
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { type Bundle, CLI, REPO } from "../helpers.ts";
import { waitFor } from "./seccomp_helpers.ts";

/** A long-running process whose stdout lines are collected as they come. */
export interface LineProc {
  child: Deno.ChildProcess;
  lines: string[];
  stderr: () => string;
  /** Stdout lines that are JSON objects. */
  events(): Record<string, unknown>[];
  /** Waits for a line for which `pred` holds. */
  waitLine(pred: (l: string) => boolean, what: string, ms?: number): Promise<string>;
  /** SIGTERM (SIGKILL after 5 s) and the exit status. */
  stop(): Promise<Deno.CommandStatus>;
}

/** Spawns `deno ARGS`, collecting its stdout lines and its stderr. */
function spawnLines(args: string[]): LineProc {
  const child = new Deno.Command(Deno.execPath(), {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const lines: string[] = [];
  let err = "";
  (async () => {
    const dec = new TextDecoder();
    let buf = "";
    for await (const chunk of child.stdout) {
      buf += dec.decode(chunk, { stream: true });
      let nl;
      while ((nl = buf.indexOf("\n")) >= 0) {
        lines.push(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
      }
    }
  })();
  (async () => {
    const dec = new TextDecoder();
    for await (const chunk of child.stderr) err += dec.decode(chunk, { stream: true });
  })();
  let stopped: Promise<Deno.CommandStatus> | undefined;
  return {
    child,
    lines,
    stderr: () => err,
    events: () =>
      lines.filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as Record<string, unknown>),
    waitLine: (pred, what, ms = 10_000) =>
      waitFor(() => lines.find(pred), ms, `${what}; stdout so far:\n${lines.join("\n")}\n${err}`),
    stop() {
      if (stopped) return stopped;
      try {
        child.kill("SIGTERM");
      } catch { /* gone */ }
      const t = setTimeout(() => {
        try {
          child.kill("SIGKILL");
        } catch { /* gone */ }
      }, 5000);
      stopped = child.status.finally(() => clearTimeout(t));
      return stopped;
    },
  };
}

/** `drun seccomp-agent` through cli.ts, ready to serve. */
export async function startCommandAgent(socket: string, extra: string[] = []): Promise<LineProc> {
  const p = spawnLines(["run", "-A", CLI, "seccomp-agent", "--socket", socket, ...extra]);
  await untilListening(p, (l) => l.includes('"event":"listening"'), "the agent to listen");
  return p;
}

/** An example agent, ready to serve. */
export async function startExample(name: string, socket: string): Promise<LineProc> {
  const p = spawnLines(["run", "-A", join(REPO, "examples", name), "--socket", socket]);
  await untilListening(p, (l) => l.startsWith("listening on"), `${name} to listen`);
  return p;
}

/** `p`, with `dir` removed if it fails (before the test's own `finally` can). */
export async function orRemove<T>(dir: string, p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (e) {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    throw e;
  }
}

/** Stops the agent, removes the bundles and the socket dir; the agent must have exited 0. */
export async function tearDown(agent: LineProc, sockDir: string, bundles: Bundle[]): Promise<void> {
  const st = await agent.stop();
  for (const b of bundles) await b.cleanup();
  await Deno.remove(sockDir, { recursive: true }).catch(() => {});
  assert.equal(st.code, 0, agent.stderr());
}

/** Waits for the listening line; an agent that never gets there is stopped, not left behind. */
async function untilListening(p: LineProc, pred: (l: string) => boolean, what: string) {
  try {
    await p.waitLine(pred, what);
  } catch (e) {
    await p.stop();
    throw e;
  }
}

/** Asks the command for its counters (SIGUSR2) and returns the next `stats` line. */
export async function stats(agent: LineProc): Promise<Record<string, number>> {
  const before = agent.events().filter((e) => e.event === "stats").length;
  agent.child.kill("SIGUSR2");
  const all = await waitFor(
    () => {
      const s = agent.events().filter((e) => e.event === "stats");
      return s.length > before && s;
    },
    5000,
    "a stats line",
  );
  return all[all.length - 1] as Record<string, number>;
}

/** Stats once no listener is open any more. */
export async function settledStats(agent: LineProc): Promise<Record<string, number>> {
  const until = Date.now() + 5000;
  while (true) {
    const s = await stats(agent);
    if (s.listeners === 0) return s;
    if (Date.now() > until) throw new Error(`listeners still open: ${JSON.stringify(s)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** How many fds `pid` has open, as the host sees them. */
export function hostFdCount(pid: number): number {
  return [...Deno.readDirSync(`/proc/${pid}/fd`)].length;
}

/** Probe output lines for syscall NR, parsed. */
export function syscallResults(stdout: string, nr: number): { ret: number; errno: number }[] {
  return stdout.split("\n").filter((l) => l.startsWith(`{"syscall":${nr},`)).map((l) =>
    JSON.parse(l)
  );
}

/** x86_64 syscall numbers the probe's result lines show. */
export const MKDIR = 83;
export const MKDIRAT = 258;
export const CHMOD = 90;
export const GETPID = 39;

/** `drun seccomp-agent` with `policy` (kept in `sockDir`) on `sock`, printing JSON lines. */
export function startWithPolicy(sockDir: string, sock: string, policy: unknown): Promise<LineProc> {
  const policyFile = join(sockDir, "policy.json");
  Deno.writeTextFileSync(policyFile, JSON.stringify(policy));
  return orRemove(sockDir, startCommandAgent(sock, ["--policy", policyFile, "--format", "json"]));
}

/** Errnos the policies here answer with. */
export const EDQUOT = 122;
export const ENOMEDIUM = 123;
