/**
 * SCMP_ACT_NOTIFY and its listener settings: bad ones (no agent, a stale socket, empty or
 * relative paths, metadata without a path, an agent that hangs up) fail `create` within 1 s,
 * naming the field and leaving nothing; listenerPath without a NOTIFY rule is ignored; an
 * agent that dies mid-run leaves the notified syscall failing with ENOSYS.
 */
import "./needs_root.ts";
import { NO_SANITIZE, notifyOn, type Seccomp, tempSocketDir, waitFor } from "./seccomp_helpers.ts";
import { bundleProcs, drunTimed, startAgentProcess } from "./seccomp_notify_helpers.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import { SeccompAgent } from "../../lib/agent/mod.ts";
import { makeProbeBundle, probeSpec, snapshot } from "../helpers.ts";

Deno.test({
  name: "notify: bad listener settings fail create within 1 s, naming the field, leaving nothing",
  ...NO_SANITIZE,
  async fn(t) {
    const sockDir = tempSocketDir();
    // A socket file whose agent was SIGKILLed: connect() gets ECONNREFUSED.
    const stale = join(sockDir, "stale.sock");
    const a = await startAgentProcess(stale);
    a.child.kill("SIGKILL");
    await a.child.status;
    assert.ok(Deno.lstatSync(stale).isSocket, "the dead agent's socket file remains");

    const cases: { what: string; path?: string; metadata?: string }[] = [
      { what: "no agent listening (path does not exist)", path: join(sockDir, "nobody.sock") },
      { what: "stale socket of a killed agent", path: stale },
      { what: "empty listenerPath", path: "" },
      { what: "relative listenerPath", path: "relative/agent.sock" },
      { what: "NOTIFY without listenerPath" },
      { what: "listenerMetadata without listenerPath", metadata: "m" },
    ];
    const b = makeProbeBundle(probeSpec(["report"]));
    try {
      for (const c of cases) {
        await t.step(c.what, async () => {
          for (const names of [["read"], ["close"], ["futex"], ["exit_group"], []]) {
            const spec = probeSpec(["report"]);
            spec.linux!.seccomp = notifyOn(names, c.path);
            if (c.metadata !== undefined) spec.linux!.seccomp.listenerMetadata = c.metadata;
            b.write(spec);
            const before = snapshot(b.root);
            const id = `bad-${names[0] ?? "default"}`;
            const r = await drunTimed(b, ["create", "--bundle", b.dir, id], 5000);
            const after = snapshot(b.root);
            const label = `${c.what} / notify ${names[0] ?? "(default)"}`;
            assert.notEqual(r.code, 0, `${label}: create must fail`);
            assert.ok(r.ms < 1000, `${label}: failed after ${r.ms.toFixed(0)} ms`);
            assert.match(r.stderr, /linux\.seccomp\./, `${label}: ${r.stderr}`);
            assert.match(r.stderr, /listenerPath/, `${label}: ${r.stderr}`);
            assert.deepEqual(after.state, before.state, `${label}: state root unchanged`);
            assert.deepEqual(after.mounts, before.mounts, `${label}: mounts unchanged`);
            assert.deepEqual(bundleProcs(b), [], `${label}: no process left`);
          }
        });
      }
      // An agent that accepts and hangs up at once: the send fails (EPIPE) after the filter is
      // in, while the init may sit in a notified syscall nobody will answer.
      await t.step("agent hangs up before taking the fd", async () => {
        const rude = join(sockDir, "rude.sock");
        const l = Deno.listen({ transport: "unix", path: rude });
        const closer = (async () => {
          for await (const c of l) c.close();
        })();
        try {
          for (const names of [["wait4"], ["read"], []]) {
            const spec = probeSpec(["report"]);
            spec.linux!.seccomp = notifyOn(names, rude);
            b.write(spec);
            const before = snapshot(b.root);
            const r = await drunTimed(b, ["create", "--bundle", b.dir, "rude"], 5000);
            const label = `notify ${names[0] ?? "(default)"}`;
            assert.notEqual(r.code, 0, `${label}: create must fail`);
            assert.ok(r.ms < 1000, `${label}: failed after ${r.ms.toFixed(0)} ms`);
            assert.match(
              r.stderr,
              /linux\.seccomp: install the filter: send seccomp listener to listenerPath/,
              r.stderr,
            );
            assert.deepEqual(snapshot(b.root).state, before.state);
            assert.deepEqual(bundleProcs(b), [], `${label}: no process left`);
          }
        } finally {
          l.close();
          await closer.catch(() => {});
        }
      });
      // Metadata without a path is an error even when nothing is notified.
      const spec = probeSpec(["report"]);
      spec.linux!.seccomp = { defaultAction: "SCMP_ACT_ALLOW", listenerMetadata: "m" };
      b.write(spec);
      const r = await drunTimed(b, ["create", "--bundle", b.dir, "meta-only"], 5000);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /linux\.seccomp\.listenerMetadata/);
      assert.deepEqual(snapshot(b.root).state, []);
    } finally {
      await b.cleanup();
      await Deno.remove(sockDir, { recursive: true }).catch(() => {});
    }
  },
});

