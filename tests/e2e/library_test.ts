/**
 * The library API from one Deno process: a full lifecycle with an in-memory Spec (no
 * config.json anywhere), typed errors, and 20 containers in a row.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { defaultSpec, DrunError, LaunchError, Runtime, SpecError } from "../../mod.ts";
import { makeProbeBundle } from "../helpers.ts";

function inMemorySpec(rootfs: string, args: string[]) {
  const spec = defaultSpec({ args: ["/probe", ...args] });
  spec.process!.terminal = false;
  spec.root = { path: rootfs, readonly: false };
  return spec;
}

Deno.test("library: lifecycle with an in-memory spec", async () => {
  const b = makeProbeBundle();
  Deno.removeSync(join(b.dir, "config.json"));
  const rt = new Runtime(b.root);
  try {
    const c = await rt.create("lib1", {
      spec: inMemorySpec(b.rootfs, ["exit", "7"]),
      watchExec: true,
    });
    assert.equal(c.state().status, "created");
    assert.equal(rt.list().map((s) => s.id).join(), "lib1");
    assert.equal(rt.get("lib1").state().pid, c.state().pid);
    await c.start();
    const status = await c.wait();
    assert.deepEqual(status, { code: 7 });
    assert.equal(c.state().status, "stopped");
    await c.delete();
    assert.throws(() => rt.get("lib1"), (e) => e instanceof DrunError && e.code === "ENOTFOUND");
  } finally {
    await b.cleanup();
  }
});

Deno.test("library: errors are typed and carry the JSON path", async () => {
  const b = makeProbeBundle();
  const rt = new Runtime(b.root);
  try {
    const spec = inMemorySpec(b.rootfs, ["report"]);
    spec.process!.args = [];
    await assert.rejects(() => rt.create("bad1", { spec }), (e) => {
      assert.ok(e instanceof SpecError);
      assert.equal(e.code, "EINVALID_SPEC");
      assert.equal(e.path, "process.args");
      return true;
    });
    const missing = inMemorySpec(b.rootfs, []);
    missing.process!.args = ["/nope"];
    await assert.rejects(() => rt.create("bad2", { spec: missing }), (e) => {
      assert.ok(e instanceof LaunchError);
      assert.equal(e.path, "process.args[0]");
      assert.equal(e.errno, 2);
      return true;
    });
    assert.deepEqual(rt.list(), []);
  } finally {
    await b.cleanup();
  }
});

Deno.test("library: 20 containers in a row from one process", async () => {
  const b = makeProbeBundle();
  const rt = new Runtime(b.root);
  try {
    for (let i = 0; i < 20; i++) {
      const c = await rt.create(`row${i}`, { spec: inMemorySpec(b.rootfs, ["exit", String(i)]) });
      await c.start();
      assert.equal((await c.wait()).code, i);
      await c.delete();
    }
    assert.deepEqual(rt.list(), []);
  } finally {
    await b.cleanup();
  }
});
