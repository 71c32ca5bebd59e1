/**
 * What the CLI prints or writes validates against the runtime-spec 1.2.0 schemas vendored in
 * tests/schema/runtime-spec: `features`, the config.json of `spec` and `spec --rootless`, and
 * `state` of a container created, running, paused and stopped ("paused" is not in the schema's
 * enum, but runc and crun report it and engines expect it: that one value is let through).
 * Before features left out what
 * the schema does not know, the features case failed (SCMP_ARCH_LOONGARCH64,
 * SECCOMP_FILTER_FLAG_TSYNC_ESRCH).
 */
import "./needs_root.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import { drun, makeProbeBundle, probeSpec } from "../helpers.ts";
import { schemaErrors } from "../schema/validate.ts";

Deno.test("schema: drun features prints a valid features document", async () => {
  const b = makeProbeBundle();
  try {
    const r = await drun(b, ["features"]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(schemaErrors("features-schema.json", JSON.parse(r.stdout)), []);
  } finally {
    await b.cleanup();
  }
});

Deno.test("schema: drun spec writes a valid config, rootful and rootless", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "drun-test-schema-" });
  try {
    for (const flags of [[], ["--rootless"]]) {
      const bundle = join(dir, flags.length ? "rootless" : "rootful");
      Deno.mkdirSync(bundle);
      const r = await drun({ dir, root: join(dir, "state") }, ["spec", ...flags, "-b", bundle]);
      assert.equal(r.code, 0, r.stderr);
      const config = JSON.parse(Deno.readTextFileSync(join(bundle, "config.json")));
      assert.deepEqual(schemaErrors("config-schema.json", config), [], flags.join(" "));
    }
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("schema: drun state is a valid state in every status", async () => {
  const spec = probeSpec(["sleep", "30"]);
  spec.annotations = { "org.drun.test": "schema" };
  const b = makeProbeBundle(spec);
  const state = async (status: string) => {
    const r = await drun(b, ["state", "sc1"]);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.equal(doc.status, status);
    const checked = status === "paused" ? { ...doc, status: "running" } : doc;
    assert.deepEqual(schemaErrors("state-schema.json", checked), [], status);
  };
  try {
    assert.equal((await drun(b, ["create", "--bundle", b.dir, "sc1"])).code, 0);
    await state("created");
    assert.equal((await drun(b, ["start", "sc1"])).code, 0);
    await state("running");
    assert.equal((await drun(b, ["pause", "sc1"])).code, 0);
    await state("paused");
    assert.equal((await drun(b, ["resume", "sc1"])).code, 0);
    assert.equal((await drun(b, ["kill", "sc1", "KILL"])).code, 0);
    const until = Date.now() + 10_000;
    while (JSON.parse((await drun(b, ["state", "sc1"])).stdout).status !== "stopped") {
      if (Date.now() > until) throw new Error("the container did not stop");
      await new Promise((r) => setTimeout(r, 50));
    }
    await state("stopped");
  } finally {
    await b.cleanup();
  }
});
