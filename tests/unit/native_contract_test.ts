/**
 * The contract between the TypeScript that builds plans and the Zig that walks them, checked
 * from both sources: op numbers (lib/plan/encode.ts `Op` against zig/src/child.zig `Kind`),
 * sync message kinds and size (lib/native/ffi.ts against zig/src/sync.zig), and the plan
 * layout constants (magic, version, op header). Changing one side alone fails here.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { encodePlan, Op } from "../../lib/plan/encode.ts";
import { MSG_SIZE, MsgKind } from "../../lib/native/ffi.ts";
import { REPO } from "../helpers.ts";

const zig = (f: string) => Deno.readTextFileSync(join(REPO, "zig/src", f));

/** snake_case name → number from the Zig `Kind` enum. */
function zigKinds(): Map<string, number> {
  const body = /pub const Kind = enum\(u16\) \{([^}]*)\}/.exec(zig("child.zig"))![1];
  return new Map(
    [...body.matchAll(/^\s*([a-z_]+) = (\d+),/gm)].map((m) => [m[1], Number(m[2])]),
  );
}

Deno.test("contract: every plan op has the same number on both sides", () => {
  const z = zigKinds();
  const ts = new Map(Object.entries(Op).map(([k, v]) => [k.toLowerCase(), v as number]));
  assert.deepEqual([...ts.entries()].sort(), [...z.entries()].sort());
});

Deno.test("contract: sync message kinds and size match zig/src/sync.zig", () => {
  const src = zig("sync.zig");
  for (const [name, value] of Object.entries(MsgKind)) {
    const m = new RegExp(`pub const ${name}: u32 = (\\d+);`).exec(src);
    assert.ok(m, `${name} in sync.zig`);
    assert.equal(Number(m[1]), value, name);
  }
  // Msg: kind, step, errno, pad (4 x u32), value (i64), detail[N].
  const detail = Number(/detail: \[(\d+)\]u8/.exec(src)![1]);
  assert.equal(16 + 8 + detail, MSG_SIZE);
});

Deno.test("contract: the plan header and op layout match zig/src/plan.zig", () => {
  const src = zig("plan.zig");
  const bytes = encodePlan({
    cloneFlags: 0,
    ops: [{ kind: Op.READY, action: "r", nums: [], strs: [] }],
  });
  const dv = new DataView(bytes.buffer);
  assert.equal(dv.getUint32(0, true), Number(/MAGIC: u32 = (0x[0-9a-f]+)/.exec(src)![1]));
  assert.equal(dv.getUint32(4, true), Number(/VERSION: u32 = (\d+)/.exec(src)![1]));
  const header = Number(/pub const HEADER: usize = (\d+)/.exec(src)![1]);
  const opHeader = Number(/OP_HEADER: usize = (\d+)/.exec(src)![1]);
  assert.equal(bytes.length, header + opHeader, "one empty op is exactly an op header");
});
