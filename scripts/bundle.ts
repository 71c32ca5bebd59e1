/**
 * `deno task bundle`: one self-contained `dist/drun.js` (the CLI, the library and the
 * embedded shared object) that runs with nothing but Deno: `deno run -A dist/drun.js`; and
 * the same split into an entry and chunks, `dist/split/cli.js`, which starts faster.
 * Uses esbuild from .tools/ (scripts/setup.sh) or PATH, else `npx esbuild`.
 * @module
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const repo = join(dirname(fileURLToPath(import.meta.url)), "..");
const ESBUILD_VERSION = "0.25.0";

function esbuildCommand(): string[] {
  for (const p of [join(repo, ".tools/bin/esbuild")]) {
    try {
      Deno.statSync(p);
      return [p];
    } catch { /* next */ }
  }
  try {
    if (new Deno.Command("esbuild", { args: ["--version"], stdout: "null" }).outputSync().success) {
      return ["esbuild"];
    }
  } catch { /* not on PATH */ }
  return ["npx", "--yes", `esbuild@${ESBUILD_VERSION}`];
}

/** The commit being bundled, for `drun --version` (cli/version.ts); "" outside a git checkout. */
function gitCommit(): string {
  try {
    const out = new Deno.Command("git", { args: ["-C", repo, "rev-parse", "HEAD"], stderr: "null" })
      .outputSync();
    return out.success ? new TextDecoder().decode(out.stdout).trim() : "";
  } catch {
    return "";
  }
}

/** Runs esbuild on entry with drun's bundle flags and `out` (--outfile or --outdir...). */
async function esbuild(entry: string, out: string[], what: string): Promise<void> {
  const [cmd, ...pre] = esbuildCommand();
  const res = await new Deno.Command(cmd, {
    args: [
      ...pre,
      join(repo, entry),
      "--bundle",
      "--format=esm",
      "--platform=neutral",
      "--target=esnext",
      "--external:node:*",
      "--log-level=warning",
      `--define:DRUN_COMMIT=${JSON.stringify(gitCommit())}`,
      ...out,
    ],
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (!res.success) throw new Error(`esbuild failed (${what})`);
}

/**
 * Bundles entry into outfile; returns its size. The default entry exports the library and
 * the command line's `main` (scripts/bundle_entry.ts).
 */
export async function bundle(
  entry = "scripts/bundle_entry.ts",
  outfile = "dist/drun.js",
): Promise<number> {
  await esbuild(entry, [`--outfile=${join(repo, outfile)}`], outfile);
  return Deno.statSync(join(repo, outfile)).size;
}

/**
 * The same CLI as one entry plus chunks (esbuild code splitting) in `outdir`, entry
 * `outdir/cli.js`: a command evaluates and V8 parses only its own chunks, where the single
 * file makes every process parse all of drun (~5 ms of CPU per short command, measured in
 * docs/performance.md), and the chunks' `import()`s are hidden from Deno's preloading
 * ({@link hideChunkImports}). Returns the number of files.
 *
 * @example
 * ```ts ignore
 * await bundleSplit(); // dist/split/cli.js and its chunks
 * ```
 */
export async function bundleSplit(entry = "cli.ts", outdir = "dist/split"): Promise<number> {
  const dir = join(repo, outdir);
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  await esbuild(entry, ["--splitting", `--outdir=${dir}`], outdir);
  const files = [...Deno.readDirSync(dir)].map((e) => join(dir, e.name));
  for (const f of files) Deno.writeTextFileSync(f, hideChunkImports(Deno.readTextFileSync(f)));
  return files.length;
}

/**
 * `import("./chunk.js")` → `import(new URL("./chunk.js", import.meta.url).href)`: the same
 * module at run time, but Deno no longer reads and analyses every chunk a command might load
 * before it starts (it does for every literal specifier): ~2 ms of CPU per `state`.
 *
 * @example
 * ```ts
 * hideChunkImports('import("./run-X.js")'); // 'import(new URL("./run-X.js", import.meta.url).href)'
 * ```
 */
export function hideChunkImports(js: string): string {
  return js.replace(
    /\bimport\("(\.\/[\w.-]+\.js)"\)/g,
    'import(new URL("$1", import.meta.url).href)',
  );
}

if (import.meta.main) {
  const size = await bundle();
  console.log(`dist/drun.js: ${size} bytes`);
  console.log(`dist/split/: ${await bundleSplit()} files (entry cli.js)`);
}
