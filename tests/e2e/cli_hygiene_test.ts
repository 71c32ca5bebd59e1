/**
 * The command line behaves like runc's: per-command help and a help verb, strict flags and
 * argument counts, both flag forms, --debug lines in the log, a runc-shaped --version, runc's
 * exit codes, and exact uint64 counters from `events --stats`. Where Debian's runc is
 * installed each case also runs it and expects the same exit code.
 */
import "./needs_root.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import { COMMANDS } from "../../cli/registry.ts";
import { CLI, type CliResult, drun, makeProbeBundle, probeSpec, REPO } from "../helpers.ts";

/** runc's path, when it is installed. */
const RUNC = ["/usr/sbin/runc", "/usr/bin/runc", "/usr/local/sbin/runc"].find((p) => {
  try {
    return Deno.statSync(p).isFile;
  } catch {
    return false;
  }
});

async function exec(cmd: string, args: string[], cwd?: string): Promise<CliResult> {
  const out = await new Deno.Command(cmd, { args, cwd, stdout: "piped", stderr: "piped" })
    .output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** A scratch dir with a state root for drun and one for runc. */
function scratch() {
  const dir = Deno.makeTempDirSync({ prefix: "drun-test-cli-" });
  return {
    dir,
    drun: (args: string[]) => exec(Deno.execPath(), ["run", "-A", CLI, ...args], dir),
    runc: (args: string[]) => RUNC ? exec(RUNC, args, dir) : Promise.resolve(undefined),
    droot: join(dir, "drun-state"),
    rroot: join(dir, "runc-state"),
    cleanup: () => Deno.removeSync(dir, { recursive: true }),
  };
}

/** Runs `args` (after `--root`) with drun and runc; both must exit with `code`. */
async function same(
  s: ReturnType<typeof scratch>,
  args: string[],
  code: number,
): Promise<CliResult> {
  const d = await s.drun(["--root", s.droot, ...args]);
  assert.equal(d.code, code, `drun ${args.join(" ")}: ${d.stderr}`);
  const r = await s.runc(["--root", s.rroot, ...args]);
  if (r) assert.equal(r.code, code, `runc ${args.join(" ")}: ${r.stderr}`);
  return d;
}

/** One error line, naming `what`, and none of Node's parseArgs wording. */
function oneLine(r: CliResult, what: RegExp) {
  const lines = r.stderr.trim().split("\n");
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], /level=error msg=/);
  assert.match(lines[0], what);
  assert.doesNotMatch(r.stderr, /ERR_PARSE_ARGS|parseArgs|TypeError|at .*\.ts:\d+/);
}

Deno.test("cli: --help, -h and `help <command>` for every command; help of an unknown one is 3", async () => {
  const s = scratch();
  try {
    for (const name of Object.keys(COMMANDS)) {
      const long = await s.drun([name, "--help"]);
      assert.equal(long.code, 0, `${name} --help: ${long.stderr}`);
      assert.match(long.stdout, new RegExp(`^drun ${name}: .+\n\nUsage: drun ${name}`));
      assert.match(long.stdout, /--help, -h +print this help/);
      assert.equal((await s.drun([name, "-h"])).stdout, long.stdout, `${name} -h`);
      assert.equal((await s.drun(["help", name])).stdout, long.stdout, `help ${name}`);
    }
    // A flag of the command is listed with its alias and value.
    assert.match((await s.drun(["create", "--help"])).stdout, /--bundle DIR, -b DIR +the bundle/);
    for (
      const args of [["state", "--help"], ["help", "state"], ["kill", "-h"], ["help"], ["h"], []]
    ) {
      const d = await same(s, args, 0);
      assert.ok(d.stdout.length > 0, args.join(" "));
    }
    const unknown = await same(s, ["help", "frobnicate"], 3);
    oneLine(unknown, /no command \\"frobnicate\\"/);
  } finally {
    s.cleanup();
  }
});

