/**
 * `deno task bundle`: one self-contained `dist/drun.js` (the CLI, the library and the
 * embedded shared object) that runs with nothing but Deno: `deno run -A dist/drun.js`.
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

/**
 * Bundles entry into outfile; returns its size. The default entry exports the library and
 * the command line's `main` (scripts/bundle_entry.ts).
 */
export async function bundle(
  entry = "scripts/bundle_entry.ts",
  outfile = "dist/drun.js",
): Promise<number> {
  const [cmd, ...pre] = esbuildCommand();
  const out = await new Deno.Command(cmd, {
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
      `--outfile=${join(repo, outfile)}`,
    ],
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (!out.success) throw new Error("esbuild failed");
  return Deno.statSync(join(repo, outfile)).size;
}

if (import.meta.main) {
  const size = await bundle();
  console.log(`dist/drun.js: ${size} bytes`);
}
