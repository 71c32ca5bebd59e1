/**
 * dist/drun.js is the library too: imported, it runs nothing and exports what mod.ts does,
 * and its Runtime runs a container. Fails when the bundle exports only the CLI's `main`.
 */
import "./needs_root.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import { bundle } from "../../scripts/bundle.ts";
import * as lib from "../../mod.ts";
import { busyboxBundle, REPO } from "../helpers.ts";

Deno.test("library bundle: dist/drun.js exports the library and main, and runs a container", async () => {
  const out = "dist/library-test.js";
  await bundle(undefined, out);
  const { b, spec } = busyboxBundle();
  try {
    const mod = await import(join(REPO, out)) as typeof lib & { main: unknown };
    assert.equal(typeof mod.main, "function");
    const missing = Object.keys(lib).filter((k) => !(k in mod));
    assert.deepEqual(missing, [], "library exports missing from the bundle");
    const r = await new mod.Runtime(b.root).run(spec(["/bin/echo", "bundled"]), { text: true });
    assert.deepEqual(r, { code: 0, stdout: "bundled\n", stderr: "" });
  } finally {
    Deno.removeSync(join(REPO, out));
    await b.cleanup();
  }
});
