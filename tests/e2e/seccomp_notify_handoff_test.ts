/**
 * SCMP_ACT_NOTIFY end to end, the handoff: the listener fd and container state reach an agent
 * during `create`, before it returns; no notified syscall can deadlock the handoff (each of a
 * long list, NOTIFY as the default action, and with each filter flag, with and without
 * noNewPrivileges).
 */
import "./needs_root.ts";
import { NO_SANITIZE, notifyOn, tempSocketDir, waitFor } from "./seccomp_helpers.ts";
import { drunTimed, notificationsFor, RUN_TIMEOUT_MS } from "./seccomp_notify_helpers.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import { type AgentEvent, SeccompAgent } from "../../lib/agent/mod.ts";
import { drun, makeProbeBundle, probeSpec } from "../helpers.ts";

/** Each of these, alone under NOTIFY, must not hang the container's start. */
const NOTIFY_ONE = [
  "sendmsg",
  "sendto",
  "write",
  "writev",
  "read",
  "close",
  "futex",
  "wait4",
  "waitid",
  "mmap",
  "munmap",
  "brk",
  "rt_sigprocmask",
  "rt_sigaction",
  "prctl",
  "capset",
  "setresuid",
  "setgroups",
  "fcntl",
  "openat",
  "newfstatat",
  "getdents64",
  "execve",
  "exit_group",
  "clock_nanosleep",
  "nanosleep",
  "ioctl",
  "poll",
];

Deno.test({
  name: "notify: the agent holds the fd and the right state before create returns",
  ...NO_SANITIZE,
  async fn() {
    const sockDir = tempSocketDir();
    const sock = join(sockDir, "agent.sock");
    const errors: string[] = [];
    const agent = await SeccompAgent.listen(sock, { onError: (e) => errors.push(e.message) });
    const bundles = [];
    try {
      for (const nnp of [false, true]) {
        const id = `state-${nnp ? "nnp" : "priv"}`;
        const spec = probeSpec(["report"]);
        spec.process!.noNewPrivileges = nnp;
        spec.annotations = { "org.example.k": "v" };
        spec.linux!.seccomp = notifyOn([], sock, { listenerMetadata: `meta-${id}` });
        const b = makeProbeBundle(spec);
        bundles.push(b);
        const before = agent.connectionsServed;
        const r = await drunTimed(b, ["create", "--bundle", b.dir, id]);
        // Sampled synchronously at the moment `create` is seen to exit.
        const servedAtExit = agent.connectionsServed - before;
        const conns = agent.events.filter((e) =>
          e.type === "connection" && e.state.state.id === id
        );
        const answeredAtExit = notificationsFor(agent.events, id);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(servedAtExit, 1, "exactly one connection by the time create returned");
        assert.equal(conns.length, 1);
        assert.ok(answeredAtExit.size > 0, "the init's syscalls after the filter were answered");
        const c = conns[0] as Extract<AgentEvent, { type: "connection" }>;
        assert.equal(c.fdsReceived, 1, "exactly one fd");
        const st = await drunTimed(b, ["state", id]);
        assert.equal(st.code, 0, st.stderr);
        const hostPid = JSON.parse(st.stdout).pid;
        assert.ok(hostPid > 0);
        assert.equal(c.state.pid, hostPid);
        assert.deepEqual(c.state.fds, ["seccompFd"]);
        assert.equal(c.state.metadata, `meta-${id}`);
        assert.equal(c.state.state.id, id);
        assert.equal(c.state.state.status, "creating");
        assert.equal(c.state.state.pid, hostPid);
        assert.equal(c.state.state.bundle, b.dir);
        assert.deepEqual(c.state.state.annotations, { "org.example.k": "v" });
        assert.equal(typeof c.state.ociVersion, "string");
        // The filter reports to the agent until the container is gone.
        const start = await drunTimed(b, ["start", id]);
        assert.equal(start.code, 0, start.stderr);
        await waitFor(
          () => agent.events.some((e) => e.type === "listener-closed" && e.containerId === id),
          5000,
          "the listener to hang up after the container exited",
        );
        const seen = notificationsFor(agent.events, id);
        assert.ok(seen.get("execve"), "execve was notified");
        await drun(b, ["delete", "--force", id]);
      }
      assert.deepEqual(errors, []);
    } finally {
      await agent.close();
      for (const b of bundles) await b.cleanup();
      await Deno.remove(sockDir, { recursive: true }).catch(() => {});
    }
  },
});

