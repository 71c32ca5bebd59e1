/**
 * SCMP_ACT_NOTIFY end to end: the listener fd and container state reach an agent during
 * `create`; no notified syscall can deadlock the handoff (each of a long list, and NOTIFY as
 * the default action, with and without noNewPrivileges); bad listener settings fail `create`
 * quickly and cleanly; listenerPath without NOTIFY is ignored; an agent that dies leaves the
 * container with ENOSYS; an agent can read the caller's memory, fake results and install fds.
 */
import "./needs_root.ts";
import { NO_SANITIZE, notifyOn, type Seccomp, tempSocketDir, waitFor } from "./seccomp_helpers.ts";
import { drain } from "../../lib/streams.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  type AgentEvent,
  type Notification,
  type NotificationContext,
  type Response,
  SeccompAgent,
} from "../../lib/agent/mod.ts";
import { CLI, drun, makeProbeBundle, probeSpec, REPO, snapshot } from "../helpers.ts";

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

const RUN_TIMEOUT_MS = 10_000;

/** A CLI run that is killed after `ms`. */
interface TimedResult {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
  timedOut: boolean;
}

/** Runs the CLI like helpers.drun, but SIGKILLs it after `ms` and says so. */
async function drunTimed(b: { dir: string; root: string }, args: string[], ms = RUN_TIMEOUT_MS) {
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

function notificationsFor(events: AgentEvent[], id: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const e of events) {
    if (e.type !== "notification" || e.containerId !== id) continue;
    const k = e.syscall ?? String(e.nr);
    m.set(k, (m.get(k) ?? 0) + 1);
  }
  return m;
}

/** Processes of this bundle (drun commands, or a container init still in the runtime's image). */
function bundleProcs(b: { dir: string; root: string }): string[] {
  return snapshot(b.root).procs.filter((p) => p.includes(b.dir));
}

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

