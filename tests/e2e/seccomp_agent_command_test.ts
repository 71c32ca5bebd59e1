/**
 * `drun seccomp-agent` with real containers: a policy denies chmod with ENOMEDIUM by path
 * (a bad policy is refused naming the field); one agent process serves 10 containers at once,
 * survives one being killed and leaks no fd; bad connections are logged and dropped; a
 * process added by `exec` reaches the agent on its own connection.
 */
import "./needs_root.ts";
import { NO_SANITIZE, notifyOn, tempSocketDir, waitFor } from "./seccomp_helpers.ts";
import {
  CHMOD,
  GETPID,
  hostFdCount,
  MKDIR,
  orRemove,
  settledStats,
  startCommandAgent,
  stats,
  syscallResults,
  tearDown,
} from "./seccomp_agent_helpers.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import { drun, makeProbeBundle, probeSpec } from "../helpers.ts";

Deno.test({
  name: "seccomp-agent: a policy denies chmod of some paths with ENOMEDIUM, logs the rest",
  ...NO_SANITIZE,
  async fn() {
    const sockDir = tempSocketDir();
    const sock = join(sockDir, "policy.sock");
    const policyFile = join(sockDir, "policy.json");
    // A bad policy is refused up front, naming the field.
    Deno.writeTextFileSync(
      policyFile,
      JSON.stringify({ rules: [{ syscalls: ["chmod"], action: "deny", errno: "ENOMEDUM" }] }),
    );
    const bad = await drun({ dir: sockDir, root: join(sockDir, "state") }, [
      ...["seccomp-agent", "--socket", sock, "--policy", policyFile],
    ]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /rules\[0\]\.errno: unknown errno name \\?"ENOMEDUM/);
    assert.throws(() => Deno.lstatSync(sock), Deno.errors.NotFound);

    Deno.writeTextFileSync(
      policyFile,
      JSON.stringify({
        defaultAction: "allow",
        rules: [
          { syscalls: ["chmod"], paths: ["/x", "/etc/**"], action: "deny", errno: "ENOMEDIUM" },
          { syscalls: ["chmod"], action: "log" },
        ],
      }),
    );
    const agent = await orRemove(
      sockDir,
      startCommandAgent(sock, ["--policy", policyFile, "--format", "json"]),
    );
    const spec = probeSpec([
      ...["syscall", "chmod", "@s:/x", "420"],
      ...["syscall", "chmod", "@s:x", "420"], // relative: under the cwd, /
      ...["syscall", "chmod", "@s:/etc/../etc/passwd", "420"],
      ...["syscall", "chmod", "@s:/y", "420"], // logged, then ENOENT from the kernel
    ]);
    spec.linux!.seccomp = notifyOn(["chmod"], sock);
    const b = makeProbeBundle(spec);
    try {
      const r = await drun(b, ["run", "--bundle", b.dir, "pol"]);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(syscallResults(r.stdout, CHMOD).map((x) => x.errno), [123, 123, 123, 2]);
      const seen = agent.events().filter((e) => e.event === "notification");
      assert.deepEqual(
        seen.map((e) => [e.id, e.syscall, e.path, e.decision, e.errno, e.rule]),
        [
          ["pol", "chmod", "/x", "deny", 123, 0],
          ["pol", "chmod", "/x", "deny", 123, 0],
          ["pol", "chmod", "/etc/passwd", "deny", 123, 0],
          ["pol", "chmod", "/y", "log", undefined, 1],
        ],
      );
      assert.ok(seen.every((e) => typeof e.time === "string" && (e.pid as number) > 0));
      const conn = agent.events().find((e) => e.event === "connection");
      assert.equal(conn?.id, "pol");
      assert.equal(conn?.status, "creating");
    } finally {
      const st = await agent.stop();
      await b.cleanup();
      assert.equal(st.code, 0, agent.stderr());
      assert.ok(agent.lines.at(-1)?.includes('"event":"stopped"'));
      assert.throws(() => Deno.lstatSync(sock), Deno.errors.NotFound, "socket removed on SIGTERM");
      await Deno.remove(sockDir, { recursive: true }).catch(() => {});
    }
  },
});

Deno.test({
  name: "seccomp-agent: one agent serves 10 containers at once, survives a kill, leaks no fd",
  ...NO_SANITIZE,
  async fn() {
    const sockDir = tempSocketDir();
    const sock = join(sockDir, "many.sock");
    const agent = await orRemove(sockDir, startCommandAgent(sock, ["--format", "json"]));
    const spec = probeSpec([
      ...["syscall", "getpid", "sleep", "3", "syscall", "getpid"],
    ]);
    spec.linux!.seccomp = notifyOn(["getpid"], sock);
    const b = makeProbeBundle(spec);
    const vspec = probeSpec(["syscall", "getpid", "sleep", "30"]);
    vspec.linux!.seccomp = notifyOn(["getpid"], sock);
    const vb = makeProbeBundle(vspec);
    const wspec = probeSpec(["syscall", "getpid"]);
    wspec.linux!.seccomp = notifyOn(["getpid"], sock);
    const wb = makeProbeBundle(wspec);
    const pidOf = (id: string) => agent.events().filter((e) => e.id === id);
    // Ids (and so cgroup names) of this process only: other suites on the host may use these.
    const [warm, victimId] = [`warm-${Deno.pid}`, `victim-${Deno.pid}`];
    try {
      // Warm up (first container, lazily opened things), then take the fd baseline.
      const w = await drun(wb, ["run", "--bundle", wb.dir, warm]);
      assert.equal(w.code, 0, w.stderr);
      await agent.waitLine((l) => l.includes(`"event":"closed","id":"${warm}"`), "warm-up done");
      const base = await stats(agent);
      const baseHost = hostFdCount(agent.child.pid);
      assert.equal(base.listeners, 0);

      const ids = Array.from({ length: 9 }, (_, i) => `many${i}-${Deno.pid}`);
      const runs = ids.map((id) => drun(b, ["run", "--bundle", b.dir, id]));
      const victim = drun(vb, ["run", "--bundle", vb.dir, victimId]);
      await waitFor(
        () =>
          [...ids, victimId].every((id) =>
            pidOf(id).some((e) => e.event === "notification" && e.syscall === "getpid")
          ),
        20_000,
        "a getpid from each of the 10 containers",
      );
      const during = await stats(agent);
      assert.ok(during.listeners >= 2, `listeners at once: ${during.listeners}`);
      const k = await drun(vb, ["kill", victimId, "KILL"]);
      assert.equal(k.code, 0, k.stderr);
      const v = await victim;
      assert.notEqual(v.code, 0, "the victim was killed");
      await agent.waitLine(
        (l) => l.includes(`"event":"closed","id":"${victimId}"`),
        "victim closed",
      );
      for (const [i, r] of (await Promise.all(runs)).entries()) {
        assert.equal(r.code, 0, `${ids[i]}: ${r.stderr}`);
        assert.deepEqual(
          syscallResults(r.stdout, GETPID),
          [{ syscall: GETPID, ret: 1, errno: 0 }, { syscall: GETPID, ret: 1, errno: 0 }],
          `${ids[i]}: ${r.stdout}`,
        );
        const ev = pidOf(ids[i]);
        assert.equal(ev.filter((e) => e.event === "connection").length, 1);
        assert.equal(ev.filter((e) => e.event === "notification").length, 2);
      }
      assert.deepEqual(agent.events().filter((e) => e.event === "error"), []);
      const after = await settledStats(agent);
      assert.equal(after.fds, base.fds, "the agent's fds are back to the baseline");
      assert.equal(after.connections, 11);
      assert.equal(hostFdCount(agent.child.pid), baseHost);
    } finally {
      await tearDown(agent, sockDir, [b, vb, wb]);
    }
  },
});

const SEND = `
import os, socket, sys
path, data, with_fd = sys.argv[1], sys.argv[2].encode(), sys.argv[3] == "1"
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(path)
if with_fd:
    fd = os.open("/dev/null", os.O_RDONLY)
    socket.send_fds(s, [data], [fd])
elif data:
    s.sendall(data)
s.close()
`;

/** Connects like a runtime would (Deno cannot pass an fd; python can) and hangs up. */
async function sendRaw(sock: string, data: string, withFd: boolean): Promise<void> {
  const out = await new Deno.Command("python3", {
    args: ["-c", SEND, sock, data, withFd ? "1" : "0"],
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  assert.equal(out.code, 0);
}

Deno.test({
  name: "seccomp-agent: bad connections are logged and dropped, and the agent keeps serving",
  ...NO_SANITIZE,
  async fn() {
    const sockDir = tempSocketDir();
    const sock = join(sockDir, "bad.sock");
    const agent = await orRemove(sockDir, startCommandAgent(sock, ["--format", "json"]));
    const spec = probeSpec(["syscall", "getpid"]);
    spec.linux!.seccomp = notifyOn(["getpid"], sock);
    const b = makeProbeBundle(spec);
    const errors = () => agent.events().filter((e) => e.event === "error");
    try {
      const base = await stats(agent);
      const cases: [string, string, boolean, RegExp][] = [
        ["hang up at once", "", false, /peer closed without sending anything/],
        ["a state but no fd", '{"pid":1,"state":{"id":"nofd"}}', false, /no fd came/],
        [
          "truncated state with an fd",
          '{"ociVersion":"1.2.0","fds":["seccompFd"],"pid":1,"state":{"id":"tr',
          true,
          /malformed container state JSON/,
        ],
        ["not JSON, with an fd", "hello}", true, /malformed container state JSON/],
        ["JSON without state.id, with an fd", '{"pid":7,"state":{}}', true, /no state\.id/],
      ];
      for (const [i, [what, data, withFd, msg]] of cases.entries()) {
        await sendRaw(sock, data, withFd);
        const e = await waitFor(() => errors()[i], 5000, `an error line for ${what}`);
        assert.match(String(e.message), msg, what);
      }
      assert.equal(agent.events().filter((e) => e.event === "connection").length, 0);
      const mid = await stats(agent);
      assert.equal(mid.fds, base.fds, "the dropped connections and their fds are closed");
      // A real container is still served.
      const r = await drun(b, ["run", "--bundle", b.dir, "after-bad"]);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(syscallResults(r.stdout, GETPID), [{ syscall: GETPID, ret: 1, errno: 0 }]);
      assert.ok(
        agent.events().some((e) => e.event === "notification" && e.id === "after-bad"),
        agent.lines.join("\n"),
      );
      assert.equal(errors().length, cases.length, "nothing else went wrong");
      assert.equal((await settledStats(agent)).fds, base.fds);
    } finally {
      await tearDown(agent, sockDir, [b]);
    }
  },
});

Deno.test({
  name: "seccomp-agent: a process added by exec gets its own connection, status running",
  ...NO_SANITIZE,
  async fn() {
    const sockDir = tempSocketDir();
    const sock = join(sockDir, "exec.sock");
    const agent = await orRemove(sockDir, startCommandAgent(sock, ["--format", "json"]));
    const spec = probeSpec(["sleep", "30"]);
    spec.root!.readonly = false;
    spec.linux!.seccomp = notifyOn(["mkdir"], sock);
    const b = makeProbeBundle(spec);
    try {
      const d = await drun(b, ["run", "-d", "--bundle", b.dir, "ex"]);
      assert.equal(d.code, 0, d.stderr);
      const initPid = JSON.parse((await drun(b, ["state", "ex"])).stdout).pid as number;
      const pidFile = join(b.dir, "exec.pid");
      const r = await drun(b, [
        ...["exec", "--pid-file", pidFile, "ex"],
        ...["/probe", "syscall", "mkdir", "@s:/tmp/e", "493"],
      ]);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(syscallResults(r.stdout, MKDIR), [{ syscall: MKDIR, ret: 0, errno: 0 }]);
      assert.ok(Deno.statSync(join(b.rootfs, "tmp/e")).isDirectory);
      const execPid = Number(Deno.readTextFileSync(pidFile));
      const conns = agent.events().filter((e) => e.event === "connection");
      assert.deepEqual(
        conns.map((c) => [c.id, c.status, c.pid]),
        [["ex", "creating", initPid], ["ex", "running", execPid]],
      );
      assert.notEqual(execPid, initPid);
      const n = agent.events().filter((e) => e.event === "notification");
      assert.deepEqual(
        n.map((e) => [e.id, e.pid, e.syscall, e.path, e.decision]),
        [["ex", execPid, "mkdir", "/tmp/e", "allow"]],
      );
      // The exec'd process is gone: its listener closes, the init's stays open.
      await agent.waitLine((l) => l.includes('"event":"closed","id":"ex"'), "exec listener closed");
      assert.equal((await stats(agent)).listeners, 1);
    } finally {
      await b.cleanup();
      const st = await agent.stop();
      await Deno.remove(sockDir, { recursive: true }).catch(() => {});
      assert.equal(st.code, 0, agent.stderr());
    }
  },
});
