/**
 * `deno task test:conformance`: the OCI runtime-tools validation suite against drun.
 *
 *   deno run -A tests/conformance/main.ts [--runtime drun|runc] [--only a,b] [--timeout 120]
 *
 * Builds the suite with Go (scripts/setup_go.sh finds or installs it), runs every validation
 * program inside a cgroup sandbox, and compares each with expected.json; an unexpected
 * failure or an unexpected pass makes it exit 1. Needs root, like the runtimes it drives.
 * @module
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import { buildSuite } from "./build.ts";
import type { RuntimeName } from "./expected.ts";
import type { RunPlan } from "./run_programs.ts";
import { makeSandbox } from "./sandbox.ts";

const HERE = new URL(".", import.meta.url).pathname;
const REPO = join(HERE, "..", "..");

/** How each runtime the table knows is started (`--root` is added by the wrapper). */
const RUNTIMES: Record<RuntimeName, string[]> = {
  drun: [join(REPO, "bin", "drun")],
  runc: ["runc"],
};

async function findGo(): Promise<string> {
  const out = await new Deno.Command("bash", {
    args: [join(REPO, "scripts", "setup_go.sh")],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  if (!out.success) throw new Error("scripts/setup_go.sh failed");
  return new TextDecoder().decode(out.stdout).trim();
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      runtime: { type: "string", default: "drun" },
      only: { type: "string" },
      timeout: { type: "string", default: "120" },
    },
  });
  const runtime = values.runtime as RuntimeName;
  if (!(runtime in RUNTIMES)) {
    console.error(`--runtime: must be one of ${Object.keys(RUNTIMES).join(", ")}`);
    return 2;
  }
  if (Deno.uid() !== 0) {
    console.error("test:conformance: must run as root (the suite creates containers)");
    return 2;
  }
  const cache = join(HERE, ".cache");
  const suite = await buildSuite(await findGo(), cache);
  console.log(
    `# built ${suite.programs.length} validation programs ` +
      `(module download ${suite.seconds.download.toFixed(1)}s, ` +
      `build ${suite.seconds.build.toFixed(1)}s)`,
  );
  let programs = suite.programs;
  if (values.only) {
    const want = values.only.split(",");
    const unknown = want.filter((p) => !programs.includes(p));
    if (unknown.length) {
      console.error(`--only: unknown program ${unknown.join(", ")}`);
      return 2;
    }
    programs = want;
  }
  const plan: RunPlan = {
    runtime,
    runtimeArgv: RUNTIMES[runtime],
    binDir: suite.binDir,
    moduleDir: suite.moduleDir,
    programs,
    timeout: Number(values.timeout),
    logDir: join(cache, "logs", runtime),
  };
  const sandbox = makeSandbox(`drun-conformance-${Deno.pid}`);
  // Interrupted (Ctrl-C, a CI timeout): still kill what the suite left and remove the cgroups.
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(sig, async () => {
      await sandbox.remove();
      Deno.exit(130);
    });
  }
  try {
    const argv = sandbox.command([
      Deno.execPath(),
      "run",
      "-A",
      join(HERE, "run_programs.ts"),
      JSON.stringify(plan),
    ]);
    const { code } = await new Deno.Command(argv[0], {
      args: argv.slice(1),
      stdin: "null",
      stdout: "inherit",
      stderr: "inherit",
    })
      .output();
    return code;
  } finally {
    await sandbox.remove();
  }
}

if (import.meta.main) Deno.exit(await main());
