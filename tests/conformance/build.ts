/**
 * Builds the OCI validation suite (opencontainers/runtime-tools, fetched as a Go module from
 * the module proxy at the version go.mod pins) into a cache directory: one executable per
 * validation program plus `runtimetest`, the static checker the programs copy into each
 * container. Nothing of the suite is kept in the repository: go.mod and go.sum here only
 * choose and verify the versions.
 * @module
 */
import { join } from "node:path";

/** The suite, built. */
export interface BuiltSuite {
  /** Directory of the executables (named after their programs, plus `runtimetest`). */
  binDir: string;
  /** The suite module's source directory in the module cache (holds the rootfs tarball). */
  moduleDir: string;
  /** The validation programs, sorted. */
  programs: string[];
  /** Seconds spent downloading and building. */
  seconds: { download: number; build: number };
}

const SUITE = "github.com/opencontainers/runtime-tools";
const HERE = new URL(".", import.meta.url).pathname;

async function go(goBin: string, env: Record<string, string>, args: string[]): Promise<string> {
  const out = await new Deno.Command(goBin, {
    args,
    cwd: HERE,
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  if (!out.success) {
    throw new Error(`go ${args.join(" ")} failed:\n${new TextDecoder().decode(out.stderr)}`);
  }
  return text;
}

/**
 * Downloads (once per cache) and builds the suite.
 * @example
 * ```ts
 * const suite = await buildSuite("/usr/local/go/bin/go", "tests/conformance/.cache");
 * console.log(suite.programs.length, "programs in", suite.binDir);
 * ```
 */
export async function buildSuite(goBin: string, cacheDir: string): Promise<BuiltSuite> {
  const env = {
    GOMODCACHE: join(cacheDir, "mod"),
    GOCACHE: join(cacheDir, "go-build"),
    GOPATH: join(cacheDir, "gopath"),
    // go.mod and go.sum are the whole truth: no edits, no toolchain switching.
    GOFLAGS: "-mod=readonly -modcacherw",
    GOTOOLCHAIN: "local",
  };
  const binDir = join(cacheDir, "bin");
  let t = performance.now();
  const info = JSON.parse(await go(goBin, env, ["mod", "download", "-json", SUITE]));
  await go(goBin, env, ["mod", "download"]);
  const download = (performance.now() - t) / 1000;
  t = performance.now();
  const flags = ["-trimpath", "-ldflags=-s -w", "-o", binDir + "/"];
  await go(goBin, env, ["build", ...flags, `${SUITE}/validation/...`]);
  // runtimetest runs inside the suite's busybox rootfs: static, no libc.
  await go(goBin, { ...env, CGO_ENABLED: "0" }, ["build", ...flags, `${SUITE}/cmd/runtimetest`]);
  const build = (performance.now() - t) / 1000;
  const programs = [...Deno.readDirSync(join(info.Dir, "validation"))]
    .filter((e) => e.isDirectory && e.name !== "util")
    .map((e) => e.name)
    .sort();
  return { binDir, moduleDir: info.Dir, programs, seconds: { download, build } };
}