Deno.test({
  name: "notify: listenerPath without a NOTIFY rule is ignored (no connection, container runs)",
  ...NO_SANITIZE,
  async fn() {
    const sockDir = tempSocketDir();
    const sock = join(sockDir, "agent.sock");
    const agent = await SeccompAgent.listen(sock);
    try {
      for (
        const seccomp of [
          { defaultAction: "SCMP_ACT_ALLOW", listenerPath: sock },
          {
            defaultAction: "SCMP_ACT_ALLOW",
            listenerPath: sock,
            listenerMetadata: "unused",
            syscalls: [{ names: ["mkdir"], action: "SCMP_ACT_ERRNO" }],
          },
        ] as Seccomp[]
      ) {
        const spec = probeSpec(["report"]);
        spec.linux!.seccomp = seccomp;
        const b = makeProbeBundle(spec);
        try {
          const r = await drunTimed(b, ["run", "--bundle", b.dir, "ignored"]);
          assert.equal(r.code, 0, r.stderr);
          assert.match(r.stdout, /^\{"pid":1,/m);
        } finally {
          await b.cleanup();
        }
      }
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(agent.connectionsServed, 0);
      assert.deepEqual(agent.events, [], "the agent saw nothing at all");
    } finally {
      await agent.close();
      await Deno.remove(sockDir, { recursive: true }).catch(() => {});
    }
  },
});

Deno.test({
  name: "notify: when the agent dies mid-run, the notified syscall fails with ENOSYS",
  ...NO_SANITIZE,
  async fn() {
    const sockDir = tempSocketDir();
    const sock = join(sockDir, "agent.sock");
    try {
      for (const kill of [false, true]) {
        const agent = await startAgentProcess(sock);
        const spec = probeSpec(["sleep", "1", "syscall", "mkdir", "@s:/tmp/x", "493"]);
        spec.root!.readonly = false;
        spec.linux!.seccomp = notifyOn(["mkdir"], sock);
        const b = makeProbeBundle(spec);
        try {
          const id = kill ? "agent-killed" : "agent-alive";
          const run = drunTimed(b, ["run", "--bundle", b.dir, id]);
          // The connection line comes during create; the probe then sleeps 1 s before mkdir.
          await waitFor(
            () => agent.lines.some((l) => l.includes('"connection"')),
            5000,
            "connection",
          );
          if (kill) {
            // Started, and still in its 1 s sleep before mkdir.
            const until = Date.now() + 900;
            let status = "";
            while (status !== "running" && Date.now() < until) {
              status = JSON.parse((await drunTimed(b, ["state", id])).stdout || "{}").status;
            }
            assert.equal(status, "running");
            agent.child.kill("SIGKILL");
            await agent.child.status;
          }
          const r = await run;
          assert.ok(!r.timedOut, "run hung");
          assert.equal(r.code, 0, r.stderr);
          if (kill) {
            assert.match(r.stdout, /"errno":38/, r.stdout);
          } else {
            assert.match(r.stdout, /"ret":0,"errno":0/, r.stdout);
            assert.ok(
              agent.lines.some((l) => l.includes('"syscall":"mkdir"')),
              "the agent saw mkdir",
            );
          }
        } finally {
          try {
            agent.child.kill(kill ? "SIGKILL" : "SIGTERM");
          } catch { /* already gone */ }
          await agent.child.status;
          await b.cleanup();
          await Deno.remove(sock).catch(() => {});
        }
      }
    } finally {
      await Deno.remove(sockDir, { recursive: true }).catch(() => {});
    }
  },
});
