/** The agent's pure parts: answers to the kernel, syscall names, the container state check. */
import assert from "node:assert/strict";
import {
  encodeResponse,
  HandshakeError,
  parseProcessState,
  syscallName,
} from "../../lib/agent/mod.ts";

Deno.test("agent: responses encode to seccomp_notif_resp fields", () => {
  assert.deepEqual(encodeResponse({ continue: true }), { val: 0n, error: 0, flags: 1 });
  assert.deepEqual(encodeResponse({ error: 13 }), { val: 0n, error: -13, flags: 0 });
  assert.deepEqual(encodeResponse({ value: 7 }), { val: 7n, error: 0, flags: 0 });
  assert.deepEqual(encodeResponse({ value: -1 }), { val: -1n, error: 0, flags: 0 });
  assert.deepEqual(encodeResponse({ value: (1n << 64n) - 1n }), { val: -1n, error: 0, flags: 0 });
  for (const bad of [{ error: 0 }, { error: -1 }, { error: 1.5 }, { error: 5000 }, {}, null]) {
    assert.throws(() => encodeResponse(bad as never), TypeError, JSON.stringify(bad));
  }
});

Deno.test("agent: syscall names by audit arch, x32 by its bit", () => {
  assert.equal(syscallName(0xc000003e, 83), "mkdir");
  assert.equal(syscallName(0xc000003e, 59), "execve");
  assert.equal(syscallName(0xc000003e, 0x40000000 | 520), "execve"); // x32 execve
  assert.equal(syscallName(0x40000003, 11), "execve"); // i386
  assert.equal(syscallName(0xc00000b7, 221), "execve"); // aarch64
  assert.equal(syscallName(0xc000003e, 99999), undefined);
  assert.equal(syscallName(0x12345678, 1), undefined);
});

Deno.test("agent: the container state must be an object with pid and state.id", () => {
  const ok = parseProcessState(
    '{"ociVersion":"1.2.0","fds":["seccompFd"],"pid":5,"metadata":"m","state":{"id":"c"}}',
  );
  assert.equal(ok.pid, 5);
  assert.equal(ok.state.id, "c");
  // crun indents its state and ends it with a newline.
  const spaced = parseProcessState('\n {\n  "pid": 5,\n  "state": {\n    "id": "c"\n  }\n}\n\t ');
  assert.equal(spaced.state.id, "c");
  // crun 1.8 says pid 0 for an exec'd process.
  assert.equal(parseProcessState('{"pid":0,"state":{"id":"c","pid":0}}').pid, 0);
  for (
    const bad of [
      '{"pid":5,"state":{"id":"c"}',
      "[]",
      '{"state":{"id":"c"}}',
      '{"pid":-1,"state":{"id":"c"}}',
      '{"pid":1.5,"state":{"id":"c"}}',
      '{"pid":5}',
      '{"pid":5,"state":{"id":"c"},"fds":["other"]}',
      '{"pid":5,"state":{"id":"c"},"metadata":3}',
    ]
  ) {
    assert.throws(() => parseProcessState(bad), HandshakeError, bad);
  }
});
