/**
 * Case 4: seccomp user notification. Container start with Docker's profile plus a NOTIFY rule
 * on mkdirat (which the probe never calls, so only the handoff of the listener fd counts) and
 * an agent listening (lib/agent, in this process), against the profile alone; and drun's own
 * handoff latency (filter installed → fd sent), from the library's CreateResult.handoffNs.
 * @module
 */
import { join } from "node:path";
import { SeccompAgent } from "../../lib/agent/mod.ts";
import { add, type CaseResult, metric, newCase } from "../lib/report.ts";
import { deleteAll, notifyProfile, probeSpec, REPO, runContainer } from "../lib/setup.ts";
import { check, runTimed } from "../lib/proc.ts";
import { type Ctx, interleave } from "./common.ts";

/** The syscall put under NOTIFY. */
export const NOTIFY_SYSCALL = "mkdirat";

/** Case 4. */
export async function notifyCase(ctx: Ctx): Promise<CaseResult> {
  const { ws, counts } = ctx;
  const rts = ws.pick(["drun", "runc", "crun"]);
  const c = newCase(
    "4",
    `seccomp notify: start with a NOTIFY rule (${NOTIFY_SYSCALL}, never called) and an agent`,
    rts.map((rt) => ({ key: rt.name, label: rt.label })),
  );
  if (!ctx.docker) {
    c.errors.push(`Docker's profile not found (vendor/docker-default-amd64.json); case skipped`);
    return c;
  }
  const socket = ws.path("agent.sock");
  const agentErrors: string[] = [];
  const agent = await SeccompAgent.listen(socket, {
    onError: (e, where) => agentErrors.push(`${where}: ${e.message}`),
    // crun keeps its end open until it exits; a short wait keeps such connections cheap.
    handshakeTimeoutMs: 2000,
  });
  const fdsBy: Record<string, number> = {};
  try {
    const plain = probeSpec(ws.rootfs, ["exit", "0"]);
    plain.linux!.seccomp = ctx.docker;
    const notify = probeSpec(ws.rootfs, ["exit", "0"]);
    notify.linux!.seccomp = notifyProfile(ctx.docker, NOTIFY_SYSCALL, socket);
    const bundles = new Map<string, string>();
    for (const rt of rts) {
      bundles.set(`${rt.name}/docker`, ws.bundle(rt, "docker", plain));
      bundles.set(`${rt.name}/notify`, ws.bundle(rt, "notify", notify));
    }
    const mPlain = metric(c, "run, Docker profile", "ms");
    const mNotify = metric(c, "run, Docker profile + NOTIFY rule, agent listening", "ms");
    const opts = { cwd: ws.dir };
    ctx.log(`case 4: run x${counts.n} per runtime, with and without NOTIFY`);
    await interleave(c, rts, counts.warmup + counts.n, async (rt, i) => {
      const a = await runContainer(rt, bundles.get(`${rt.name}/docker`)!, ws.id(rt), opts);
      const before = countFds(agent);
      const b = await runContainer(rt, bundles.get(`${rt.name}/notify`)!, ws.id(rt), opts);
      fdsBy[rt.name] = (fdsBy[rt.name] ?? 0) + (await settle(agent, before)) - before;
      if (i < counts.warmup) return;
      add(mPlain, rt.name, a.ms);
      add(mNotify, rt.name, b.ms);
    }, ctx.log);
    for (const rt of rts) c.errors.push(...await deleteAll(rt));

    // drun's handoff latency, measured inside drun, through the library in one process.
    ctx.log(`case 4: handoff latency via the library x${counts.n}`);
    const drun = ws.runtimes.get("drun");
    if (drun) {
      const libRt = ws.drunAt("drun-handoff");
      const mh = metric(c, "drun handoff: filter installed → fd sent (library)", "µs", true);
      const mcN = metric(c, "create() via library, + NOTIFY", "ms", true);
      const mcP = metric(c, "create() via library, Docker profile only", "ms", true);
      for (const [variant, m] of [["notify", mcN], ["docker", mcP]] as const) {
        const out = check(
          await runTimed([
            Deno.execPath(),
            "run",
            "-A",
            join(REPO, "bench", "lib_loop.ts"),
            "--bundle",
            bundles.get(`drun/${variant}`)!,
            "--root",
            libRt.root,
            "--prefix",
            `drun-bench-handoff-${variant}-${Deno.pid}`,
            "--n",
            String(counts.n + 1),
          ], { capture: true, cwd: ws.dir, timeoutMs: 300_000 }),
          `library loop (${variant})`,
        );
        const res = JSON.parse(out.stdout) as {
          iterations: { create: number; handoffNs?: number }[];
        };
        // The first container of a process also loads libdrun: left out here.
        for (const it of res.iterations.slice(1)) {
          add(m, "drun", it.create);
          if (variant === "notify" && it.handoffNs !== undefined) {
            add(mh, "drun", it.handoffNs / 1000);
          }
        }
      }
      c.errors.push(...await deleteAll(libRt));
      if (!mh.samples.drun?.length) c.errors.push("drun reported no handoffNs");
    }
  } finally {
    await agent.close();
  }
  const expected = counts.warmup + counts.n;
  for (const rt of rts) {
    const got = fdsBy[rt.name] ?? 0;
    c.notes.push(
      `${rt.label}: the agent received ${got} listener fds for ${expected} NOTIFY runs.`,
    );
  }
  c.notes.push(
    "The NOTIFY bundle is Docker's profile with mkdirat moved from the allow list to a NOTIFY " +
      "rule (libseccomp refuses two actions for one syscall) and listenerPath set to the agent.",
    "runc 1.1.5 sends the fd during create and closes the socket at once: the same agent " +
      "(lib/agent) serves it. crun 1.8.1 sends the fd and state but keeps the connection " +
      "open until the crun process exits, while the agent reads the state until EOF: here the " +
      "probe never makes the notified syscall so crun's timing is valid, but a notified " +
      "syscall in a crun container would wait until crun exits (or the agent's handshake " +
      "timeout, then fail with ENOSYS).",
  );
  if (agentErrors.length) {
    c.extra = { agentErrors: agentErrors.slice(0, 20), agentErrorCount: agentErrors.length };
  }
  return c;
}

function countFds(agent: SeccompAgent): number {
  return agent.connectionsServed;
}

/** Gives the agent a moment to take a connection that arrived, returns its count. */
async function settle(agent: SeccompAgent, before: number): Promise<number> {
  for (let i = 0; i < 100 && agent.connectionsServed === before; i++) {
    await new Promise((r) => setTimeout(r, 10));
  }
  return agent.connectionsServed;
}
