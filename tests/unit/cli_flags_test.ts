/**
 * The command-line flag parser (cli/flags.ts): runc's flag forms, strictness, and the
 * argument counts; and the import graph: `state` and main.ts stay free of the launch path,
 * lib/ never imports cli/, and there are no cycles.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { checkArgCount, type Flag, parseFlags } from "../../cli/flags.ts";
import { ArgError } from "../../lib/errors.ts";
import { DEFAULT_ROOT } from "../../lib/runtime.ts";
import { defaultStateRoot } from "../../lib/rootless.ts";
import { REPO } from "../helpers.ts";

const FLAGS: Flag[] = [
  { name: "bundle", aliases: ["b"], type: "string", help: "" },
  { name: "force", aliases: ["f"], type: "bool", help: "" },
  { name: "env", aliases: ["e"], type: "list", help: "" },
];

Deno.test("flags: -x and --x, =V and a following word, bool=true|false, lists, --", () => {
  for (const argv of [["--bundle", "B"], ["--bundle=B"], ["-b", "B"], ["-b=B"], ["-bundle", "B"]]) {
    assert.equal(
      parseFlags("create", FLAGS, [...argv, "c1"]).string("bundle"),
      "B",
      argv.join(" "),
    );
  }
  // A value may start with a dash, as in Go: `update --cpu-quota -1`.
  assert.equal(parseFlags("x", FLAGS, ["--bundle", "-1"]).string("bundle"), "-1");
  assert.equal(parseFlags("x", FLAGS, ["--force"]).bool("force"), true);
  assert.equal(parseFlags("x", FLAGS, ["--force=true"]).bool("force"), true);
  assert.equal(parseFlags("x", FLAGS, ["-f=false"]).bool("force"), false);
  assert.deepEqual(parseFlags("x", FLAGS, ["-e", "A=1", "--env=B=2"]).list("env"), ["A=1", "B=2"]);
  // Interspersed, as runc reorders them; `--` ends the flags.
  const p = parseFlags("delete", FLAGS, ["c1", "--force", "--", "--bundle"]);
  assert.deepEqual(p.args, ["c1", "--bundle"]);
  assert.equal(p.bool("force"), true);
  // exec and ps: everything after the first positional is theirs.
  const e = parseFlags("exec", FLAGS, ["-f", "c1", "sh", "-c", "--force"], true);
  assert.deepEqual(e.args, ["c1", "sh", "-c", "--force"]);
});

Deno.test("flags: unknown flags, missing values, bad booleans: one line naming the flag", () => {
  const refused = (argv: string[], re: RegExp) =>
    assert.throws(() => parseFlags("delete", FLAGS, argv), (e: Error) => {
      assert.ok(e instanceof ArgError, String(e));
      assert.doesNotMatch(e.message, /\n|ERR_PARSE_ARGS|parseArgs/);
      assert.match(e.message, re);
      return true;
    });
  refused(["--bogus", "c1"], /^delete: unknown flag --bogus \(see drun delete --help\)$/);
  refused(["-x=1"], /unknown flag -x /);
  refused(["---force"], /unknown flag ---force/);
  refused(["--bundle"], /^delete: flag --bundle needs a value$/);
  refused(["--force=maybe"], /flag --force takes true or false, not "maybe"/);
  assert.throws(
    () => parseFlags("drun", [], ["--bogus"]),
    /drun: unknown flag --bogus \(see drun --help\)/,
  );
});

Deno.test("flags: argument counts as runc checks them", () => {
  checkArgCount("kill", "<container-id> [signal]", [1, 2], ["c1", "KILL"]);
  assert.throws(
    () => checkArgCount("delete", "<container-id>", [1, 1], ["a", "b"]),
    /^ArgError: delete: needs exactly 1 argument \(<container-id>\), got 2: "a" "b"$/,
  );
  assert.throws(
    () => checkArgCount("kill", "", [1, 2], ["a", "b", "c"]),
    /needs at most 2 arguments/,
  );
  assert.throws(() => checkArgCount("exec", "", [1, Infinity], []), /needs at least 1 argument,/);
  assert.throws(
    () => checkArgCount("state", "<container-id>", [1, 1], []),
    /^ArgError: state: container id required \(usage: drun state <container-id>\)$/,
  );
  assert.throws(() => checkArgCount("list", "", [0, 0], ["x"]), /needs exactly 0 arguments, got 1/);
});

Deno.test("cli: main.ts and the state command do not load the launch path", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", join(REPO, "cli.ts")],
    stdout: "piped",
  }).output();
  type Dep = {
    specifier: string;
    code?: { specifier: string };
    type?: { specifier: string };
    isDynamic?: boolean;
  };
  const graph = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    modules: { specifier: string; dependencies?: Dep[] }[];
  };
  const deps = new Map(graph.modules.map((m) => [m.specifier, m.dependencies ?? []]));
  /** The modules `from` loads before running: value imports, not dynamic ones. */
  const staticClosure = (from: string) => {
    const seen = new Set<string>();
    const walk = (s: string) => {
      if (seen.has(s)) return;
      seen.add(s);
      for (const d of deps.get(s) ?? []) if (d.code && !d.isDynamic) walk(d.code.specifier);
    };
    walk(from);
    return [...seen].map((s) => s.replace(`file://${REPO}/`, ""));
  };
  const entry = staticClosure(`file://${REPO}/cli.ts`);
  assert.ok(entry.includes("cli/main.ts"));
  assert.deepEqual(
    entry.filter((s) => s.startsWith("cli/commands/") || s.startsWith("lib/runtime")),
    [],
  );
  const state = staticClosure(`file://${REPO}/cli/commands/state.ts`);
  assert.ok(state.includes("lib/state/store.ts"), "the walk follows static imports");
  for (
    const heavy of [
      "lib/runtime.ts",
      "lib/runtime/exec.ts",
      "lib/launch.ts",
      "lib/seccomp/compile.ts",
    ]
  ) {
    assert.ok(!state.includes(heavy), `state loads ${heavy}`);
  }
  assert.deepEqual(
    state.filter((s) => s.startsWith("lib/agent/") || s.startsWith("cli/commands/")),
    [
      "cli/commands/state.ts",
    ],
  );
  // Nothing under lib/ imports cli/ (the library must not depend on its command line).
  for (const [s, ds] of deps) {
    if (!s.includes(`${REPO}/lib/`)) continue;
    for (const d of ds) assert.ok(!d.code?.specifier.includes(`${REPO}/cli/`), `${s} imports cli/`);
  }
  // No cycles, counting every edge (dynamic and type imports too).
  const onStack = new Set<string>(), done = new Set<string>();
  const visit = (s: string): void => {
    onStack.add(s);
    for (const d of deps.get(s) ?? []) {
      const t = d.code?.specifier ?? d.type?.specifier;
      if (!t || done.has(t)) continue;
      assert.ok(!onStack.has(t), `import cycle through ${s} and ${t}`);
      visit(t);
    }
    onStack.delete(s);
    done.add(s);
  };
  visit(`file://${REPO}/cli.ts`);
  // lib/rootless.ts repeats DEFAULT_ROOT so as not to load lib/runtime.ts: they must agree.
  assert.equal(defaultStateRoot({}, 0), DEFAULT_ROOT);
});
