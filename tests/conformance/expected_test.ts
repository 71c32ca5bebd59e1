/**
 * The table of expected results is well formed: every program has a row for each runtime,
 * every cause is used and of a kind that fits the row, and the comparison reports both
 * directions (an unexpected failure and an unexpected pass).
 * @module
 */
import assert from "node:assert/strict";
import { causesOf, compare, loadTable } from "./expected.ts";

const table = loadTable(new URL("./expected.json", import.meta.url));

Deno.test("expected.json: every program has a drun and a runc row", () => {
  assert.ok(Object.keys(table.programs).length >= 58);
  for (const [program, rows] of Object.entries(table.programs)) {
    assert.ok(rows.drun, `${program}: no drun row`);
    assert.ok(rows.runc, `${program}: no runc row`);
  }
});

Deno.test("expected.json: drun rows never blame runc, runc rows never blame drun", () => {
  for (const [program, rows] of Object.entries(table.programs)) {
    for (const cause of Object.values(rows.drun).flatMap(causesOf)) {
      assert.notEqual(table.causes[cause].kind, "runc-bug", `${program}.drun: ${cause}`);
    }
    for (const cause of Object.values(rows.runc).flatMap(causesOf)) {
      assert.notEqual(table.causes[cause].kind, "drun-bug", `${program}.runc: ${cause}`);
    }
  }
});

Deno.test("expected.json: every cause is used, every drun bug names its issue item", () => {
  const used = new Set(
    Object.values(table.programs).flatMap((rows) =>
      [...Object.values(rows.drun), ...Object.values(rows.runc)].flatMap(causesOf)
    ),
  );
  for (const [id, cause] of Object.entries(table.causes)) {
    assert.ok(used.has(id), `cause ${id} is not used by any row`);
    if (cause.kind === "drun-bug") assert.ok(cause.item, `cause ${id}: no item`);
  }
});

Deno.test("compare: an unlisted failure and a listed failure that did not happen both count", () => {
  assert.deepEqual(compare({ "exit 1": "host-blkio" }, ["exit 1"]), {
    unexpected: [],
    missing: [],
  });
  assert.deepEqual(compare({ "exit 1": "host-blkio" }, []), {
    unexpected: [],
    missing: ["exit 1"],
  });
  assert.deepEqual(compare({}, ["b"]), { unexpected: ["b"], missing: [] });
});

Deno.test("loadTable: a suite cause without its upstream issue is refused", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const path = `${dir}/expected.json`;
    Deno.writeTextFileSync(
      path,
      JSON.stringify({ suite: "x", causes: { s: { kind: "suite", why: "w" } }, programs: {} }),
    );
    assert.throws(() => loadTable(path), /causes\.s\.upstream/);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
