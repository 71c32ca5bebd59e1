/**
 * The default device cgroup rules (issue #14, item 11): with a deny-all rule in the config
 * (what engines send) a container may open tun but not the host's console, as under runc.
 * Failed before the fix: the console (c 5:1) opened and tun (c 10:200) was refused.
 * @module
 */
import "./needs_root.ts";
import assert from "node:assert/strict";
import { drun, makeProbeBundle, probeSpec, runcRun } from "../helpers.ts";

const S_IFCHR_0600 = 0o020600;
const O_RDWR_NOCTTY = 0o2 | 0o400;
// makedev for the old 8:8 layout, which these small numbers fit.
const dev = (major: number, minor: number) => (major << 8) | minor;

/** The probe: mknod then open (without becoming its controlling tty) each node. */
function nodeArgs(nodes: [string, number, number][]): string[] {
  return nodes.flatMap(([path, ma, mi]) => [
    "syscall",
    "133", // mknod
    `@s:${path}`,
    String(S_IFCHR_0600),
    String(dev(ma, mi)),
    "open",
    path,
    String(O_RDWR_NOCTTY),
  ]);
}

/** errno of each `open` line. */
function openErrnos(stdout: string): number[] {
  return stdout.trim().split("\n").map((l) => JSON.parse(l))
    .filter((o) => "open" in o).map((o) => o.errno);
}

Deno.test("devices: the console is denied and tun allowed by default, as under runc", async () => {
  const spec = probeSpec(nodeArgs([["/dev/xconsole", 5, 1], ["/dev/xtun", 10, 200]]));
  const caps = ["CAP_MKNOD", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_AUDIT_WRITE"];
  spec.process!.capabilities = { bounding: caps, effective: caps, permitted: caps };
  assert.deepEqual(spec.linux!.resources!.devices, [{ allow: false, access: "rwm" }]);
  const b = makeProbeBundle(spec);
  try {
    const ours = await drun(b, ["run", "--bundle", b.dir, "devrules1"]);
    assert.equal(ours.code, 0, ours.stderr + ours.stdout);
    const runc = await runcRun(b.dir, "devrules1");
    assert.equal(runc.code, 0, runc.stderr);
    const [consoleErr, tunErr] = openErrnos(ours.stdout);
    assert.equal(consoleErr, 1, "opening c 5:1 must be EPERM");
    assert.notEqual(tunErr, 1, "c 10:200 must not be denied by the device cgroup");
    assert.deepEqual([consoleErr, tunErr], openErrnos(runc.stdout));
  } finally {
    await b.cleanup();
  }
});
