/**
 * The agent's handshake: where a JSON state ends in a stream, and reading the state and the
 * listener fd off a real unix socket the way runc and crun send them. A python peer stands in
 * for the runtime (Deno cannot pass an fd). Before the handshake followed the JSON's end, the
 * crun-shaped peer (indented JSON ending in "}\n", connection kept open) timed out here, and
 * so did a state split over reads whose last byte was not "}".
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { JsonEnd } from "../../lib/agent/json_end.ts";
import { HandshakeError, readHandshake } from "../../lib/agent/handshake.ts";
import { accept, closeFd, unixListen } from "../../lib/agent/ffi.ts";

const enc = (s: string) => new TextEncoder().encode(s);

Deno.test("agent handshake: JsonEnd finds the end of an object, whatever is in its strings", () => {
  const docs = [
    '{"a":1}',
    '  \n{"a":"}"}',
    '{"a":"\\"}"}',
    '{"a":"\\\\"}',
    '{"a":[1,{"b":"]"}],"c":{}}',
    "[{}]",
    '{"é":"日本}"}',
  ];
  for (const doc of docs) {
    const bytes = enc(doc + "\n  trailing");
    const docLen = enc(doc).length;
    assert.equal(new JsonEnd().push(bytes), docLen, doc);
    // Fed one byte at a time, it ends at the same place.
    const e = new JsonEnd();
    let at = -1;
    for (let i = 0; i < bytes.length && at < 0; i++) {
      if (e.push(bytes.subarray(i, i + 1)) === 1) at = i + 1;
    }
    assert.equal(at, docLen, `${doc} byte by byte`);
    assert.ok(e.done);
    assert.equal(e.push(enc("}")), -1, "nothing is scanned after the end");
  }
  for (const open of ['{"a":"}', '{"a":{"b":1}', "[[]", '{"a":"\\"}']) {
    const e = new JsonEnd();
    assert.equal(e.push(enc(open)), -1, open);
    assert.ok(!e.done && e.scannable, open);
  }
  const bad = new JsonEnd();
  assert.equal(bad.push(enc("hello}")), -1);
  assert.ok(!bad.scannable, "not an object: only EOF can end it");
});

/** What the stand-in runtime does, step by step. */
interface Step {
  /** Bytes to send. */
  data: string;
  /** Send the fd of /dev/null with them (SCM_RIGHTS). */
  fd?: boolean;
}

const PEER = `
import json, os, socket, sys, time
path, steps, hold = sys.argv[1], json.loads(sys.stdin.read()), sys.argv[2] == "1"
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(path)
for st in steps:
    data = st["data"].encode()
    if st.get("fd"):
        fd = os.open("/dev/null", os.O_RDONLY)
        socket.send_fds(s, [data], [fd])
        os.close(fd)
    else:
        s.sendall(data)
    time.sleep(0.05)
if hold:
    time.sleep(30)
s.close()
`;

/**
 * Runs the peer against a fresh socket and reads its handshake. With `hold`, the peer keeps
 * the connection open afterwards, as `crun run` does.
 */
async function handshake(steps: Step[], hold: boolean, maxBytes?: number, timeoutMs = 4000) {
  const dir = Deno.makeTempDirSync({ prefix: "drun-hs-" });
  const path = join(dir, "a.sock");
  const listener = unixListen(path);
  const peer = new Deno.Command("python3", {
    args: ["-c", PEER, path, hold ? "1" : "0"],
    stdin: "piped",
    stdout: "null",
    stderr: "inherit",
  }).spawn();
  const w = peer.stdin.getWriter();
  await w.write(enc(JSON.stringify(steps)));
  await w.close();
  try {
    const conn = await accept(listener, 10_000);
    assert.ok(conn !== null, "the peer connected");
    return await readHandshake(conn, timeoutMs, maxBytes);
  } finally {
    try {
      peer.kill("SIGKILL");
    } catch { /* already gone */ }
    await peer.status;
    closeFd(listener);
    Deno.removeSync(dir, { recursive: true });
  }
}

function crunShaped(state: Record<string, unknown>): string {
  return JSON.stringify(state, null, 2) + "\n";
}

const STATE = {
  ociVersion: "0.2.0",
  fds: ["seccompFd"],
  pid: 4242,
  metadata: "m",
  state: { ociVersion: "0.2.0", id: "c1", status: "creating", pid: 4242, bundle: "/b" },
};

Deno.test("agent handshake: indented state ending in a newline, connection kept open", async () => {
  const hs = await handshake([{ data: crunShaped(STATE), fd: true }], true);
  assert.equal(hs.state.state.id, "c1");
  assert.equal(hs.state.metadata, "m");
  assert.equal(hs.fdsReceived, 1);
  assert.ok(hs.notifFd >= 0);
  closeFd(hs.notifFd);
});

Deno.test("agent handshake: a 300 kB annotation arrives whole over many reads", async () => {
  const big = "x".repeat(300_000) + '}{"\\';
  const state = { ...STATE, state: { ...STATE.state, annotations: { big } } };
  const text = crunShaped(state);
  // The fd comes with the first bytes, the rest in pieces, as a runtime's helper sends it.
  const steps: Step[] = [{ data: text.slice(0, 100), fd: true }];
  for (let at = 100; at < text.length; at += 70_000) {
    steps.push({ data: text.slice(at, at + 70_000) });
  }
  const hs = await handshake(steps, true);
  assert.equal(hs.state.state.annotations?.big, big);
  assert.equal(hs.bytes, enc(text).length);
  closeFd(hs.notifFd);
});

Deno.test("agent handshake: runc's compact state and hang-up; fd after the JSON", async () => {
  const runc = await handshake([{ data: JSON.stringify(STATE), fd: true }], false);
  assert.equal(runc.state.pid, 4242);
  closeFd(runc.notifFd);
  // The JSON first, then the fd with one space: still one state, served without EOF.
  const late = await handshake([{ data: JSON.stringify(STATE) }, { data: " ", fd: true }], true);
  assert.equal(late.state.state.id, "c1");
  closeFd(late.notifFd);
});

Deno.test("agent handshake: data after the state, or too much of it, is refused", async () => {
  await assert.rejects(
    handshake([{ data: JSON.stringify(STATE) + "\n{}", fd: true }], true),
    (e: Error) => e instanceof HandshakeError && /unexpected data after/.test(e.message),
  );
  await assert.rejects(
    handshake([{ data: crunShaped(STATE), fd: true }], true, 64),
    (e: Error) => e instanceof HandshakeError && /larger than 64 bytes/.test(e.message),
  );
  await assert.rejects(
    handshake([{ data: '{"pid": 1, "state": {"id": "x"', fd: true }], true, undefined, 500),
    (e: Error) =>
      e instanceof HandshakeError && /no complete state with an fd within/.test(e.message),
  );
});
