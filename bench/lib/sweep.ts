/**
 * Cleans up after a bench that died without cleaning (SIGKILL, a crash): its workspace names
 * its pid; when that process is gone, the container processes still in its cgroups are
 * killed, its cgroups and the intermediate cgroup directories it caused are removed, and the
 * workspace (state roots included) is deleted.
 * @module
 */
import { join } from "node:path";
import { type CgroupInfo, findCgroups, rmdirCgroups } from "./host.ts";
import { CHAIN_FILE, OWNER_FILE, PREFIX } from "./setup.ts";

function benchAlive(pid: number): boolean {
  try {
    return Deno.readTextFileSync(`/proc/${pid}/cmdline`).includes("bench/main.ts");
  } catch {
    return false;
  }
}

/** Removes what dead bench runs left; returns one line per run cleaned. */
export async function sweepStale(info: CgroupInfo): Promise<string[]> {
  const tmp = Deno.env.get("TMPDIR") || "/tmp";
  const done: string[] = [];
  let entries: Deno.DirEntry[] = [];
  try {
    entries = [...Deno.readDirSync(tmp)];
  } catch {
    return done;
  }
  for (const e of entries) {
    if (!e.isDirectory || !e.name.startsWith(PREFIX)) continue;
    const dir = join(tmp, e.name);
    let pid: number;
    try {
      pid = Number(Deno.readTextFileSync(join(dir, OWNER_FILE)).trim());
    } catch {
      continue; // not a workspace of this bench
    }
    if (!(pid > 0) || pid === Deno.pid || benchAlive(pid)) continue;
    const cgroups = findCgroups(info, PREFIX).filter((p) => p.endsWith(`-${pid}`));
    const killed = await killCgroupProcs(cgroups);
    const problems = rmdirCgroups(cgroups);
    try {
      const before = new Set(JSON.parse(Deno.readTextFileSync(join(dir, CHAIN_FILE))) as string[]);
      const all = JSON.parse(
        Deno.readTextFileSync(join(dir, "cgroup-dirs-chain.json")),
      ) as string[];
      problems.push(...rmdirCgroups(all.filter((d) => !before.has(d)), true));
    } catch { /* no record: leave intermediate directories alone */ }
    await Deno.remove(dir, { recursive: true }).catch((err) =>
      problems.push(`${dir}: ${err.message}`)
    );
    done.push(
      `run ${pid}: killed ${killed} container processes, removed ${cgroups.length} cgroups` +
        (problems.length ? `; problems: ${problems.join("; ")}` : ""),
    );
  }
  return done;
}

/**
 * SIGKILLs every process in these cgroups (only ever the bench's own, named with its pid) and
 * waits up to a second for them to leave. Returns how many were signalled.
 */
export async function killCgroupProcs(cgroups: string[]): Promise<number> {
  let killed = 0;
  for (const cg of cgroups) {
    let procs: string[] = [];
    try {
      procs = Deno.readTextFileSync(join(cg, "cgroup.procs")).split("\n").filter(Boolean);
    } catch { /* gone */ }
    for (const p of procs) {
      try {
        Deno.kill(Number(p), "SIGKILL");
        killed++;
      } catch { /* exited */ }
    }
  }
  for (let i = 0; i < 50 && cgroups.some(busy); i++) await new Promise((r) => setTimeout(r, 20));
  return killed;
}

function busy(cg: string): boolean {
  try {
    return Deno.readTextFileSync(join(cg, "cgroup.procs")).trim() !== "";
  } catch {
    return false;
  }
}
