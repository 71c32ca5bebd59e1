/**
 * Launchers as engines call them: with an empty environment (`env -i`) and `/` as cwd.
 * `deno task install --prefix T` gives a `T/bin/drun` that drives a busybox container
 * through its whole life and refers to nothing in the checkout; `bin/drun` in a checkout
 * without `.tools/` finds Deno where installers put it, or says in one line that it cannot.
 * Before the install task existed, the only launcher was bin/drun, which with an empty
 * environment found Deno only in the checkout's `.tools/` (podman's pause/stop/rm failed).
 */
import "./needs_root.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import { busyboxRootfs, installDrun, REPO } from "../helpers.ts";
import { defaultSpec } from "../../lib/spec/default.ts";
import { drain } from "../../lib/streams.ts";

/** Runs cmd with exactly env (nothing inherited) from cwd `/`. */
async function bare(cmd: string, args: string[], env: Record<string, string> = {}) {
  const child = new Deno.Command(cmd, {
    args,
    env,
    clearEnv: true,
    cwd: "/",
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  // A created container's init holds our pipes until it execs: read until the command
  // exits, not until EOF.
  const stdout = drain(child.stdout);
  const stderr = drain(child.stderr);
  const { code } = await child.status;
  return { code, stdout: await stdout.settle(), stderr: await stderr.settle() };
}

Deno.test({
  name: "install: env -i T/bin/drun runs create, start, state, pause, resume, kill, delete",
  sanitizeResources: false,
  async fn() {
    const top = await Deno.makeTempDir({ prefix: "drun-install-" });
    Deno.chmodSync(top, 0o755);
    const prefix = join(top, "prefix");
    const root = join(top, "state");
    const id = `inst${Deno.pid}`;
    const launcher = join(prefix, "bin/drun");
    const run = (...args: string[]) => bare(launcher, ["--root", root, ...args]);
    try {
      assert.equal(await installDrun(prefix), launcher);
      // Nothing of the checkout (its .tools/, cli.ts, dist/) is needed once installed.
      const text = Deno.readTextFileSync(launcher);
      // The fastest form (docs/performance.md): the split build, with its chunks beside it.
      assert.ok(text.includes(join(prefix, "lib/drun/split/cli.js")), text);
      assert.ok([...Deno.readDirSync(join(prefix, "lib/drun/split"))].length > 1);
      assert.ok(!text.includes(REPO), text);
      assert.equal(Deno.statSync(launcher).mode! & 0o777, 0o755);

      const bundle = join(top, "bundle");
      busyboxRootfs(join(bundle, "rootfs"));
      const spec = defaultSpec({ args: ["sleep", "1000"] });
      spec.process!.terminal = false;
      spec.root = { path: "rootfs", readonly: true };
      Deno.writeTextFileSync(join(bundle, "config.json"), JSON.stringify(spec));

      const status = async () => {
        const r = await run("state", id);
        assert.equal(r.code, 0, r.stderr);
        return JSON.parse(r.stdout).status;
      };
      let r = await run("create", "--bundle", bundle, id);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(await status(), "created");
      r = await run("start", id);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(await status(), "running");
      // Deno's cache is not needed: a DENO_DIR that cannot exist changes nothing.
      r = await bare(launcher, ["--root", root, "state", id], { DENO_DIR: "/dev/null/deno" });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(JSON.parse(r.stdout).status, "running");
      r = await run("pause", id);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(await status(), "paused");
      r = await run("resume", id);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(await status(), "running");
      r = await run("kill", id, "KILL");
      assert.equal(r.code, 0, r.stderr);
      for (let i = 0; i < 100 && await status() !== "stopped"; i++) {
        await new Promise((ok) => setTimeout(ok, 50));
      }
      assert.equal(await status(), "stopped");
      r = await run("delete", id);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual([...Deno.readDirSync(root)].filter((e) => !e.name.startsWith(".")), []);
    } finally {
      await bare(launcher, ["--root", root, "delete", "--force", id]).catch(() => {});
      await Deno.remove(top, { recursive: true });
    }
  },
});

/** A copy of bin/drun alone: a checkout without `.tools/`. */
function bareCheckout(dir: string): string {
  Deno.mkdirSync(join(dir, "bin"), { recursive: true });
  Deno.copyFileSync(join(REPO, "bin/drun"), join(dir, "bin/drun"));
  Deno.chmodSync(join(dir, "bin/drun"), 0o755);
  return join(dir, "bin/drun");
}

Deno.test("bin/drun without .tools/ and an empty environment finds Deno in ~/.deno/bin", async () => {
  const top = await Deno.makeTempDir({ prefix: "drun-launcher-" });
  try {
    const launcher = bareCheckout(join(top, "checkout"));
    Deno.mkdirSync(join(top, "home/.deno/bin"), { recursive: true });
    Deno.symlinkSync(Deno.execPath(), join(top, "home/.deno/bin/deno"));
    // The checkout's own entry is used, so point it at the real one.
    const r = await bare(launcher, ["--version"], {
      HOME: join(top, "home"),
      DRUN_ENTRY: join(REPO, "cli.ts"),
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^drun version /);
  } finally {
    await Deno.remove(top, { recursive: true });
  }
});

Deno.test("bin/drun says in one line that it found no Deno", async () => {
  // The fixed places bin/drun looks, and sh's default PATH (there is none in the environment).
  const fixed = ["/usr/local/lib/drun", "/usr/local/sbin", "/usr/local/bin", "/usr/sbin"]
    .concat(["/usr/bin", "/sbin", "/bin"]).map((d) => `${d}/deno`);
  const hostHasOne = fixed.some((p) => {
    try {
      return Deno.statSync(p).isFile;
    } catch {
      return false;
    }
  });
  const top = await Deno.makeTempDir({ prefix: "drun-launcher-" });
  try {
    const launcher = bareCheckout(join(top, "checkout"));
    const r = await bare(launcher, ["--version"], {
      HOME: join(top, "empty"),
      DRUN_ENTRY: join(REPO, "cli.ts"),
    });
    if (hostHasOne) {
      assert.equal(r.code, 0, r.stderr); // a Deno in a fixed place is found
    } else {
      assert.equal(r.code, 127);
      assert.match(r.stderr, /^drun: deno not found \(.*\); set DRUN_DENO\n$/);
    }
  } finally {
    await Deno.remove(top, { recursive: true });
  }
});
