/**
 * The library API from one Deno process: a full lifecycle with an in-memory Spec (no
 * config.json anywhere), typed errors, and 20 containers in a row.
 */
import "./needs_root.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import { defaultSpec, DrunError, LaunchError, Runtime, SpecError } from "../../mod.ts";
import { makeProbeBundle, probeSpec } from "../helpers.ts";

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

Deno.test("library: with less than -A, create refuses before anything exists", async () => {
  // Before, such a process got as far as an init it could not watch (Deno hides /proc):
  // a pid-0 state and an init waiting forever.
  const b = makeProbeBundle(probeSpec(["exit", "0"]));
  const script = join(b.dir, "create.ts");
  const id = `perm-${Deno.pid}`;
  try {
    Deno.writeTextFileSync(
      script,
      `import { Runtime } from ${JSON.stringify(new URL("../../mod.ts", import.meta.url).href)};
      try {
        await new Runtime(${JSON.stringify(b.root)}).create(${JSON.stringify(id)}, { bundle: ${
        JSON.stringify(b.dir)
      } });
        console.log("created");
      } catch (e) {
        console.log(e.code, e.message);
      }`,
    );
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-read",
        "--allow-write",
        "--allow-ffi",
        "--allow-env",
        "--allow-run",
        script,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    assert.match(text, /^EPERMISSION drun: needs Deno's --allow-all/, text);
    assert.throws(() => Deno.statSync(join(b.root, id)));
  } finally {
    await b.cleanup();
  }
});
