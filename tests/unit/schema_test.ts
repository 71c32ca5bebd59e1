/**
 * What drun emits without a container validates against the runtime-spec 1.2.0 schemas
 * vendored in tests/schema/runtime-spec: the features document and the default specs. Before
 * features left out what the schema does not know, it named SCMP_ARCH_LOONGARCH64 and
 * SECCOMP_FILTER_FLAG_TSYNC_ESRCH and failed here; before it listed only options drun acts
 * on, it advertised idmap, ridmap and tmpcopyup, which drun ignores.
 */
import assert from "node:assert/strict";
import { features, supportedMountOptions } from "../../lib/features.ts";
import { defaultSpec } from "../../lib/spec/default.ts";
import { parseMountOptions } from "../../lib/plan/mount_options.ts";
import { compileSeccomp } from "../../lib/seccomp/compile.ts";
import { schemaErrors } from "../schema/validate.ts";

Deno.test("schema: the features document is valid runtime-spec 1.2.0", () => {
  assert.deepEqual(schemaErrors("features-schema.json", features()), []);
});

Deno.test("schema: a document naming what the schema lacks is caught", () => {
  // The check itself works: an arch and a flag drun knows but the schema does not.
  const f = features() as { linux: { seccomp: { archs: string[]; knownFlags: string[] } } };
  f.linux.seccomp.archs.push("SCMP_ARCH_LOONGARCH64");
  f.linux.seccomp.knownFlags.push("SECCOMP_FILTER_FLAG_TSYNC_ESRCH");
  const errs = schemaErrors("features-schema.json", f);
  assert.equal(errs.length, 2, errs.join("\n"));
  assert.match(errs[0], /^\/linux\/seccomp\/archs\/\d+ must be equal to one of the allowed/);
  assert.match(
    errs[1],
    /^\/linux\/seccomp\/knownFlags\/\d+ .*got "SECCOMP_FILTER_FLAG_TSYNC_ESRCH"/,
  );
});

Deno.test("schema: features lists only mount options drun carries out", () => {
  const listed = (features() as { mountOptions: string[] }).mountOptions;
  assert.deepEqual(listed, supportedMountOptions());
  for (const o of ["idmap", "ridmap", "tmpcopyup", "silent", "loud"]) {
    assert.ok(!listed.includes(o), `${o} is not carried out and must not be advertised`);
  }
  for (const o of listed) {
    const p = parseMountOptions([o]);
    assert.deepEqual([p.ignored, p.data], [[], ""], o);
  }
  for (const o of ["ro", "nosuid", "rbind", "rprivate", "rro", "nosymfollow", "remount"]) {
    assert.ok(listed.includes(o), o);
  }
});

Deno.test("schema: every seccomp arch and flag features names is one a profile may use", () => {
  const sc = (features() as {
    linux: { seccomp: { archs: string[]; supportedFlags: string[] } };
  }).linux.seccomp;
  for (const arch of sc.archs) {
    compileSeccomp({ defaultAction: "SCMP_ACT_ALLOW", architectures: [arch] });
  }
  for (const flag of sc.supportedFlags) {
    compileSeccomp({ defaultAction: "SCMP_ACT_ALLOW", flags: [flag] });
  }
});

Deno.test("schema: the default spec, rootful and rootless, is a valid config", () => {
  for (const rootless of [false, true]) {
    assert.deepEqual(
      schemaErrors("config-schema.json", defaultSpec({ rootless })),
      [],
      `${rootless}`,
    );
  }
});
