/**
 * What drun leaves on disk (issue #14, items 6, 7 and 10): the state directory keeps the
 * config's secrets from other users, the pid file is never written through a planted
 * symlink, and ids starting with `.` are listed like any other. Every test here failed
 * before the fix, as its comment says. The attacks run against files in a temp dir only.
 * @module
 */
import "./needs_root.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import { Runtime } from "../../lib/runtime.ts";
import { waitPid } from "../../lib/native/ffi.ts";
import { drun, makeProbeBundle, probeSpec } from "../helpers.ts";

const mode = (p: string) => Deno.lstatSync(p).mode! & 0o7777;

/** Runs `cat path` as the unprivileged user nobody. */
async function catAsNobody(path: string): Promise<{ code: number; stdout: string }> {
  const out = await new Deno.Command("setpriv", {
    args: ["--reuid", "65534", "--regid", "65534", "--clear-groups", "cat", path],
    stdout: "piped",
    stderr: "null",
  }).output();
  return { code: out.code, stdout: new TextDecoder().decode(out.stdout) };
}

// Failed before the fix: the root and container dirs were 0711 and config.json 0644, so
// nobody could read the container's environment, secrets included.
Deno.test("state: root and container dirs are 0700, files 0600, secrets unreadable", async () => {
  const spec = probeSpec(["sleep", "30"]);
  spec.process!.env!.push("DB_PASSWORD=hunter2");
  const b = makeProbeBundle(spec);
  try {
    // A root made by an earlier version (0711) is tightened too.
    Deno.mkdirSync(b.root, { mode: 0o711 });
    Deno.chmodSync(b.root, 0o711);
    const r = await drun(b, ["create", "--bundle", b.dir, "modes1"]);
    assert.equal(r.code, 0, r.stderr);
    const dir = join(b.root, "modes1");
    assert.equal(mode(b.root), 0o700, "state root");
    assert.equal(mode(dir), 0o700, "container dir");
    for (const f of ["config.json", "state.json"]) assert.equal(mode(join(dir, f)), 0o600, f);
    assert.ok(Deno.readTextFileSync(join(dir, "config.json")).includes("hunter2"));
    const nobody = await catAsNobody(join(dir, "config.json"));
    assert.notEqual(nobody.code, 0, "another user read the config");
    assert.ok(!nobody.stdout.includes("hunter2"));
    // The container still works: start releases it through the 0622 fifo.
    assert.equal((await drun(b, ["start", "modes1"])).code, 0);
  } finally {
    await b.cleanup();
  }
});

// Failed before the fix: the pid was written to the predictable `<pid file>.tmp<runtime pid>`
// without O_EXCL, so a symlink planted there made drun overwrite the file it pointed to.
Deno.test("state: --pid-file never writes through a planted symlink", async () => {
  const b = makeProbeBundle(probeSpec(["sleep", "30"]));
  const attack = Deno.makeTempDirSync({ prefix: "drun-pidfile-" });
  try {
    const secret = join(attack, "root-only");
    Deno.writeTextFileSync(secret, "keep me\n", { mode: 0o600 });
    const other = join(attack, "other");
    Deno.writeTextFileSync(other, "keep me too\n", { mode: 0o600 });
    const pidFile = join(attack, "c.pid");
    // Every name the old code could use, and the target itself.
    Deno.symlinkSync(secret, `${pidFile}.tmp${Deno.pid}`);
    Deno.symlinkSync(other, pidFile);
    const rt = new Runtime(b.root, () => {});
    const c = await rt.create("pidfile1", { bundle: b.dir, pidFile });
    assert.equal(Deno.readTextFileSync(secret), "keep me\n");
    assert.equal(Deno.readTextFileSync(other), "keep me too\n");
    assert.ok(Deno.lstatSync(pidFile).isFile, "the symlink is replaced, not followed");
    assert.equal(Number(Deno.readTextFileSync(pidFile)), c.state().pid);
    // No temp file is left beside it.
    const names = [...Deno.readDirSync(attack)].map((e) => e.name).sort();
    assert.deepEqual(names, ["c.pid", "c.pid.tmp" + Deno.pid, "other", "root-only"]);
    await c.delete({ force: true });
    await waitPid(c.created!.state.pid); // our own child: no zombie left for later tests
  } finally {
    await b.cleanup();
    Deno.removeSync(attack, { recursive: true });
  }
});

// Failed before the fix: `create .hidden` worked but `list` skipped every name with a dot,
// so the container could never be found again by an engine; runc lists it.
Deno.test("state: ids starting with '.' are accepted and listed, as by runc", async () => {
  const b = makeProbeBundle(probeSpec(["sleep", "30"]));
  try {
    const r = await drun(b, ["run", "-d", "--bundle", b.dir, ".hidden1"]);
    assert.equal(r.code, 0, r.stderr);
    const list = await drun(b, ["list", "--format", "json"]);
    assert.equal(list.code, 0, list.stderr);
    const ids = (JSON.parse(list.stdout) as { id: string }[]).map((s) => s.id);
    assert.deepEqual(ids, [".hidden1"]);
    assert.equal((await drun(b, ["delete", "--force", ".hidden1"])).code, 0);
  } finally {
    await b.cleanup();
  }
});

// Failed before the fix: the raw OS text came out without saying which argument it was about.
Deno.test("state: an unusable --root is named in a one-line error", async () => {
  const b = makeProbeBundle(probeSpec(["true"]));
  try {
    const file = join(b.dir, "not-a-dir");
    Deno.writeTextFileSync(file, "");
    const r = await drun({ dir: b.dir, root: join(file, "state") }, [
      "create",
      "--bundle",
      b.dir,
      "badroot1",
    ]);
    assert.notEqual(r.code, 0);
    const lines = r.stderr.trim().split("\n");
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], /--root: cannot create .*not-a-dir\/state/);
  } finally {
    await b.cleanup();
  }
});

// Failed before the fix: JSON.parse's own text ("Unexpected end of JSON input") came out
// with nothing to say which container or file it was about.
Deno.test("state: a corrupt state.json is named in a one-line error", async () => {
  const b = makeProbeBundle(probeSpec(["true"]));
  try {
    Deno.mkdirSync(join(b.root, "torn1"), { recursive: true, mode: 0o700 });
    Deno.writeTextFileSync(join(b.root, "torn1", "state.json"), '{"id": "torn1", "pi');
    const r = await drun(b, ["state", "torn1"]);
    assert.notEqual(r.code, 0);
    const lines = r.stderr.trim().split("\n");
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], /id: corrupt state\.json of torn1: /);
  } finally {
    Deno.removeSync(join(b.root, "torn1"), { recursive: true });
    await b.cleanup();
  }
});
