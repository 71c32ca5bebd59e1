/**
 * The end-to-end files need root; run as another user, tests/e2e/needs_root.ts turns each of
 * their tests into an ignored one and prints one line saying why. Checked by running one e2e
 * file as uid 65534 (`nobody`) from a copy of its module graph that this uid may read, with its
 * own DENO_DIR, so neither the checkout's permissions nor root's cache matter.
 */
import assert from "node:assert/strict";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { denoForOthers, outputUntilExit, REPO } from "../helpers.ts";

const NOBODY = 65534;
const FILE = "tests/e2e/lifecycle_test.ts";

/** Copies the local modules `file` loads (itself included) to the same paths under `dest`. */
async function copyGraph(file: string, dest: string): Promise<void> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", join(REPO, file)],
    cwd: REPO,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  const info = JSON.parse(new TextDecoder().decode(out.stdout));
  for (const m of info.modules as { specifier: string }[]) {
    if (m.specifier.startsWith("node:")) continue;
    assert.ok(m.specifier.startsWith("file:"), `${file} must need nothing remote: ${m.specifier}`);
    const rel = relative(REPO, fileURLToPath(m.specifier));
    Deno.mkdirSync(dirname(join(dest, rel)), { recursive: true });
    Deno.copyFileSync(join(REPO, rel), join(dest, rel));
  }
}

Deno.test({
  name: "e2e files run as a non-root user: every test ignored, one line naming the file",
  // Switching to nobody needs root; as root, which is how the suite runs, this always runs.
  ignore: Deno.uid() !== 0,
  async fn() {
    const base = Deno.makeTempDirSync({ prefix: "drun-needs-root-" });
    try {
      Deno.chmodSync(base, 0o755);
      const repo = join(base, "repo");
      await copyGraph(FILE, repo);
      const denoDir = join(base, "deno-dir");
      Deno.mkdirSync(denoDir);
      Deno.chownSync(denoDir, NOBODY, NOBODY);
      const ids = ["--reuid", String(NOBODY), "--regid", String(NOBODY), "--clear-groups"];
      const deno = denoForOthers(base);
      const flags = ["-A", "--no-check", "--no-config", "--no-lock", "--no-remote"];
      const child = new Deno.Command("setpriv", {
        args: [...ids, "--", deno, "test", ...flags, FILE],
        cwd: repo,
        clearEnv: true,
        env: {
          PATH: "/usr/sbin:/usr/bin:/sbin:/bin",
          HOME: denoDir,
          DENO_DIR: denoDir,
          DENO_NO_UPDATE_CHECK: "1",
          NO_COLOR: "1",
        },
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const r = await outputUntilExit(child);
      const all = `${r.stdout}\n${r.stderr}`;
      assert.equal(r.code, 0, all);
      assert.match(r.stdout, new RegExp(`^${FILE}: skipped, needs root \\(run as root\\)$`, "m"));
      assert.match(r.stdout, /^lifecycle: .* \(needs root\) \.\.\. ignored/m, all);
      const summary = /ok \| 0 passed \| 0 failed \| (\d+) ignored/.exec(r.stdout);
      assert.ok(summary && Number(summary[1]) > 0, all);
    } finally {
      Deno.removeSync(base, { recursive: true });
    }
  },
});