Deno.test("cli: unknown flags are refused with one line naming them, exit 1 as runc", async () => {
  const s = scratch();
  try {
    const cases: [string[], RegExp][] = [
      [["--bogus", "list"], /drun: unknown flag --bogus/],
      [["delete", "--bogus", "x"], /delete: unknown flag --bogus \(see drun delete --help\)/],
      [["state", "-x", "y"], /state: unknown flag -x/],
      [["create", "--bogus=1", "c1"], /create: unknown flag --bogus /],
      [["list", "--format"], /list: flag --format needs a value/],
      [["delete", "--force=maybe", "x"], /flag --force takes true or false/],
      [["exec", "--bogus", "x", "true"], /exec: unknown flag --bogus/],
      [["--root"], /drun: flag --root needs a value/],
    ];
    for (const [args, re] of cases) oneLine(await same(s, args, 1), re);
  } finally {
    s.cleanup();
  }
});

Deno.test("cli: extra arguments are refused before anything is done (delete a b deletes nothing)", async () => {
  const b = makeProbeBundle(probeSpec(["sleep", "30"]));
  const s = scratch();
  try {
    assert.equal((await drun(b, ["create", "--bundle", b.dir, "a"])).code, 0);
    const r = await drun(b, ["delete", "--force", "a", "b"]);
    assert.equal(r.code, 1);
    oneLine(r, /delete: needs exactly 1 argument \(<container-id>\), got 2: \\"a\\" \\"b\\"/);
    assert.equal(JSON.parse((await drun(b, ["state", "a"])).stdout).status, "created");
    const cases = [
      ["delete", "a", "b"],
      ["state", "a", "b"],
      ["start", "a", "b"],
      ["kill", "a", "KILL", "c"],
      ["pause", "a", "b"],
      ["resume", "a", "b"],
      ["events", "a", "b"],
      ["update", "--memory", "1m", "a", "b"],
      ["create", "a", "b"],
      ["run", "a", "b"],
      ["list", "x"],
      ["features", "x"],
      ["spec", "x"],
      ["state"],
      ["kill"],
      ["exec"],
    ];
    for (const args of cases) {
      oneLine(await same(s, args, 1), /needs (exactly|at least|at most) \d|container id required/);
    }
    assert.throws(() => Deno.statSync(join(s.dir, "config.json")), Deno.errors.NotFound);
  } finally {
    await b.cleanup();
    s.cleanup();
  }
});

Deno.test("cli: both flag forms, flags after the id, and global value flags not taken for the command", async () => {
  const s = scratch();
  try {
    const missing = /container x does not exist/;
    for (
      const g of [
        ["--root", s.droot],
        [`--root=${s.droot}`],
        ["-root", s.droot],
        ["--rootless", "true", "--root", s.droot],
        ["--rootless=false", "--root", s.droot],
        ["--systemd-cgroup=false", "--debug=false", "--root", s.droot],
      ]
    ) {
      const d = await s.drun([...g, "state", "x"]);
      assert.equal(d.code, 1, g.join(" "));
      oneLine(d, missing);
      const r = await s.runc([...g.map((a) => a.replace(s.droot, s.rroot)), "state", "x"]);
      if (r) assert.equal(r.code, 1, `runc ${g.join(" ")}: ${r.stderr}`);
    }
    // `--force` before or after the id, as `-f`, or `=true`: a missing container is no error.
    for (
      const args of [["delete", "--force", "x"], ["delete", "x", "--force"], [
        "delete",
        "-f=true",
        "x",
      ]]
    ) {
      await same(s, args, 0);
    }
    const json = await s.drun(["--log-format", "json", "--root", s.droot, "state", "x"]);
    assert.match(JSON.parse(json.stderr).msg, missing);
    const json2 = await s.drun(["--log-format=json", "--root", s.droot, "state", "x"]);
    assert.match(JSON.parse(json2.stderr).msg, missing);
    assert.equal(
      (await s.drun(["--root", s.droot, "list", "--format=json"])).stdout,
      (await s.drun(["--root", s.droot, "list", "-f", "json"])).stdout,
    );
  } finally {
    s.cleanup();
  }
});

