/**
 * Seccomp never hangs a container start, whatever the agent does and whatever the profile
 * denies (issue: a full listen backlog blocked create forever; an agent that accepted but
 * never read failed only after 60 s naming nobody; a profile denying sendto or write left
 * `run` waiting 60 s, because READY went out through the filtered init's own sendto).
 * Each case runs with both noNewPrivileges values and must settle within 12 s, leaving
 * nothing behind.
 */
import "./needs_root.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import { drun, makeProbeBundle, probeSpec } from "../helpers.ts";
import { NO_SANITIZE, notifyOn, tempSocketDir } from "./seccomp_helpers.ts";

const NNP = [true, false];

/** A python agent: `mode` full-backlog (never accepts), accept-only, or read-only. */
function pyAgent(sock: string, mode: "backlog" | "accept" | "read"): Deno.ChildProcess {
  const code = `
import socket, sys, time, array
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1]); s.listen(0)
mode = sys.argv[2]
held = []
if mode == "backlog":
    for _ in range(3):
        c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); c.setblocking(False)
        try: c.connect(sys.argv[1])
        except OSError: pass
        held.append(c)
print("ready", flush=True)
while True:
    if mode == "backlog":
        time.sleep(1); continue
    c, _ = s.accept(); held.append(c)
    if mode == "read":
        fds = array.array("i")
        msg, anc, _, _ = c.recvmsg(1 << 20, socket.CMSG_LEN(4))
        for level, typ, data in anc: fds.frombytes(data[:4])
        held.append(fds)  # keep the listener, never answer a notification
`;
  return new Deno.Command("python3", {
    args: ["-c", code, sock, mode],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
}

async function untilReady(p: Deno.ChildProcess) {
  const r = p.stdout.getReader();
  const { value } = await r.read();
  assert.match(new TextDecoder().decode(value), /ready/);
  r.releaseLock();
}

async function timed(b: Parameters<typeof drun>[0], args: string[]) {
  const t0 = Date.now();
  const r = await drun(b, args);
  return { ...r, seconds: (Date.now() - t0) / 1000 };
}

/**
 * A container notifying `names` to a python agent in `mode` is refused within 12 s with an
 * error matching `error`, leaving no state behind.
 */
async function refusedWithAgent(
  mode: "backlog" | "accept" | "read",
  opts: { nnp: boolean; names: string[]; timeoutMs?: number; id: string },
  error: RegExp,
) {
  const dir = tempSocketDir();
  const sock = join(dir, "a.sock");
  const agent = pyAgent(sock, mode);
  const spec = probeSpec(["exit", "0"]);
  spec.process!.noNewPrivileges = opts.nnp;
  spec.linux!.seccomp = notifyOn(opts.names, sock);
  if (opts.timeoutMs) spec.annotations = { "run.drun.seccomp.timeout": `${opts.timeoutMs}` };
  const b = makeProbeBundle(spec);
  try {
    await untilReady(agent);
    const r = await timed(b, ["run", "--bundle", b.dir, opts.id]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, error);
    assert.ok(r.seconds < 12, `${r.seconds} s`);
    assert.deepEqual([...Deno.readDirSync(b.root)].map((e) => e.name), []);
  } finally {
    agent.kill("SIGKILL");
    await agent.status;
    await b.cleanup();
    Deno.removeSync(dir, { recursive: true });
  }
}

for (const nnp of NNP) {
  Deno.test({
    name: `seccomp never hangs (noNewPrivileges ${nnp}): a full backlog fails create at once`,
    ...NO_SANITIZE,
    fn: () =>
      refusedWithAgent(
        "backlog",
        { nnp, names: ["getpid"], id: `backlog-${nnp}` },
        /linux\.seccomp\.listenerPath.*not accepting connections/,
      ),
  });

  Deno.test({
    name:
      `seccomp never hangs (noNewPrivileges ${nnp}): an agent that never reads fails in seconds`,
    ...NO_SANITIZE,
    fn: () =>
      refusedWithAgent(
        "accept",
        { nnp, names: ["getpid"], timeoutMs: 2000, id: `noread-${nnp}` },
        /linux\.seccomp.*did not read the container state/,
      ),
  });

  for (const denied of ["sendto", "write", "read", "close", "futex"]) {
    Deno.test(`seccomp never hangs (noNewPrivileges ${nnp}): EPERM for ${denied} still runs`, async () => {
      const spec = probeSpec(["exit", "0"]);
      spec.process!.noNewPrivileges = nnp;
      spec.linux!.seccomp = {
        defaultAction: "SCMP_ACT_ALLOW",
        syscalls: [{ names: [denied], action: "SCMP_ACT_ERRNO", errnoRet: 1 }],
      };
      const b = makeProbeBundle(spec);
      try {
        const r = await timed(b, ["run", "--bundle", b.dir, `deny-${denied}-${nnp}`]);
        assert.equal(r.code, 0, r.stderr);
        assert.ok(r.seconds < 12, `${r.seconds} s`);
      } finally {
        await b.cleanup();
      }
    });
  }
}

Deno.test({
  name: "seccomp never hangs: an agent that never answers a notified setup syscall is named",
  ...NO_SANITIZE,
  // Without noNewPrivileges the filter goes in before the id changes; notify setresuid and
  // let the agent hold the listener without answering.
  fn: () =>
    refusedWithAgent(
      "read",
      { nnp: false, names: ["setresuid"], timeoutMs: 2000, id: "noanswer" },
      /linux\.seccomp\.listenerPath.*did not answer the init's setresuid/,
    ),
});
