/**
 * What runc's /proc rule still allows (issue #14, item 10; the refusals are cases of
 * invalid_config_mounts_test.ts): an lxcfs-style file bound over one of the few /proc files
 * meant for it, and a procfs bound onto /proc. These passed before the fix too; they guard the
 * rule against refusing more than runc does.
 * @module
 */
import "./needs_root.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import { drun, makeProbeBundle, probeSpec } from "../helpers.ts";

Deno.test("mounts: a file bound over /proc/uptime and a procfs bound on /proc are allowed", async () => {
  const spec = probeSpec(["cat", "/proc/uptime"]);
  const b = makeProbeBundle(spec);
  try {
    const fake = join(b.dir, "uptime");
    Deno.writeTextFileSync(fake, "12345.00 6789.00\n");
    spec.mounts!.push({ destination: "/proc/uptime", type: "bind", source: fake, options: ["ro"] });
    b.write(spec);
    const r = await drun(b, ["run", "--bundle", b.dir, "procok1"]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "12345.00 6789.00\n");

    const bound = probeSpec(["cat", "/proc/self/comm"]);
    const i = bound.mounts!.findIndex((m) => m.destination === "/proc");
    // The host's procfs, bound: runc accepts it (its source is a procfs).
    bound.mounts![i] = { destination: "/proc", type: "bind", source: "/proc", options: ["rbind"] };
    b.write(bound);
    const r2 = await drun(b, ["run", "--bundle", b.dir, "procok2"]);
    assert.equal(r2.code, 0, r2.stderr);
    assert.equal(r2.stdout.trim(), "probe");
  } finally {
    await b.cleanup();
  }
});
