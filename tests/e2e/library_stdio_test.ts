/**
 * The library owns its containers' stdio: stdout and stderr captured apart, stdin streamed
 * while the process runs, and `run()` in the foreground with the output and exit status.
 * Each test fails without `stdio`: the process would write to this test's own stdio, and
 * `Container.stdout` would not exist.
 */
import "./needs_root.ts";
import assert from "node:assert/strict";
import { DrunError } from "../../mod.ts";
import { busyboxBundle, snapshot } from "../helpers.ts";

const text = (s: ReadableStream<Uint8Array> | undefined) => new Response(s).text();

/** Ids unique to this test process: cgroups are named after them, host-wide. */
const id = (name: string) => `${name}-${Deno.pid}`;

Deno.test("library stdio: stdout and stderr captured separately", async () => {
  const { b, rt, spec } = busyboxBundle();
  try {
    const c = await rt.create(id("io1"), {
      spec: spec(["/bin/sh", "-c", "echo to-out; echo to-err >&2; echo more-out"]),
      stdio: { stdout: "pipe", stderr: "pipe" },
    });
    assert.equal(c.stdin, undefined);
    const out = text(c.stdout);
    const err = text(c.stderr);
    await c.start();
    assert.deepEqual(await c.wait(), { code: 0 });
    assert.equal(await out, "to-out\nmore-out\n");
    assert.equal(await err, "to-err\n");
    await c.delete();
  } finally {
    await b.cleanup();
  }
});

Deno.test("library stdio: stdin streamed to a running cat, line by line", async () => {
  const { b, rt, spec } = busyboxBundle();
  try {
    const c = await rt.create(id("io2"), { spec: spec(["/bin/cat"]), stdio: "pipe" });
    await c.start();
    const w = c.stdin!.getWriter();
    const r = c.stdout!.getReader();
    const dec = new TextDecoder();
    // Each line comes back before the next is written: a stream, not a buffer fed at exit.
    for (const line of ["one\n", "two\n", "three\n"]) {
      await w.write(new TextEncoder().encode(line));
      let got = "";
      while (got.length < line.length) {
        const { value, done } = await r.read();
        assert.ok(!done, `stdout ended before ${JSON.stringify(line)} came back`);
        got += dec.decode(value);
      }
      assert.equal(got, line);
    }
    await w.close(); // cat's EOF
    assert.equal((await r.read()).done, true);
    assert.deepEqual(await c.wait(), { code: 0 });
    assert.equal(await text(c.stderr), "");
    await c.delete();
  } finally {
    await b.cleanup();
  }
});

Deno.test("library stdio: null and fds of this process", async () => {
  const { b, rt, spec } = busyboxBundle();
  const file = `${b.dir}/out.txt`;
  const f = Deno.openSync(file, { write: true, create: true });
  try {
    // Deno gives no fd numbers for its files: find ours in /proc/self/fd.
    const fd = [...Deno.readDirSync("/proc/self/fd")].map((e) => Number(e.name))
      .find((n) => {
        try {
          return Deno.readLinkSync(`/proc/self/fd/${n}`) === file;
        } catch {
          return false;
        }
      })!;
    const c = await rt.create(id("io3"), {
      spec: spec(["/bin/sh", "-c", "cat; echo written; echo hidden >&2"]),
      stdio: { stdin: "null", stdout: fd, stderr: "null" },
    });
    await c.start();
    assert.deepEqual(await c.wait(), { code: 0 });
    await c.delete();
    assert.equal(Deno.readTextFileSync(file), "written\n");
    // The raw stdioFds of create (what a shim passes) still reach the process.
    const raw = await rt.create(id("io3raw"), {
      spec: spec(["/bin/echo", "raw"]),
      stdioFds: [-1, fd, -1],
    });
    await raw.start();
    await raw.wait();
    await raw.delete();
    assert.equal(Deno.readTextFileSync(file), "written\nraw\n");
  } finally {
    f.close();
    await b.cleanup();
  }
});

Deno.test("library stdio: a bad mode names its field and leaves nothing behind", async () => {
  const { b, rt, spec } = busyboxBundle();
  try {
    const before = snapshot(b.root);
    await assert.rejects(
      // deno-lint-ignore no-explicit-any
      () => rt.create(id("io4"), { spec: spec(["/bin/true"]), stdio: { stderr: "piped" as any } }),
      (e) => e instanceof DrunError && e.message.startsWith("stdio.stderr: must be"),
    );
    const tty = spec(["/bin/true"]);
    tty.process!.terminal = true;
    await assert.rejects(
      () => rt.create(id("io5"), { spec: tty, stdio: "pipe", onConsole: () => {} }),
      (e) => e instanceof DrunError && e.path === "stdio",
    );
    assert.deepEqual(snapshot(b.root), before);
  } finally {
    await b.cleanup();
  }
});

Deno.test("library run: output and exit status, as runc run in the foreground", async () => {
  const { b, rt, spec } = busyboxBundle();
  try {
    const r = await rt.run(spec(["/bin/sh", "-c", "echo hi; echo oops >&2; exit 3"]), {
      text: true,
    });
    assert.deepEqual(r, { code: 3, stdout: "hi\n", stderr: "oops\n" });
    const bytes = await rt.run(spec(["/bin/cat"]), { input: "fed to stdin" });
    assert.ok(bytes.stdout instanceof Uint8Array);
    assert.equal(new TextDecoder().decode(bytes.stdout), "fed to stdin");
    assert.equal(bytes.code, 0);
    // From a bundle directory, with its config.json.
    b.write(spec(["/bin/echo", "from the bundle"]));
    assert.equal((await rt.run(b.dir, { text: true })).stdout, "from the bundle\n");
    assert.deepEqual(rt.list(), []);
  } finally {
    await b.cleanup();
  }
});
