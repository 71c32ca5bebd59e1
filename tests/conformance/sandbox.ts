/**
 * A cgroup sandbox for the validation suite. The suite puts containers at an absolute
 * cgroupsPath ("/cgrouptest"), which on the host would be the root of every hierarchy, out of
 * the cgroup tree this machine keeps its processes in. So the suite runs in a child cgroup of
 * our own in every hierarchy, inside a cgroup namespace rooted there, with the hierarchies
 * mounted afresh in a private mount namespace (enter_sandbox.sh): "/" is then the sandbox.
 * @module
 */
import { join } from "node:path";
import {
  parseCgroupMounts,
  parseProcCgroup,
  procsRecursive,
  removeCgroupTree,
} from "../../lib/cgroup/fs.ts";

/** The sandbox's cgroup directories, one per mounted hierarchy. */
export interface Sandbox {
  /** Directories made (each a child of this process's own cgroup). */
  dirs: string[];
  /** The command line that runs argv inside the sandbox. */
  command(argv: string[]): string[];
  /** Kills what is left inside (processes the suite started) and removes the directories. */
  remove(): Promise<void>;
}

const ENTER = new URL("./enter_sandbox.sh", import.meta.url).pathname;

/**
 * Makes the sandbox cgroups `<own cgroup>/<name>` in every hierarchy.
 * @example
 * ```ts
 * const sb = makeSandbox(`drun-conformance-${Deno.pid}`);
 * try {
 *   await new Deno.Command(sb.command(["cat", "/proc/self/cgroup"])[0]).output();
 * } finally {
 *   await sb.remove();
 * }
 * ```
 */
export function makeSandbox(name: string): Sandbox {
  const own = parseProcCgroup(Deno.readTextFileSync("/proc/self/cgroup"));
  const mounts = parseCgroupMounts(Deno.readTextFileSync("/proc/self/mountinfo"));
  const dirs: string[] = [];
  const sandbox: Sandbox = {
    dirs,
    command: (argv) => ["sh", ENTER, ...dirs, "--", ...argv],
    async remove() {
      for (const dir of dirs) {
        for (const pid of procsRecursive(dir)) {
          try {
            Deno.kill(pid, "SIGKILL");
          } catch { /* already gone */ }
        }
      }
      await new Promise((r) => setTimeout(r, 100));
      for (const dir of dirs) removeCgroupTree(dir, 5000);
    },
  };
  try {
    for (const m of mounts) {
      const line = m.fsType === "cgroup2"
        ? own.find((l) => l.hierarchy === 0)
        : own.find((l) =>
          l.controllers.length > 0 &&
          l.controllers.every((c) => m.superOptions.includes(c))
        );
      if (!line) continue;
      // The mount may itself show a sub-tree (a bind or a namespace): strip its root.
      const rel = m.root === "/" ? line.path : line.path.slice(m.root.length);
      const dir = join(m.mountPoint, rel, name);
      Deno.mkdirSync(dir);
      dirs.push(dir);
      // A new cpuset cgroup has no CPUs and no memory nodes; nothing can join it until set.
      if (m.superOptions.includes("cpuset")) {
        for (const f of ["cpuset.cpus", "cpuset.mems"]) {
          Deno.writeTextFileSync(join(dir, f), Deno.readTextFileSync(join(dir, "..", f)));
        }
      }
    }
  } catch (e) {
    for (const dir of dirs) removeCgroupTree(dir);
    throw e;
  }
  return sandbox;
}
