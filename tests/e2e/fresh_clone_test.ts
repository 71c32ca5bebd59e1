/**
 * A clone of the committed HEAD, alone in an empty directory, passes the unit tests: nothing
 * they read may live beside the checkout (a sibling data directory), in untracked files, or
 * in the repository's own `.tools/`. Fails when a test or generated file reads outside the
 * repository, as the seccomp unit tests did before their data was vendored (they read a
 * sibling directory of the checkout).
 */
import "./needs_root.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import { pathWithoutTools, REPO } from "../helpers.ts";

async function run(cmd: string, args: string[], cwd: string, env?: Record<string, string>) {
  const out = await new Deno.Command(cmd, {
    args,
    cwd,
    env,
    clearEnv: env !== undefined,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, text: dec.decode(out.stdout) + dec.decode(out.stderr) };
}

Deno.test("a fresh clone alone in an empty directory passes the unit tests", async () => {
  const top = await Deno.makeTempDir({ prefix: "drun-clone-" });
  try {
    const clone = join(top, "drun");
    const head = (await run("git", ["-C", REPO, "rev-parse", "HEAD"], REPO)).text.trim();
    const c = await run("git", ["clone", "--quiet", REPO, clone], top);
    assert.equal(c.code, 0, c.text);
    const co = await run("git", ["-C", clone, "checkout", "--quiet", "--detach", head], top);
    assert.equal(co.code, 0, co.text);
    assert.deepEqual([...Deno.readDirSync(top)].map((e) => e.name), ["drun"]);

    // The environment of someone who cloned it: the same Deno, no toolchain of ours, and
    // no CI switch that demands Zig (a fresh build of zig/ is checked by the suite itself).
    const env: Record<string, string> = {
      ...Deno.env.toObject(),
      PATH: pathWithoutTools(),
      NO_COLOR: "1",
    };
    delete env.DRUN_REQUIRE_ZIG;
    const t = await run(Deno.execPath(), ["test", "-A", "tests/unit/"], clone, env);
    assert.equal(t.code, 0, t.text.slice(-4000));
    assert.match(t.text, /ok \| \d+ passed/);
  } finally {
    await Deno.remove(top, { recursive: true });
  }
});
