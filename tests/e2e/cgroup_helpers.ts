/**
 * What the cgroup suites share: this process's own v1 cgroup directories, finding and
 * removing what a container left under them, a container's recorded cgroup paths, and a
 * bundle whose containers and cgroups are removed afterwards.
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { type Bundle, drun, makeProbeBundle, probeSpec } from "../helpers.ts";
import type { Spec } from "../../lib/spec/types.ts";

/** Bytes in a MiB. */
export const MiB = 1024 * 1024;
/** Whether the host is cgroup v2 only: these suites are for a v1 or hybrid layout. */
export const HOST_V2 = (() => {
  try {
    Deno.statSync("/sys/fs/cgroup/cgroup.controllers");
    return true;
  } catch {
    return false;
  }
})();

/** This process's own cgroup directory in each mounted v1 hierarchy (controller → dir). */
export function ownDirs(): Record<string, string> {
  const own: Record<string, string> = {};
  const lines = Deno.readTextFileSync("/proc/self/cgroup").trim().split("\n");
  for (const line of Deno.readTextFileSync("/proc/self/mountinfo").trim().split("\n")) {
    const [left, right] = line.split(" - ");
    const [fstype, , opts] = right.split(" ");
    if (fstype !== "cgroup") continue;
    const mountPoint = left.split(" ")[4];
    for (const c of opts.split(",")) {
      const l = lines.find((x) => x.split(":")[1].split(",").includes(c));
      if (l && !c.startsWith("name=") && !["rw", "ro", "relatime"].includes(c)) {
        own[c] = join(mountPoint, l.split(":")[2]);
      }
    }
  }
  return own;
}

/** Distinct directories named `name` under our own cgroups that exist now. */
export function existing(name: string): string[] {
  const out = new Set<string>();
  for (const d of Object.values(ownDirs())) {
    try {
      Deno.statSync(join(d, name));
      out.add(join(d, name));
    } catch { /* absent */ }
  }
  return [...out];
}

/** rmdir (depth first) whatever a failed test left under our own cgroups named `name`. */
export function removeLeftovers(name: string): void {
  const rm = (d: string) => {
    for (const e of Deno.readDirSync(d)) if (e.isDirectory) rm(join(d, e.name));
    Deno.removeSync(d);
  };
  for (const d of existing(name)) {
    try {
      rm(d);
    } catch (e) {
      console.error(`could not remove leftover cgroup ${d}: ${e}`);
    }
  }
}

/** The container's recorded pid and cgroup paths, from its state file. */
export function stateOf(b: Bundle, id: string) {
  return JSON.parse(Deno.readTextFileSync(join(b.root, id, "state.json"))) as {
    pid: number;
    cgroupPaths: Record<string, string>;
  };
}

/** The distinct cgroup directories in recorded cgroup paths (without the bookkeeping key). */
export function cgroupDirsOf(paths: Record<string, string>): string[] {
  return [...new Set(Object.entries(paths).filter(([k]) => k !== "drun.created").map((e) => e[1]))];
}

/** Asserts none of `dirs` exists any more. */
export function assertGone(dirs: string[]) {
  for (const d of dirs) {
    let exists = true;
    try {
      Deno.statSync(d);
    } catch {
      exists = false;
    }
    assert.ok(!exists, `cgroup ${d} was left behind`);
  }
}

/** The container's status, as `drun state` reports it. */
export async function status(b: Bundle, id: string): Promise<string> {
  const r = await drun(b, ["state", id]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout).status;
}

/** A probe spec running `args` with `res` merged into its linux section. */
export function withResources(args: string[], res: Partial<NonNullable<Spec["linux"]>>): Spec {
  const spec = probeSpec(args);
  spec.linux = { ...spec.linux, ...res };
  return spec;
}

/** Runs fn with a bundle, deleting the containers and any leftover cgroups afterwards. */
export async function withBundle(
  spec: Spec,
  ids: string[],
  fn: (b: Bundle) => Promise<void>,
): Promise<void> {
  const b = makeProbeBundle(spec);
  try {
    await fn(b);
  } finally {
    await b.cleanup();
    for (const id of ids) removeLeftovers(`drun-${id}`);
  }
}

/** Test options: skipped on a v2-only host; containers outlive single ops. */
export const opts = { ignore: HOST_V2, sanitizeResources: false, sanitizeOps: false };
