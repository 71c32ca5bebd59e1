/**
 * The split build (`deno task bundle` → dist/split/cli.js and chunks): it runs the probe
 * bundle as the checkout does, alone in a directory with nothing else, and `state` evaluates
 * none of the chunks that hold the validator, the plan builder or the seccomp compiler (the
 * reason it exists: with the single file every process parses all of drun).
 */
import "./needs_root.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import { bundleSplit } from "../../scripts/bundle.ts";
import { evaluatedModules } from "../../bench/lib/modules.ts";
import { drun, makeProbeBundle, probeReport, probeSpec, REPO } from "../helpers.ts";

const OUT = `dist/split-test-${Deno.pid}`;

Deno.test("split bundle: runs the probe like the checkout; state loads no create code", async () => {
  await bundleSplit("cli.ts", OUT);
  const alone = Deno.makeTempDirSync({ prefix: "drun-split-" });
  const b = makeProbeBundle(probeSpec(["report"]));
  try {
    Deno.renameSync(join(REPO, OUT), join(alone, "split"));
    const run = (args: string[]) =>
      new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "--no-config", "split/cli.js", "--root", b.root, ...args],
        cwd: alone,
        env: { PATH: "/usr/bin:/bin", XDG_CACHE_HOME: join(alone, "cache") },
        clearEnv: true,
        stdout: "piped",
        stderr: "piped",
      }).output();
    const out = await run(["run", "--bundle", b.dir, "split1"]);
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    const fromSplit = probeReport(new TextDecoder().decode(out.stdout));
    const fromCheckout = probeReport((await drun(b, ["run", "--bundle", b.dir, "split2"])).stdout);
    delete fromSplit.ns;
    delete fromCheckout.ns;
    assert.deepEqual(fromSplit, fromCheckout);

    const missing = await run(["state", "nosuch"]);
    assert.equal(missing.code, 1);
    assert.match(new TextDecoder().decode(missing.stderr), /container nosuch does not exist/);

    // Back into the repository for the module walk (it reads paths relative to it).
    Deno.renameSync(join(alone, "split"), join(REPO, OUT));
    const entry = Deno.readTextFileSync(join(REPO, OUT, "cli.js"));
    // Commands load through import(new URL(...)), which Deno does not preload.
    assert.ok(!/\bimport\("\.\//.test(entry), "a literal import() of a chunk is left");
    const chunk = /state: \{[^}]*import\(new URL\("\.\/([^"]+)"/.exec(entry)?.[1];
    assert.ok(chunk, "the entry names a chunk for state");
    // The walk must have something to miss: the create code is in some chunk.
    const all = [...Deno.readDirSync(join(REPO, OUT))].map((e) => join(REPO, OUT, e.name));
    assert.ok(all.some((f) => Deno.readTextFileSync(f).includes("function validateSpec(")));
    const mods = await evaluatedModules([`${OUT}/cli.js`, `${OUT}/${chunk}`]);
    for (const m of mods) {
      const text = Deno.readTextFileSync(join(REPO, m));
      for (
        const fn of ["function validateSpec(", "function buildPlan(", "function compileSeccomp"]
      ) {
        assert.ok(!text.includes(fn), `${m} (loaded by state) holds ${fn}`);
      }
    }
  } finally {
    await b.cleanup();
    Deno.removeSync(alone, { recursive: true });
    await Deno.remove(join(REPO, OUT), { recursive: true }).catch(() => {});
  }
});