/** Starts tests/e2e/fixtures/notify_agent.ts on `sock` and waits for its `ready`. */
async function startAgentProcess(sock: string) {
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

const SEND_WITH_FD = `
import json, os, socket, sys
path, mode = sys.argv[1], sys.argv[2]
if mode == "truncated":
    data = b'{"ociVersion":"1.2.0","fds":["seccompFd"],"pid":1,"state":{"id":"tr'
else:
    data = json.dumps({"ociVersion": "1.2.0", "fds": ["seccompFd"], "pid": os.getpid(),
                       "state": {"id": "big", "annotations": {"a": "x" * 300000}}}).encode()
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(path)
fd = os.open("/dev/null", os.O_RDONLY)
socket.send_fds(s, [data[:1000]], [fd])
s.sendall(data[1000:])
s.close()
`;

/** Connects like a runtime: the first 1000 bytes carry an fd (of /dev/null). */
async function sendWithFd(sock: string, mode: "truncated" | "big"): Promise<number> {
  const out = await new Deno.Command("python3", {
    args: ["-c", SEND_WITH_FD, sock, mode],
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  return out.code;
}

Deno.test({
  name: "notify: bad connections are dropped and the agent keeps serving",
  ...NO_SANITIZE,
  async fn() {
    const sockDir = tempSocketDir();
    const sock = join(sockDir, "agent.sock");
    const errors: string[] = [];
    const agent = await SeccompAgent.listen(sock, { onError: (e) => errors.push(e.message) });
    try {
      // Hang up at once; send a state without an fd.
      (await Deno.connect({ transport: "unix", path: sock })).close();
      const c = await Deno.connect({ transport: "unix", path: sock });
      await c.write(new TextEncoder().encode('{"pid":1,"state":{"id":"x"}}'));
      c.close();
      await waitFor(() => errors.length >= 2, 5000, "two dropped connections");
      assert.equal(agent.connectionsServed, 0);
      assert.ok(errors.some((e) => /without sending anything/.test(e)), errors.join("; "));
      assert.ok(errors.some((e) => /no fd/.test(e)), errors.join("; "));
      // With an fd (Deno cannot send one; python can): a truncated state is dropped...
      assert.equal(await sendWithFd(sock, "truncated"), 0);
      await waitFor(() => errors.length >= 3, 5000, "the truncated state to be dropped");
      assert.match(errors[2], /malformed container state JSON/);
      assert.equal(agent.connectionsServed, 0);
      // ...and a 300 KB one, in many reads, is taken whole. Its "listener" is /dev/null, so
      // its loop ends at the first SECCOMP_IOCTL_NOTIF_RECV (ENOTTY).
      assert.equal(await sendWithFd(sock, "big"), 0);
      await waitFor(() => agent.connectionsServed === 1, 5000, "the big state");
      const big = agent.events.find((e) => e.type === "connection");
      assert.ok(big?.type === "connection" && big.bytes > 300_000 && big.state.state.id === "big");
      await waitFor(() => agent.activeListeners === 0, 5000, "the /dev/null listener to end");
      errors.length = 0;
      // A real container is still served.
      const spec = probeSpec(["report"]);
      spec.linux!.seccomp = notifyOn(["execve"], sock);
      const b = makeProbeBundle(spec);
      try {
        const r = await drunTimed(b, ["run", "--bundle", b.dir, "after-bad"]);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(agent.connectionsServed, 2);
        assert.deepEqual(errors, []);
      } finally {
        await b.cleanup();
      }
    } finally {
      await agent.close();
      await Deno.remove(sockDir, { recursive: true }).catch(() => {});
    }
    assert.throws(() => Deno.lstatSync(sock), Deno.errors.NotFound, "close() removed the socket");
  },
});

Deno.test({
  name: "notify: the agent reads the caller's strings, fails or fakes syscalls, installs fds",
  ...NO_SANITIZE,
  async fn() {
    const sockDir = tempSocketDir();
    const sock = join(sockDir, "agent.sock");
    const hostFile = join(sockDir, "from-the-agent.txt");
    Deno.writeTextFileSync(hostFile, "hello from the host");
    const libc = Deno.dlopen("libc.so.6", {
      open: { parameters: ["buffer", "i32"], result: "i32" },
      close: { parameters: ["i32"], result: "i32" },
    });
    const seenPaths: string[] = [];
    const handler = async (n: Notification, ctx: NotificationContext): Promise<Response> => {
      if (n.syscall === "mkdir") {
        const path = await ctx.readString(n.args[0], 4096);
        seenPaths.push(path);
        if (path === "/tmp/denied") return { error: 13 };
        if (path === "/tmp/faked") return { value: 0 };
        return { continue: true };
      }
      if (n.syscall === "openat") {
        const path = await ctx.readString(n.args[1], 4096);
        if (path === "/magic") {
          const fd = libc.symbols.open(new TextEncoder().encode(hostFile + "\0"), 0);
          try {
            ctx.addFd(fd, { newfd: 7, send: true });
          } finally {
            libc.symbols.close(fd);
          }
          return { continue: true }; // not sent: the kernel already answered with fd 7
        }
      }
      return { continue: true };
    };
    const errors: string[] = [];
    const agent = await SeccompAgent.listen(sock, {
      handler,
      onError: (e) => errors.push(e.message),
    });
    const spec = probeSpec([
      "syscall",
      "mkdir",
      "@s:/tmp/denied",
      "493",
      "syscall",
      "mkdir",
      "@s:/tmp/faked",
      "493",
      "syscall",
      "mkdir",
      "@s:/tmp/real",
      "493",
      "open",
      "/magic",
      "0",
      "cat",
      "/proc/self/fd/7",
    ]);
    spec.root!.readonly = false;
    spec.linux!.seccomp = notifyOn(["mkdir", "openat"], sock);
    const b = makeProbeBundle(spec);
    try {
      const r = await drunTimed(b, ["run", "--bundle", b.dir, "handled"]);
      assert.equal(r.code, 0, r.stderr);
      const lines = r.stdout.split("\n");
      assert.ok(lines.some((l) => l.startsWith('{"syscall":83,"ret":-1,"errno":13}')), r.stdout);
      assert.ok(
        lines.filter((l) => l.startsWith('{"syscall":83,"ret":0,"errno":0}')).length === 2,
        r.stdout,
      );
      assert.match(r.stdout, /\{"open":"\/magic","fd":7,"errno":0\}/);
      assert.match(r.stdout, /hello from the host/);
      assert.deepEqual(seenPaths, ["/tmp/denied", "/tmp/faked", "/tmp/real"]);
      assert.deepEqual(errors, []);
    } finally {
      await agent.close();
      libc.close();
      await b.cleanup();
      await Deno.remove(sockDir, { recursive: true }).catch(() => {});
    }
  },
});
