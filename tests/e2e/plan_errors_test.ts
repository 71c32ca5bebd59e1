/**
 * A step of the plan that fails in the container's init names its config field and what it
 * was doing, device paths included. Before, a device bound from the host in a user namespace
 * failed as `linux.devices[0]: open bind source: ENOENT`, without the device it was binding.
 * (A mount's flags and data: tests/e2e/mounts_test.ts.)
 */
import "./needs_root.ts";
import assert from "node:assert/strict";
import { drun, makeProbeBundle, probeSpec } from "../helpers.ts";

/** The one-line error of a `run` that must fail. */
async function runError(spec: ReturnType<typeof probeSpec>, id: string): Promise<string> {
  const b = makeProbeBundle(spec);
  try {
    const r = await drun(b, ["run", "--bundle", b.dir, `${id}-${Deno.pid}`]);
    assert.notEqual(r.code, 0);
    const err = r.stderr.trim();
    assert.equal(err.split("\n").length, 1, r.stderr);
    return err;
  } finally {
    await b.cleanup();
  }
}

Deno.test("plan errors: a device bound from the host names its field and path", async () => {
  const spec = probeSpec(["exit", "0"]);
  spec.linux!.namespaces!.push({ type: "user" });
  spec.linux!.uidMappings = [{ containerID: 0, hostID: 200000, size: 65536 }];
  spec.linux!.gidMappings = [{ containerID: 0, hostID: 200000, size: 65536 }];
  spec.linux!.devices = [{ path: "/dev/drun-no-such-device", type: "c", major: 1, minor: 3 }];
  const err = await runError(spec, "deverr1");
  assert.ok(
    err.includes(
      "linux.devices[0]: bind /dev/drun-no-such-device from the host (flags bind): " +
        "open bind source: ENOENT",
    ),
    err,
  );
});

Deno.test("plan errors: a device node that cannot be made names its field and path", async () => {
  const spec = probeSpec(["exit", "0"]);
  // The probe is a file: a node below it cannot be made (ENOTDIR).
  spec.linux!.devices = [{ path: "/probe/null", type: "c", major: 1, minor: 3 }];
  const err = await runError(spec, "deverr2");
  assert.ok(err.includes("linux.devices[0]: create /probe/null: mknod: ENOTDIR"), err);
});
