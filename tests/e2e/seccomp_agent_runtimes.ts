/**
 * Running one probe bundle with drun, runc or crun, for the suites that check an agent serves
 * every runtime's containers alike: each runtime's argv, a bundle all three take, and `run`
 * or `run -d` + `exec` that leave no state and no cgroup behind.
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { type Bundle, CLI, type CliResult, drun, makeProbeBundle } from "../helpers.ts";
import type { Spec } from "../../lib/spec/types.ts";
import {
  baseChain,
  cgroupInfo,
  crunWrapper,
  existing,
  rmdirCgroups,
} from "../../bench/lib/host.ts";

/** A runtime a container can be run with: drun, or Debian's runc or crun. */
export type RuntimeName = "drun" | "runc" | "crun";
/** Every runtime, drun first. */
export const RUNTIMES: RuntimeName[] = ["drun", "runc", "crun"];

/** Where runc and crun may put cgroups: below this process's own, as the bench does. */
const CGROUPS = cgroupInfo();

/** The argv of `rt ARGS` with its state under `root` (crun as the bench runs it). */
function runtimeArgv(rt: RuntimeName, root: string, args: string[]): string[] {
  if (rt === "drun") return [Deno.execPath(), "run", "-A", CLI, "--root", root, ...args];
  const bin = rt === "runc" ? "/usr/sbin/runc" : "/usr/bin/crun";
  try {
    Deno.statSync(bin);
  } catch {
    throw new Error(`${bin} is missing: scripts/setup.sh --test-deps installs it`);
  }
  const wrap = rt === "crun" ? crunWrapper(CGROUPS) : [];
  return [...wrap, bin, "--root", root, ...args];
}

/**
 * Runs `rt ARGS` in the bundle. `quiet` gives it no pipes, for `run -d`: the container keeps
 * the runtime's stdio, and pipes would stay open as long as it runs.
 */
async function runtimeCommand(
  rt: RuntimeName,
  b: Bundle,
  args: string[],
  quiet = false,
): Promise<CliResult> {
  const argv = runtimeArgv(rt, join(b.dir, `state-${rt}`), args);
  const out = await new Deno.Command(argv[0], {
    args: argv.slice(1),
    cwd: b.dir,
    stdin: "null",
    stdout: quiet ? "null" : "piped",
    stderr: quiet ? "null" : "piped",
  }).output();
  if (quiet) return { code: out.code, stdout: "", stderr: "" };
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/**
 * A probe bundle every runtime takes: ociVersion 1.0.2 (crun 1.8 refuses 1.2.0), the rootfs
 * by absolute path, and for runc and crun a cgroup below this process's own (crun would
 * otherwise make one at each hierarchy's root).
 */
export function portableBundle(rt: RuntimeName, spec: Spec, id: string): Bundle {
  const b = makeProbeBundle(spec);
  const s = structuredClone(spec);
  s.ociVersion = "1.0.2";
  s.root = { ...s.root, path: b.rootfs };
  if (rt !== "drun") s.linux = { ...s.linux, cgroupsPath: `${CGROUPS.base}/${id}` };
  b.write(s);
  return b;
}

/**
 * `rt run` of `id` in the bundle; afterwards nothing of it is left: its state (delete --force)
 * and the cgroup directories runc or crun made between the hierarchies' roots and ours.
 */
export async function runWith(rt: RuntimeName, b: Bundle, id: string): Promise<CliResult> {
  const chain = baseChain(CGROUPS);
  const before = existing(chain);
  try {
    return rt === "drun"
      ? await drun(b, ["run", "--bundle", b.dir, id])
      : await runtimeCommand(rt, b, ["run", "--bundle", b.dir, id]);
  } finally {
    if (rt !== "drun") {
      await runtimeCommand(rt, b, ["delete", "--force", id]);
      rmdirCgroups(chain.filter((d) => !before.has(d)), true);
    }
  }
}

/** Like {@link runWith}, but `run -d`, then `exec` of `args`, then `kill` and `delete`. */
export async function execWith(
  rt: RuntimeName,
  b: Bundle,
  id: string,
  args: string[],
): Promise<{ init: number; exec: CliResult }> {
  const chain = baseChain(CGROUPS);
  const before = existing(chain);
  const cmd = (a: string[], quiet = false) =>
    rt === "drun" ? drun(b, a) : runtimeCommand(rt, b, a, quiet);
  try {
    const d = await cmd(["run", "-d", "--bundle", b.dir, id], true);
    assert.equal(d.code, 0, `${rt} run -d: ${d.stderr}`);
    const st = await cmd(["state", id]);
    assert.equal(st.code, 0, `${rt} state: ${st.stderr}`);
    const exec = await cmd(["exec", id, ...args]);
    return { init: JSON.parse(st.stdout).pid, exec };
  } finally {
    await cmd(["kill", id, "KILL"]);
    for (let i = 0; i < 50; i++) {
      if ((await cmd(["delete", "--force", id])).code === 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    if (rt !== "drun") rmdirCgroups(chain.filter((d) => !before.has(d)), true);
  }
}
