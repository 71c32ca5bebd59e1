/**
 * Library `exec` owns the process's stdio as `create` does: piped stdout and stderr captured to
 * their end, `input` fed to stdin, or, detached, the pipes' ends handed to the caller; bad
 * combinations are refused by name and leave no process. Each test fails without `stdio` on
 * exec: the process would write to this test's own stdio.
 */
import "./needs_root.ts";
import assert from "node:assert/strict";
import { DrunError } from "../../mod.ts";
import { busyboxBundle } from "../helpers.ts";
import type { Process } from "../../lib/spec/types.ts";

const id = (name: string) => `${name}-${Deno.pid}`;
const dec = (b?: Uint8Array) => new TextDecoder().decode(b);
const sh = (script: string): Process => ({
  args: ["/bin/sh", "-c", script],
  cwd: "/",
  user: { uid: 0, gid: 0 },
  env: ["PATH=/bin"],
});

Deno.test("library exec: output captured apart, input fed, the exit status", async () => {
  const { b, rt, spec } = busyboxBundle();
  try {
    await using c = await rt.create(id("xio1"), { spec: spec(["/bin/sleep", "30"]) });
    await c.start();
    // More than a pipe holds (64 KiB): exec must read while the process runs.
    const r = await c.exec(sh("cat; head -c 200000 /dev/zero | tr '\\0' x; echo err >&2; exit 3"), {
      input: "fed\n",
      stdio: { stdin: "pipe", stdout: "pipe", stderr: "pipe" },
    });
    assert.equal(r.status?.code, 3);
    const out = dec(r.stdout);
    assert.ok(out.startsWith("fed\nxxx"), out.slice(0, 20));
    assert.equal(out.length, 4 + 200000);
    assert.equal(dec(r.stderr), "err\n");
  } finally {
    await b.cleanup();
  }
});

Deno.test("library exec: detached, the caller reads and writes the pipes", async () => {
  const { b, rt, spec } = busyboxBundle();
  try {
    await using c = await rt.create(id("xio2"), { spec: spec(["/bin/sleep", "30"]) });
    await c.start();
    const r = await c.exec(sh("read line; echo got-$line"), { stdio: "pipe", detach: true });
    assert.ok(r.pid > 0 && r.status === undefined);
    const w = r.streams!.stdin!.getWriter();
    await w.write(new TextEncoder().encode("hello\n"));
    await w.close();
    assert.equal(await new Response(r.streams!.stdout).text(), "got-hello\n");
    await r.streams!.stderr!.cancel();
    assert.deepEqual(await r.wait!(), { code: 0 }, "reaped, not left a zombie");
  } finally {
    await b.cleanup();
  }
});

Deno.test("library exec: stdio with stdioFds, or pipes with a terminal, refused by name", async () => {
  const { b, rt, spec } = busyboxBundle();
  try {
    await using c = await rt.create(id("xio3"), { spec: spec(["/bin/sleep", "30"]) });
    await c.start();
    const refused = async (p: Process, opts: Record<string, unknown>, re: RegExp) => {
      const e = await c.exec(p, opts).then(() => undefined, (e) => e);
      assert.ok(e instanceof DrunError && e.path === "stdio", String(e));
      assert.match(e.message, re);
    };
    await refused(sh("true"), { stdio: "pipe", stdioFds: [0, 1, 2] }, /stdio or stdioFds/);
    await refused({ ...sh("true"), terminal: true }, { stdio: "pipe" }, /process\.terminal/);
    // A process that cannot exec fails the call, with its pipes open and read: nothing leaks.
    const gone = await c.exec({ ...sh("true"), args: ["/nonexistent"] }, { stdio: "pipe" })
      .then(() => undefined, (e) => e);
    assert.match(String(gone), /process\.args\[0\]/);
    // Only the sleeping init is left in the container.
    assert.deepEqual(await rt.ps(c.id), [c.state().pid]);
  } finally {
    await b.cleanup();
  }
});
