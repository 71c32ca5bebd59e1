/**
 * The runc command-line surface engines rely on: spec, features, --version/--help,
 * --log with --log-format json, unknown commands.
 */
import "./needs_root.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import { validateSpec } from "../../lib/spec/validate.ts";
import { drun, makeProbeBundle } from "../helpers.ts";

Deno.test("cli: spec writes a valid config.json and refuses to overwrite it", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "drun-test-spec-" });
  const b = { dir, root: join(dir, "state") };
  try {
    assert.equal((await drun(b, ["spec"])).code, 0);
    const spec = JSON.parse(Deno.readTextFileSync(join(dir, "config.json")));
    assert.deepEqual(spec.process.args, ["sh"]);
    validateSpec(spec, { bundle: dir });
    const again = await drun(b, ["spec"]);
    assert.notEqual(again.code, 0);
    assert.match(again.stderr, /exists/);
    assert.equal((await drun(b, ["spec", "--rootless", "--bundle", join(dir, "x")])).code, 1);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("cli: features is an OCI features document", async () => {
  const b = makeProbeBundle();
  try {
    const r = await drun(b, ["features"]);
    assert.equal(r.code, 0);
    const f = JSON.parse(r.stdout);
    assert.equal(f.ociVersionMin, "1.0.0");
    assert.ok(f.linux.namespaces.includes("user"));
    assert.ok(f.linux.seccomp.actions.includes("SCMP_ACT_NOTIFY"));
    assert.ok(f.linux.seccomp.operators.includes("SCMP_CMP_MASKED_EQ"));
    assert.ok(f.linux.seccomp.archs.includes("SCMP_ARCH_X86_64"));
    assert.ok(f.mountOptions.includes("rbind"));
  } finally {
    await b.cleanup();
  }
});

Deno.test("cli: --version, --help, unknown command, json log lines", async () => {
  const b = makeProbeBundle();
  try {
    assert.match((await drun(b, ["--version"])).stdout, /^drun version /);
    assert.match((await drun(b, ["--help"])).stdout, /Usage: drun/);
    const unk = await drun(b, ["frobnicate"]);
    assert.equal(unk.code, 3, "runc exits 3 for an unknown command");
    assert.match(unk.stderr, /level=error msg="unknown command \\"frobnicate\\"/);
    const log = join(b.dir, "log.json");
    const r = await drun(b, ["--log", log, "--log-format", "json", "state", "nope"]);
    assert.equal(r.code, 1);
    const line = JSON.parse(Deno.readTextFileSync(log).trim());
    assert.equal(line.level, "error");
    assert.match(line.msg, /container nope does not exist/);
    assert.ok(!Number.isNaN(Date.parse(line.time)));
  } finally {
    await b.cleanup();
  }
});
