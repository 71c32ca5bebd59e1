/**
 * The runc lifecycle through the CLI: create → start → kill → delete, with state and list
 * along the way, plus the lifecycle rules (duplicate ids, delete of a running container).
 */
import "./needs_root.ts";
import assert from "node:assert/strict";
import { drun, makeProbeBundle, probeSpec } from "../helpers.ts";

async function status(b: { dir: string; root: string }, id: string) {
  const r = await drun(b, ["state", id]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as { status: string; pid: number; id: string; bundle: string };
}

Deno.test("lifecycle: create → created → start → running → kill → stopped → delete", async () => {
  const b = makeProbeBundle(probeSpec(["sleep", "60"]));
  const pidFile = `${b.dir}/init.pid`;
  try {
    const c = await drun(b, ["create", "--bundle", b.dir, "--pid-file", pidFile, "life1"]);
    assert.equal(c.code, 0, c.stderr);
    const created = await status(b, "life1");
    assert.equal(created.status, "created");
    assert.ok(created.pid > 0);
    assert.equal(Number(Deno.readTextFileSync(pidFile)), created.pid);
    assert.equal(created.bundle, b.dir);

    const list = await drun(b, ["list", "--format", "json"]);
    assert.deepEqual(JSON.parse(list.stdout).map((s: { id: string }) => s.id), ["life1"]);
    const table = await drun(b, ["list"]);
    assert.match(table.stdout, /^ID\s+PID\s+STATUS/);
    assert.match(table.stdout, /life1\s+\d+\s+created/);
    assert.equal((await drun(b, ["list", "-q"])).stdout.trim(), "life1");

    // A second create with the same id fails and does not disturb the first.
    const dup = await drun(b, ["create", "--bundle", b.dir, "life1"]);
    assert.notEqual(dup.code, 0);
    assert.match(dup.stderr, /already exists/);
    assert.equal((await status(b, "life1")).status, "created");

    assert.equal((await drun(b, ["start", "life1"])).code, 0);
    assert.equal((await status(b, "life1")).status, "running");
    const again = await drun(b, ["start", "life1"]);
    assert.notEqual(again.code, 0);
    assert.match(again.stderr, /running/);

    const del = await drun(b, ["delete", "life1"]);
    assert.notEqual(del.code, 0, "delete of a running container needs --force");
    assert.match(del.stderr, /running/);

    assert.equal((await drun(b, ["kill", "life1", "SIGKILL"])).code, 0);
    for (let i = 0; i < 100 && (await status(b, "life1")).status !== "stopped"; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const stopped = await status(b, "life1");
    assert.equal(stopped.status, "stopped");
    assert.equal(stopped.pid, 0);
    const k = await drun(b, ["kill", "life1", "9"]);
    assert.notEqual(k.code, 0);

    assert.equal((await drun(b, ["delete", "life1"])).code, 0);
    const gone = await drun(b, ["state", "life1"]);
    assert.notEqual(gone.code, 0);
    assert.match(gone.stderr, /does not exist/);
    assert.equal((await drun(b, ["list", "-q"])).stdout.trim(), "");
  } finally {
    await b.cleanup();
  }
});

Deno.test("lifecycle: delete of a created container kills its waiting init", async () => {
  const b = makeProbeBundle(probeSpec(["report"]));
  try {
    assert.equal((await drun(b, ["create", "--bundle", b.dir, "cr1"])).code, 0);
    const { pid } = await status(b, "cr1");
    assert.equal((await drun(b, ["delete", "cr1"])).code, 0);
    // Gone, or at most a zombie until its new parent reaps it.
    const alive = () => {
      try {
        const st = Deno.readTextFileSync(`/proc/${pid}/stat`);
        return !/\) [ZX] /.test(st);
      } catch {
        return false;
      }
    };
    assert.equal(alive(), false);
    assert.deepEqual([...Deno.readDirSync(b.root)], []);
  } finally {
    await b.cleanup();
  }
});

Deno.test("lifecycle: kill --all and signal names/numbers; delete --force of running", async () => {
  const b = makeProbeBundle(probeSpec(["signal"]));
  try {
    assert.equal((await drun(b, ["run", "-d", "--bundle", b.dir, "sig1"])).code, 0);
    assert.equal((await status(b, "sig1")).status, "running");
    const bad = await drun(b, ["kill", "sig1", "SIGNOPE"]);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /unknown signal/);
    assert.equal((await drun(b, ["kill", "--all", "sig1", "USR1"])).code, 0);
    for (let i = 0; i < 100 && (await status(b, "sig1")).status !== "stopped"; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal((await status(b, "sig1")).status, "stopped");
    assert.equal((await drun(b, ["delete", "sig1"])).code, 0);

    assert.equal((await drun(b, ["run", "-d", "--bundle", b.dir, "sig2"])).code, 0);
    assert.equal((await drun(b, ["delete", "--force", "sig2"])).code, 0);
    assert.notEqual((await drun(b, ["state", "sig2"])).code, 0);
    assert.equal((await drun(b, ["delete", "--force", "never-was"])).code, 0);
  } finally {
    await b.cleanup();
  }
});

Deno.test("lifecycle: two commands on one id are serialised by the lock", async () => {
  const b = makeProbeBundle(probeSpec(["sleep", "30"]));
  try {
    assert.equal((await drun(b, ["create", "--bundle", b.dir, "lock1"])).code, 0);
    const results = await Promise.all([
      drun(b, ["start", "lock1"]),
      drun(b, ["start", "lock1"]),
    ]);
    // Exactly one start wins; the other sees the container already running.
    assert.deepEqual(results.map((r) => r.code).sort(), [0, 1]);
    assert.equal((await drun(b, ["delete", "-f", "lock1"])).code, 0);
  } finally {
    await b.cleanup();
  }
});
