/**
 * Shared by the engine suites (podman, containerd): running commands with a deadline
 * (commands.ts), a private cgroup subtree under this process's own cgroup (cgroup_scope.ts), a
 * busybox image as a rootfs tarball and as an OCI image layout (images.ts), a pty driver for
 * interactive sessions, and running each scenario under runc and drun, compared.
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { DOCKER_PROFILE, REPO } from "../helpers.ts";
import { must, type Result, until } from "./commands.ts";

// The suites and bench/cases/engines.ts take all of it from here, whichever module holds it.
export { must, type Result, sh, until } from "./commands.ts";
export { CgroupScope, cgroupsOf, killMentioning } from "./cgroup_scope.ts";
export { busyboxTarball, ociImageTarball } from "./images.ts";
export { REPO };

/** scripts/setup_clients.sh. */
export const SETUP = join(REPO, "scripts/setup_clients.sh");
/** The wrapper engines use as their runtime binary. */
export const WRAPPER = join(REPO, "bin/drun");
/** The seccomp profile both runtimes get. */
export const PROFILE = DOCKER_PROFILE;

/** Installs the engines from Debian when missing (never skips: the suite needs them). */
export async function ensureClients(): Promise<void> {
  await must(["bash", SETUP, "install"], { timeoutMs: 600_000 });
}

/** Quotes words for `sh -c`. */
function shellJoin(words: string[]): string {
  return words.map((w) => /^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replaceAll("'", `'\\''`)}'`)
    .join(" ");
}

/**
 * Runs cmd under a pty (script(1)) as a person would: waits for the shell prompt, types
 * `input`, and returns the exit code and the screen text without carriage returns and
 * escape sequences.
 */
export async function ptySession(
  cmd: string[],
  input: string,
  opts: { prompt?: RegExp; timeoutMs?: number } = {},
): Promise<Result> {
  const child = new Deno.Command("script", {
    args: ["-qefc", shellJoin(cmd), "/dev/null"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
  }, opts.timeoutMs ?? 30_000);
  let screen = "";
  const dec = new TextDecoder();
  const reading = (async () => {
    for await (const chunk of child.stdout) screen += dec.decode(chunk, { stream: true });
  })();
  const stderr = new Response(child.stderr).text();
  const w = child.stdin.getWriter();
  const prompt = opts.prompt ?? /# $/m;
  await until(() => Promise.resolve(prompt.test(plain(screen))), (opts.timeoutMs ?? 30_000) / 2);
  await w.write(new TextEncoder().encode(input)).catch(() => {});
  const status = await child.status;
  clearTimeout(timer);
  await w.close().catch(() => {});
  await reading;
  return {
    code: status.signal === "SIGKILL" ? 124 : status.code,
    stdout: plain(screen),
    stderr: await stderr,
  };
}

/** Terminal output without escape sequences and carriage returns. */
function plain(screen: string): string {
  // deno-lint-ignore no-control-regex
  return screen.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "").replaceAll("\r", "");
}

/** Replaces every occurrence of each key by its value (runtime names, ids). */
export function normalize(text: string, subs: Record<string, string>): string {
  let t = text;
  for (const [k, v] of Object.entries(subs)) t = t.replaceAll(k, v);
  return t.replace(/\b[0-9a-f]{64}\b/g, "<id>");
}

/** One engine scenario: run under runc and under drun, compared. */
export interface Scenario<C> {
  /** What it shows. */
  name: string;
  /** What runc's transcript must look like (so a broken setup is not "the same"). */
  expect?: RegExp;
  /** Set while drun differs from runc here: why, and what drun needs. */
  knownGap?: string;
  /** Runs it under one runtime and returns a normalised transcript. */
  run(ctx: C, runtime: "drun" | "runc"): Promise<string>;
}

/**
 * Runs every scenario as a test step under runc and then drun and asserts the transcripts
 * are equal; a scenario with `knownGap` is reported instead of asserted.
 */
export async function compareScenarios<C>(
  t: Deno.TestContext,
  scenarios: Scenario<C>[],
  ctx: C,
): Promise<void> {
  const gaps: string[] = [];
  for (const s of scenarios) {
    await t.step(s.name, async () => {
      const runc = await s.run(ctx, "runc");
      const drun = await s.run(ctx, "drun");
      if (Deno.env.get("DRUN_CLIENTS_VERBOSE")) console.log(`${s.name}\n${runc}`);
      if (s.expect) assert.match(runc, s.expect, `${s.name}: runc itself did not behave`);
      if (s.knownGap) {
        const same = runc === drun;
        gaps.push(
          `${s.name}: ${same ? "now matches runc (remove knownGap)" : s.knownGap}` +
            (same ? "" : `\n  runc: ${runc}\n  drun: ${drun}`),
        );
        return;
      }
      assert.equal(drun, runc, `${s.name}: drun differs from runc`);
    });
  }
  if (gaps.length) console.log(`known gaps (not failures):\n${gaps.join("\n")}`);
}
