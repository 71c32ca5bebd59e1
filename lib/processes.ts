/**
 * Host-side views of a container's processes: its pid namespace members, waiting for the
 * init to go, pid files.
 * @module
 */
import type { ContainerState } from "./state/store.ts";
import { procStartTime } from "./state/store.ts";

/** /proc/<pid>/ns file names per OCI namespace type. */
export const NS_FILES: Record<string, string> = {
  mount: "mnt",
  network: "net",
  pid: "pid",
  ipc: "ipc",
  uts: "uts",
  user: "user",
  cgroup: "cgroup",
  time: "time",
};

/** The processes of a container: its whole pid namespace, or just the init. */
export function containerPids(st: ContainerState): number[] {
  if (!st.ownPidNamespace) return [st.pid];
  let ns: string;
  try {
    ns = Deno.readLinkSync(`/proc/${st.pid}/ns/pid`);
  } catch {
    return [];
  }
  const pids: number[] = [];
  for (const e of Deno.readDirSync("/proc")) {
    const p = Number(e.name);
    if (!Number.isInteger(p) || p <= 0) continue;
    try {
      if (Deno.readLinkSync(`/proc/${p}/ns/pid`) === ns) pids.push(p);
    } catch { /* exited meanwhile */ }
  }
  return pids;
}

export async function waitGone(pid: number, startTime: number, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (procStartTime(pid) === startTime && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 5));
  }
}

export async function writePidFile(path: string, pid: number): Promise<void> {
  const tmp = `${path}.tmp${Deno.pid}`;
  await Deno.writeTextFile(tmp, String(pid));
  await Deno.rename(tmp, path);
}
