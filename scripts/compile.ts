/**
 * `deno task compile`: a single binary `dist/drun` via `deno compile`. deno compile fetches
 * its runtime base over the network unless DENORT_BIN names a local one; where that host
 * cannot be reached we fail at once with the reason instead of hanging on the download.
 * @module
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const repo = join(dirname(fileURLToPath(import.meta.url)), "..");
const BASE_HOST = "https://dl.deno.land/";

async function reachable(url: string, ms: number): Promise<boolean> {
  try {
    const r = await fetch(url, { method: "HEAD", signal: AbortSignal.timeout(ms) });
    await r.body?.cancel();
    return true;
  } catch {
    return false;
  }
}

if (!Deno.env.get("DENORT_BIN") && !(await reachable(BASE_HOST, 5000))) {
  console.error(
    `deno compile needs its runtime base from ${BASE_HOST} (or a local one in DENORT_BIN), ` +
      `and neither is available here. Use the single-file build instead: deno task bundle ` +
      `&& deno run -A dist/drun.js`,
  );
  Deno.exit(2);
}
const out = await new Deno.Command(Deno.execPath(), {
  args: ["compile", "-A", "--no-check", "--output", join(repo, "dist/drun"), join(repo, "cli.ts")],
  stdout: "inherit",
  stderr: "inherit",
}).output();
Deno.exit(out.code);