Deno.test("cli: --debug writes logrus-shaped debug lines to the log, text and json; none without it", async () => {
  const b = makeProbeBundle(probeSpec(["exit", "0"]));
  try {
    const log = join(b.dir, "log.json");
    const r = await drun(b, ["--log", log, "--log-format", "json", "--debug", "run", "dbg1"]);
    assert.equal(r.code, 0, r.stderr);
    const lines = Deno.readTextFileSync(log).trim().split("\n").map((l) => JSON.parse(l));
    for (const l of lines) {
      assert.deepEqual(Object.keys(l).sort(), ["level", "msg", "time"]);
      assert.ok(!Number.isNaN(Date.parse(l.time)));
    }
    const debug = lines.filter((l) => l.level === "debug").map((l) => l.msg);
    assert.ok(debug.some((m) => /^drun .*: run \["dbg1"\]/.test(m)), debug.join("\n"));
    // The runtime's phase marks (lib/timing.ts), from create to delete.
    const phases = debug.filter((m) => /^phase \S+ at [\d.]+ ms$/.test(m));
    assert.ok(phases.length >= 3, debug.join("\n"));
    assert.ok(phases.some((m) => m.startsWith("phase create at ")), debug.join("\n"));
    assert.ok(debug.some((m) => m === "run: exit code 0"), debug.join("\n"));
    const text = await drun(b, ["--debug", "state", "nope"]);
    assert.match(text.stderr, /^time="[^"]+" level=debug msg="drun .*state/m);
    const quiet = join(b.dir, "quiet.json");
    Deno.writeTextFileSync(quiet, "");
    assert.equal((await drun(b, ["--log", quiet, "--log-format", "json", "run", "dbg2"])).code, 0);
    assert.ok(!Deno.readTextFileSync(quiet).includes('"debug"'), "no debug lines without --debug");
  } finally {
    await b.cleanup();
  }
});

Deno.test("cli: --version is shaped like runc's (version, commit, spec); a bundle knows its commit", async () => {
  const s = scratch();
  try {
    for (const flag of ["--version", "-v"]) {
      const d = await s.drun([flag]);
      assert.equal(d.code, 0);
      assert.match(d.stdout, /^drun version \d+\.\d+\.\d+\ncommit: unknown\nspec: 1\.\d+\.\d+\n$/);
      const r = await s.runc([flag]);
      if (r) assert.match(r.stdout, /^runc version \S+\ncommit: \S+\nspec: \S+\n/);
    }
    const { bundle } = await import("../../scripts/bundle.ts");
    const out = "dist/version-test.js";
    await bundle("cli.ts", out);
    try {
      const head = await exec("git", ["-C", REPO, "rev-parse", "HEAD"]);
      const v = await exec(Deno.execPath(), ["run", "-A", join(REPO, out), "--version"]);
      const want = head.code === 0 ? head.stdout.trim() : "unknown";
      assert.equal(v.stdout.split("\n")[1], `commit: ${want}`);
    } finally {
      Deno.removeSync(join(REPO, out));
    }
  } finally {
    s.cleanup();
  }
});

Deno.test("cli: exit codes as runc's: unknown command 3, failed exec 255, bad usage 1", async () => {
  const s = scratch();
  try {
    oneLine(await same(s, ["frobnicate"], 3), /unknown command \\"frobnicate\\"/);
    oneLine(
      await same(s, ["exec", "nope", "true"], 255),
      /exec failed: (id: )?container nope does not exist/,
    );
    oneLine(
      await same(s, ["--log-format", "xml", "list"], 1),
      /--log-format: must be text or json/,
    );
    oneLine(
      await same(s, ["events", "--interval", "soon", "x"], 1),
      /--interval: invalid duration/,
    );
    await same(s, ["state", "nope"], 1);
    await same(s, ["list"], 0);
  } finally {
    s.cleanup();
  }
});

Deno.test({
  name: "cli: events --stats prints uint64 counters exactly (the v1 no-limit 9223372036854771712)",
  ignore: (() => {
    try {
      return Deno.statSync("/sys/fs/cgroup/memory").isDirectory === false;
    } catch {
      return true;
    }
  })(),
  fn: async () => {
    const b = makeProbeBundle(probeSpec(["sleep", "30"]));
    try {
      assert.equal((await drun(b, ["run", "-d", "--bundle", b.dir, "ev1"])).code, 0);
      const st = JSON.parse(Deno.readTextFileSync(join(b.root, "ev1", "state.json")));
      const limit = Deno.readTextFileSync(join(st.cgroupPaths.memory, "memory.limit_in_bytes"))
        .trim();
      assert.ok(BigInt(limit) > BigInt(Number.MAX_SAFE_INTEGER), `limit ${limit} fits a number`);
      const ev = await drun(b, ["events", "--stats", "ev1"]);
      assert.equal(ev.code, 0, ev.stderr);
      assert.ok(ev.stdout.includes(`"usage":{"limit":${limit},`), ev.stdout);
    } finally {
      await b.cleanup();
    }
  },
});
