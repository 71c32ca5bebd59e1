/**
 * The layout the architecture promises (docs/architecture.md), checked on the import graph
 * `deno info` sees: no import cycles, nothing under lib/ importing cli/ or shim/.
 */
import assert from "node:assert/strict";
import { REPO } from "../helpers.ts";

const ENTRIES = ["mod.ts", "cli.ts", "lib/agent/mod.ts", "shim/main.ts"];

/** file: specifier → the file: specifiers it imports, for every module the entries reach. */
function importGraph(entry: string): Map<string, string[]> {
  const out = new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", entry],
    cwd: REPO,
    stdout: "piped",
    stderr: "piped",
  }).outputSync();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  const info = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    modules: { specifier: string; dependencies?: { code?: { specifier?: string } }[] }[];
  };
  const graph = new Map<string, string[]>();
  for (const m of info.modules) {
    if (!m.specifier.startsWith("file:")) continue;
    const deps = (m.dependencies ?? []).map((d) => d.code?.specifier ?? "");
    graph.set(m.specifier, deps.filter((s) => s.startsWith("file:")));
  }
  return graph;
}

/** Every cycle found by a depth-first walk, as the list of modules on it. */
export function findCycles(graph: Map<string, string[]>): string[][] {
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const visit = (n: string) => {
    state.set(n, "open");
    stack.push(n);
    for (const d of graph.get(n) ?? []) {
      if (state.get(d) === "open") cycles.push([...stack.slice(stack.indexOf(d)), d]);
      else if (!state.has(d)) visit(d);
    }
    stack.pop();
    state.set(n, "done");
  };
  for (const n of graph.keys()) if (!state.has(n)) visit(n);
  return cycles;
}

const rel = (s: string) => s.slice(s.indexOf(REPO) + REPO.length + 1);

Deno.test("layout: the cycle finder sees a cycle", () => {
  const g = new Map([["a", ["b"]], ["b", ["c"]], ["c", ["a"]]]);
  assert.deepEqual(findCycles(g), [["a", "b", "c", "a"]]);
});

for (const entry of ENTRIES) {
  Deno.test(`layout: ${entry} has no import cycles and lib/ never imports cli/ or shim/`, () => {
    const graph = importGraph(entry);
    assert.ok(graph.size > 1, "the graph was read");
    assert.deepEqual(findCycles(graph).map((c) => c.map(rel).join(" -> ")), []);
    const wrong = [...graph].flatMap(([m, deps]) =>
      rel(m).startsWith("lib/")
        ? deps.filter((d) => /^(cli|shim)\//.test(rel(d))).map((d) => `${rel(m)} -> ${rel(d)}`)
        : []
    );
    assert.deepEqual(wrong, []);
  });
}

/** Files that are generated or data, not written by hand: the size rule does not apply. */
const GENERATED = [/\.generated\.ts$/, /^vendor\//, /^tests\/unit\/golden\//, /^tests\/schema\//];
const MAX_LINES = 410;

Deno.test(`layout: no hand-written source file is over ${MAX_LINES} lines`, () => {
  const out = new Deno.Command("git", {
    args: ["ls-files", "*.ts", "*.zig", "*.sh"],
    cwd: REPO,
    stdout: "piped",
  }).outputSync();
  const files = new TextDecoder().decode(out.stdout).split("\n").filter(Boolean);
  assert.ok(files.length > 100, "the tree was listed");
  const long = files
    .filter((f) => !GENERATED.some((g) => g.test(f)))
    .map((f) => ({ f, n: Deno.readTextFileSync(`${REPO}/${f}`).split("\n").length - 1 }))
    .filter(({ n }) => n > MAX_LINES)
    .map(({ f, n }) => `${f}: ${n}`);
  assert.deepEqual(long, []);
});

Deno.test("layout: every e2e and client test file imports needs_root.ts first", () => {
  const missing: string[] = [];
  for (const dir of ["tests/e2e", "tests/clients"]) {
    for (const e of Deno.readDirSync(`${REPO}/${dir}`)) {
      if (!e.name.endsWith("_test.ts")) continue;
      const text = Deno.readTextFileSync(`${REPO}/${dir}/${e.name}`);
      const first = text.split("\n").find((l) => l.startsWith("import "));
      if (!/^import "(\.\/|\.\.\/e2e\/)needs_root\.ts";$/.test(first ?? "")) {
        missing.push(`${dir}/${e.name}`);
      }
    }
  }
  assert.deepEqual(missing, []);
});
