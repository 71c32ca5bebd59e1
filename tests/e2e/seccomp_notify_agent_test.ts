/**
 * The SeccompAgent SDK serving SCMP_ACT_NOTIFY: bad connections (no data, no fd, a truncated
 * state) are dropped while a 300 KB state is taken whole and real containers are still served;
 * a handler reads the caller's strings, fails or fakes syscalls and installs fds.
 */
import "./needs_root.ts";
import { NO_SANITIZE, notifyOn, tempSocketDir, waitFor } from "./seccomp_helpers.ts";
import { drunTimed } from "./seccomp_notify_helpers.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  type Notification,
  type NotificationContext,
  type Response,
  SeccompAgent,
} from "../../lib/agent/mod.ts";
import { makeProbeBundle, probeSpec } from "../helpers.ts";

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