Deno.test({
  name: "notify: no single notified syscall, nor NOTIFY as default, hangs the start (both NNP)",
  ...NO_SANITIZE,
  async fn(t) {
    const sockDir = tempSocketDir();
    const sock = join(sockDir, "agent.sock");
    const errors: string[] = [];
    const agent = await SeccompAgent.listen(sock, {
      onError: (e, w) => errors.push(`${w}: ${e.message}`),
    });
    const timings: number[] = [];
    const seenBy: Record<string, string> = {};
    try {
      for (const name of [...NOTIFY_ONE, "(default)"]) {
        await t.step(`${name}`, async () => {
          const names = name === "(default)" ? [] : [name];
          // Both values of noNewPrivileges at once: the agent serves containers concurrently.
          await Promise.all([false, true].map(async (nnp) => {
            const id = `n-${name === "(default)" ? "default" : name}-${nnp ? 1 : 0}`;
            const spec = probeSpec(["report"]);
            spec.process!.noNewPrivileges = nnp;
            spec.linux!.seccomp = notifyOn(names, sock);
            const b = makeProbeBundle(spec);
            try {
              const r = await drunTimed(b, ["run", "--bundle", b.dir, id]);
              timings.push(r.ms);
              assert.ok(!r.timedOut, `${id}: run hung (killed after ${RUN_TIMEOUT_MS} ms)`);
              assert.equal(r.code, 0, `${id}: ${r.stderr}`);
              assert.match(r.stdout, /^\{"pid":1,/m, `${id}: the probe reported`);
              assert.equal(
                agent.events.filter((e) => e.type === "connection" && e.state.state.id === id)
                  .length,
                1,
                `${id}: one connection`,
              );
              const seen = notificationsFor(agent.events, id);
              seenBy[id] = [...seen.keys()].join(",");
              if (names.length) {
                for (const k of seen.keys()) {
                  assert.equal(k, name, `${id}: only ${name} is notified`);
                }
              } else {
                for (const k of ["execve", "write", "exit_group", "wait4"]) {
                  assert.ok(seen.get(k), `${id}: ${k} notified under the default action`);
                }
              }
              if (["execve", "exit_group", "wait4", "write"].includes(name)) {
                assert.ok(seen.get(name), `${id}: ${name} reached the agent`);
              }
            } finally {
              await b.cleanup();
            }
          }));
        });
      }
      // NEW_LISTENER together with each profile flag (TSYNC needs TSYNC_ESRCH with it).
      await t.step("(flags)", async () => {
        const all = [
          "SECCOMP_FILTER_FLAG_LOG",
          "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
          "SECCOMP_FILTER_FLAG_TSYNC",
          "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
        ];
        for (const flags of [...all.map((f) => [f]), all]) {
          for (const names of [["write"], []]) {
            const id = `flags-${flags.length === 1 ? flags[0].slice(20).toLowerCase() : "all"}`;
            const spec = probeSpec(["report"]);
            spec.linux!.seccomp = notifyOn(names, sock, { flags });
            const b = makeProbeBundle(spec);
            try {
              const r = await drunTimed(b, ["run", "--bundle", b.dir, id]);
              assert.ok(!r.timedOut, `${id}: run hung`);
              assert.equal(r.code, 0, `${id}: ${r.stderr}`);
              assert.ok(notificationsFor(agent.events, id).get("write"), `${id}: write notified`);
            } finally {
              await b.cleanup();
            }
          }
        }
      });
      assert.deepEqual(errors, []);
      timings.sort((a, b) => a - b);
      console.log(
        `  ${timings.length} runs: median ${timings[timings.length >> 1].toFixed(0)} ms, ` +
          `max ${timings[timings.length - 1].toFixed(0)} ms`,
      );
    } finally {
      await agent.close();
      await Deno.remove(sockDir, { recursive: true }).catch(() => {});
    }
  },
});
