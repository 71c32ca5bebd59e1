/**
 * What the fuzz test checks each case against: the base config it mutates, the shape of a
 * refusal (one line, starting with its field or flag), what a case left behind (state dirs,
 * mounts, cgroups, processes), and a deadline that turns a hang into a failure.
 * @module
 */
import { join } from "node:path";
import { defaultSpec } from "../../lib/spec/default.ts";
import type { Spec } from "../../lib/spec/types.ts";

/** The base: the default config running busybox `true`, a bind mount inside the bundle. */
export function baseSpec(bundle: string): Spec {
  const spec = defaultSpec({ args: ["/bin/true"] });
  spec.process!.terminal = false;
  spec.hostname = "fuzz";
  spec.mounts!.push({
    destination: "/data",
    type: "bind",
    source: join(bundle, "data"),
    options: ["rbind", "ro"],
  });
  spec.process!.rlimits!.push({ type: "RLIMIT_NPROC", soft: 64, hard: 64 });
  spec.annotations = { "org.example.fuzz": "1" };
  return spec;
}

/** What a refusal must look like: one line that starts with the field or flag it is about. */
export function checkRefusal(message: string, path: string | undefined): string | undefined {
  if (message.includes("\n")) return `more than one line: ${JSON.stringify(message)}`;
  if (!path) return `no field named: ${message}`;
  if (!message.startsWith(`${path}: `)) return `does not start with its field ${path}`;
  const fieldLike = /^(--[a-z-]+|id|config\.json|[A-Za-z]+(\[[^\]]*\]|\.[A-Za-z0-9_]+)*)$/;
  if (!fieldLike.test(path)) return `not a field or flag: ${path}`;
  return undefined;
}

/** This test's own cgroup directory in every v1 hierarchy (and the v2 mount). */
export function ownCgroupDirs(): string[] {
  const dirs = new Set<string>();
  const lines = Deno.readTextFileSync("/proc/self/cgroup").trim().split("\n");
  for (const line of Deno.readTextFileSync("/proc/self/mountinfo").trim().split("\n")) {
    const [left, right] = line.split(" - ");
    const [fstype, , opts] = right.split(" ");
    if (fstype !== "cgroup" && fstype !== "cgroup2") continue;
    const point = left.split(" ")[4];
    const l = lines.find((x) => {
      const [h, ctl] = x.split(":");
      return fstype === "cgroup2" ? h === "0" : ctl.split(",").some((c) => opts.includes(c) && c);
    });
    if (l) dirs.add(join(point, l.split(":")[2]));
  }
  return [...dirs];
}

/** What a case left behind, by kind; empty when it cleaned up. */
export interface Leftovers {
  state: string[];
  mounts: string[];
  cgroups: string[];
  procs: number[];
}

/** Children of this process (any state). */
export function ownChildren(): Set<number> {
  const out = new Set<number>();
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${e.name}/stat`);
      if (Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === Deno.pid) {
        out.add(Number(e.name));
      }
    } catch { /* gone */ }
  }
  return out;
}

/**
 * State dirs under `root`, mounts under `dir`, the cases' cgroups under `cgDirs`, and processes
 * of the case (new children, commands naming `dir`, anything rooted in it) that exist now.
 */
export function leftovers(
  root: string,
  dir: string,
  cgDirs: string[],
  children: Set<number>,
): Leftovers {
  const state: string[] = [];
  try {
    for (const e of Deno.readDirSync(root)) if (e.name !== ".cache") state.push(e.name);
  } catch { /* no root yet */ }
  const mounts = Deno.readTextFileSync("/proc/self/mountinfo").split("\n")
    .filter((l) => l.includes(dir));
  const cgroups: string[] = [];
  for (const d of cgDirs) {
    try {
      for (const e of Deno.readDirSync(d)) {
        if (e.isDirectory && e.name.startsWith("drun-fz")) cgroups.push(join(d, e.name));
      }
    } catch { /* gone */ }
  }
  const procs: number[] = [];
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    const pid = Number(e.name);
    try {
      // Our own children (zombies included) that were not there before the fuzzing began,
      // drun commands naming the temp dir, and anything whose root is the rootfs.
      const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === Deno.pid && !children.has(pid)) procs.push(pid);
      else if (Deno.readTextFileSync(`/proc/${pid}/cmdline`).includes(dir)) procs.push(pid);
      else if (Deno.readLinkSync(`/proc/${pid}/root`).startsWith(dir)) procs.push(pid);
    } catch { /* gone, or not ours to read */ }
  }
  return { state, mounts, cgroups, procs };
}

/** `p`, or a rejection naming `what` once `ms` pass. */
export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`hang: ${what} took over ${ms} ms`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}
