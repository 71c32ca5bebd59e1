/**
 * Idmapped binds in the plan: the tree is made before the fork into the new namespaces (by
 * the host's root), moved in config order, and configs that cannot be idmapped are refused
 * naming the field. Before idmapped mounts, `idmap` was parsed as an ignored option and the
 * bind was an ordinary MOUNT_IN_ROOT.
 */
import assert from "node:assert/strict";
import { buildPlan } from "../../lib/plan/build.ts";
import { Op } from "../../lib/plan/encode.ts";
import { parseMountOptions } from "../../lib/plan/mount_options.ts";
import { checkRootless } from "../../lib/rootless.ts";
import { probeSpec } from "../helpers.ts";

function spec(options: string[], extra: Record<string, unknown> = {}) {
  const s = probeSpec();
  s.linux!.namespaces!.push({ type: "user" });
  s.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
  s.linux!.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
  s.mounts!.push({ destination: "/data", type: "bind", source: "/tmp", options, ...extra });
  return s;
}

Deno.test("idmap plan: IDMAP_TREE before the fork, MOUNT_TREE where the bind was", () => {
  const s = spec(["rbind", "ridmap", "ro"]);
  const plan = buildPlan({ spec: s, rootfs: "/x", fifoPath: "/f" });
  const kinds = plan.ops.map((o) => o.kind);
  const tree = kinds.indexOf(Op.IDMAP_TREE);
  assert.ok(tree >= 0 && tree < kinds.indexOf(Op.FORK_PID));
  const op = plan.ops[tree];
  // index 0, recursive clone and attr, MOUNT_ATTR_RDONLY, the container's maps as text.
  assert.deepEqual(op.nums, [0, 0x8000, 0x8000, 1, 0, 0]);
  assert.deepEqual(op.strs, ["/tmp", "0 100000 65536\n", "0 100000 65536\n"]);
  assert.match(op.field!, /^mounts\[\d+\]$/);
  assert.match(op.action, /^idmapped bind of \/tmp/);
  const move = plan.ops.find((o) => o.kind === Op.MOUNT_TREE)!;
  assert.deepEqual([move.nums, move.strs], [[0, 1], ["data"]]);
  assert.ok(!plan.ops.some((o) => o.kind === Op.MOUNT_IN_ROOT && o.strs[1] === "data"));
});

Deno.test("idmap plan: the mount's own mappings win over the container's", () => {
  const s = spec(["rbind"], {
    uidMappings: [{ containerID: 1000, hostID: 100000, size: 1 }],
    gidMappings: [{ containerID: 1000, hostID: 100000, size: 1 }],
  });
  const op = buildPlan({ spec: s, rootfs: "/x", fifoPath: "/f" }).ops
    .find((o) => o.kind === Op.IDMAP_TREE)!;
  assert.deepEqual(op.strs.slice(1), ["1000 100000 1\n", "1000 100000 1\n"]);
  assert.equal(op.nums[2], 0, "idmap mappings without ridmap map the top mount only");
});

Deno.test("idmap plan: no mappings anywhere, and rootless, are refused by field", () => {
  const s = spec(["rbind", "idmap"]);
  s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== "user");
  delete s.linux!.uidMappings;
  delete s.linux!.gidMappings;
  assert.throws(
    () => buildPlan({ spec: s, rootfs: "/x", fifoPath: "/f" }),
    (e: Error & { path?: string }) => e.path === `mounts[${s.mounts!.length - 1}].uidMappings`,
  );
  const rootless = spec(["rbind", "idmap"]);
  assert.throws(
    () => checkRootless(rootless, true, 1000),
    /mounts\[\d+\]: idmapped mounts need root/,
  );
});

Deno.test("idmap plan: idmap and ridmap are parsed, not ignored", () => {
  assert.equal(parseMountOptions(["idmap"]).idmap, "idmap");
  assert.equal(parseMountOptions(["rbind", "ridmap"]).idmap, "ridmap");
  assert.deepEqual(parseMountOptions(["idmap", "ridmap"]).ignored, []);
});
