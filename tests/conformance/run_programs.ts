/**
 * Runs the built validation programs one by one against a runtime and compares each with the
 * table of expected results, printing one TAP line per program and a closing summary line.
 * main.ts starts this inside the cgroup sandbox; its one argument is a JSON {@link RunPlan}.
 * Exit status: 0 when every program did what the table expects, 1 otherwise.
 * @module
 */
import { join } from "node:path";
import { parseMountPoints } from "./mounts.ts";
import { causesOf, compare, loadTable, type RuntimeName } from "./expected.ts";
import { outcome } from "./tap.ts";

/** What to run, as main.ts passes it. */
export interface RunPlan {
  /** Which runtime, by its row name in the table. */
  runtime: RuntimeName;
  /** The runtime's command line, before the `--root DIR` the wrapper adds. */
  runtimeArgv: string[];
  /** Directory of the built programs and runtimetest. */
  binDir: string;
  /** The suite module's directory (holds rootfs-amd64.tar.gz). */
  moduleDir: string;
  /** Programs to run, in order. */
  programs: string[];
  /** Per-program timeout in seconds. */
  timeout: number;
  /** Where each program's stdout/stderr and the results summary are written. */
  logDir: string;
}

const TABLE = new URL("./expected.json", import.meta.url);

function sh(q: string): string {
  return `'${q.replaceAll("'", `'\\''`)}'`;
}

async function run(argv: string[], cwd: string, env: Record<string, string>): Promise<number> {
  const { code } = await new Deno.Command(argv[0], {
    args: argv.slice(1),
    cwd,
    env,
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).output();
  return code;
}

/**
 * Removes a program's directory. A container without its own mount namespace mounts /proc
 * and /dev of its rootfs in ours (the sandbox's private one), and they stay after it is
 * deleted: unmount whatever is below dir first, deepest first.
 */
async function removeProgramDir(dir: string): Promise<void> {
  const below = parseMountPoints(Deno.readTextFileSync("/proc/self/mountinfo"))
    .filter((m) => m.startsWith(dir + "/"))
    .sort((a, b) => b.length - a.length);
  for (const m of below) await run(["umount", "-l", m], "/", {});
  try {
    Deno.removeSync(dir, { recursive: true });
  } catch (e) {
    console.log(`  # could not remove ${dir}: ${e instanceof Error ? e.message : e}`);
  }
}

/** The last lines of a file, indented as a TAP diagnostic. */
function tail(path: string, lines = 12): string {
  let text = "";
  try {
    text = Deno.readTextFileSync(path);
  } catch { /* nothing written */ }
  return text.trimEnd().split("\n").slice(-lines).map((l) => `  # ${l}`).join("\n");
}

async function main(plan: RunPlan): Promise<number> {
  const table = loadTable(TABLE);
  const work = Deno.makeTempDirSync({ prefix: "drun-conformance-" });
  // The bundles live below: a user-namespaced root (an unprivileged uid on the host) must be
  // able to reach them, as under /tmp when the suite is run by hand.
  Deno.chmodSync(work, 0o755);
  Deno.mkdirSync(plan.logDir, { recursive: true });
  // The programs look for runtimetest and the rootfs tarball in their working directory;
  // runtimetest is copied, as the suite copies a symlink as a symlink into the rootfs.
  Deno.copyFileSync(join(plan.binDir, "runtimetest"), join(work, "runtimetest"));
  Deno.symlinkSync(join(plan.moduleDir, "rootfs-amd64.tar.gz"), join(work, "rootfs-amd64.tar.gz"));
  // Every program gets its own state root, so leftovers are found and removed by listing it.
  const wrapper = join(work, "runtime");
  Deno.writeTextFileSync(
    wrapper,
    `#!/bin/sh\nexec ${plan.runtimeArgv.map(sh).join(" ")} --root "$CONFORMANCE_STATE" "$@"\n`,
  );
  Deno.chmodSync(wrapper, 0o755);

  // Failures and exit codes by program, for writing and checking the table by hand.
  const results: Record<string, { failures: string[]; code: number }> = {};
  let unexpected = 0, clean = 0, expectedOnly = 0;
  console.log("TAP version 13");
  console.log(`1..${plan.programs.length}`);
  for (const [i, program] of plan.programs.entries()) {
    const dir = join(work, program);
    const state = join(dir, "state");
    const tmp = join(dir, "tmp");
    Deno.mkdirSync(state, { recursive: true });
    Deno.mkdirSync(tmp, { recursive: true });
    const out = join(plan.logDir, `${program}.out`);
    const err = join(plan.logDir, `${program}.err`);
    const started = performance.now();
    // timeout(1) runs the program in its own process group and kills the whole group.
    const code = await run(
      [
        "sh",
        "-c",
        `exec timeout -k 10 ${plan.timeout} ${sh(join(plan.binDir, program))} >${sh(out)} 2>${
          sh(err)
        }`,
      ],
      work,
      { RUNTIME: wrapper, CONFORMANCE_STATE: state, TMPDIR: tmp },
    );
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    for (const e of Deno.readDirSync(state)) {
      await run([wrapper, "delete", "--force", e.name], work, { CONFORMANCE_STATE: state });
    }
    await removeProgramDir(dir);

    const o = outcome({
      code,
      timedOut: code === 124 || code === 137,
      stdout: Deno.readTextFileSync(out),
    });
    results[program] = { failures: o.failures, code };
    const row = table.programs[program]?.[plan.runtime];
    const n = i + 1;
    if (!row) {
      unexpected++;
      console.log(`not ok ${n} - ${program} # not in expected.json for ${plan.runtime}`);
      for (const f of o.failures) console.log(`  # failed: ${f}`);
      continue;
    }
    const v = compare(row, o.failures);
    if (v.unexpected.length === 0 && v.missing.length === 0) {
      const causes = [...new Set(Object.values(row).flatMap(causesOf))];
      if (causes.length === 0) clean++;
      else expectedOnly++;
      const note = causes.length ? ` # expected failures: ${causes.join(", ")}` : "";
      console.log(`ok ${n} - ${program} (${o.passed} passed, ${seconds}s)${note}`);
      continue;
    }
    unexpected++;
    console.log(`not ok ${n} - ${program} (${seconds}s)`);
    for (const f of v.unexpected) console.log(`  # unexpected failure: ${f}`);
    for (const f of v.missing) {
      console.log(`  # unexpected pass: ${f} (expected: ${causesOf(row[f]).join(", ")})`);
    }
    // The runtime's own error line is usually what explains an unexpected failure.
    if (v.unexpected.length) console.log(tail(err, 6));
    console.log(`  # logs: ${out} ${err}`);
  }
  Deno.writeTextFileSync(join(plan.logDir, "results.json"), JSON.stringify(results, null, 1));
  await removeProgramDir(work);
  console.log(
    `conformance (${plan.runtime}): ${plan.programs.length} programs, ${clean} pass, ` +
      `${expectedOnly} fail only as expected, ${unexpected} unexpected`,
  );
  return unexpected === 0 ? 0 : 1;
}

if (import.meta.main) Deno.exit(await main(JSON.parse(Deno.args[0]) as RunPlan));
