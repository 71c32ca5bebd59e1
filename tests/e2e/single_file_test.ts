/**
 * The single-file build: dist/drun.js copied alone into an empty directory, with no Zig
 * and no checkout around it, runs the probe bundle exactly as the checkout does.
 */
import "./needs_root.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import { bundle } from "../../scripts/bundle.ts";
import { drun, makeProbeBundle, probeReport, probeSpec } from "../helpers.ts";

Deno.test("single file: dist/drun.js alone runs the probe bundle like the checkout", async () => {
  await bundle();
  const empty = Deno.makeTempDirSync({ prefix: "drun-single-" });
  const b = makeProbeBundle(probeSpec(["report"]));
  try {
    Deno.copyFileSync(join(Deno.cwd(), "dist/drun.js"), join(empty, "drun.js"));
    assert.deepEqual([...Deno.readDirSync(empty)].map((e) => e.name), ["drun.js"]);
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "drun.js", "--root", b.root, "run", "--bundle", b.dir, "single1"],
      cwd: empty,
      // No zig, no .tools; the native parts come from the file itself, into memfds.
      env: { PATH: "/usr/bin:/bin", XDG_CACHE_HOME: join(empty, "cache") },
      clearEnv: true,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    const fromFile = probeReport(new TextDecoder().decode(out.stdout));
    const fromCheckout = probeReport((await drun(b, ["run", "--bundle", b.dir, "single2"])).stdout);
    // Namespace inodes are new per container; everything else must match.
    delete fromFile.ns;
    delete fromCheckout.ns;
    assert.deepEqual(fromFile, fromCheckout);
    // Nothing native was written anywhere: no drun cache dir appeared.
    assert.throws(() => Deno.statSync(join(empty, "cache/drun")));
  } finally {
    await b.cleanup();
    Deno.removeSync(empty, { recursive: true });
  }
});

Deno.test("single file: deno task compile either builds dist/drun or fails fast saying why", async () => {
  const t0 = performance.now();
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(Deno.cwd(), "scripts/compile.ts")],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const seconds = (performance.now() - t0) / 1000;
  if (out.success) {
    assert.ok(Deno.statSync(join(Deno.cwd(), "dist/drun")).isFile);
  } else {
    // Where the runtime base cannot be downloaded (as on this project's machines).
    assert.match(new TextDecoder().decode(out.stderr), /runtime base .* deno task bundle/s);
    // Not a speed check: the script gives up on the download after 5 s; a minute means a hang.
    assert.ok(seconds < 60, `failed after ${seconds.toFixed(1)} s: it must not hang`);
  }
});
