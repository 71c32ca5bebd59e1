/**
 * The whole plan for `drun spec`'s default config, op by op, against a checked-in golden
 * file: any change to what the init is told to do shows up here as a diff to review.
 * Regenerate on purpose with `DRUN_UPDATE_GOLDEN=1 deno test -A tests/unit/golden_plan_test.ts`
 * (then `deno fmt`).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { buildPlan } from "../../lib/plan/build.ts";
import { Op } from "../../lib/plan/encode.ts";
import { defaultSpec } from "../../lib/spec/default.ts";
import { REPO } from "../helpers.ts";

const GOLDEN = join(REPO, "tests/unit/golden/default_plan.json");
const NAMES = new Map(Object.entries(Op).map(([k, v]) => [v as number, k]));

function render(): unknown {
  const spec = defaultSpec({ args: ["sh"] });
  const plan = buildPlan({
    spec,
    rootfs: "/bundle/rootfs",
    fifoPath: "/run/drun/c1/exec.fifo",
    id: "c1",
    // A v1 host with two hierarchies, fixed so the golden does not depend on this machine.
    cgroupLines: ["1:cpu,cpuacct:/", "2:memory:/", "0::/"],
  });
  return {
    cloneFlags: `0x${plan.cloneFlags.toString(16)}`,
    ops: plan.ops.map((o) => ({
      op: NAMES.get(o.kind),
      ...(o.field === undefined ? {} : { field: o.field }),
      action: o.action,
      nums: o.nums.map((n) => BigInt.asUintN(64, BigInt(n)).toString(16)),
      strs: o.strs.map((s) =>
        typeof s === "string"
          ? s
          : `hex:${[...s].map((b) => b.toString(16).padStart(2, "0")).join("")}`
      ),
    })),
  };
}

Deno.test("golden: the plan of drun spec's default config", () => {
  const got = render();
  if (Deno.env.get("DRUN_UPDATE_GOLDEN") === "1") {
    Deno.writeTextFileSync(GOLDEN, JSON.stringify(got, null, 1) + "\n");
  }
  assert.deepEqual(got, JSON.parse(Deno.readTextFileSync(GOLDEN)));
});
