/**
 * Host-side views of a container's processes: its pid namespace members, waiting for the
 * init to go, pid files.
 * @module
 */
import { basename, dirname, join } from "./path.ts";
import { ArgError } from "./errors.ts";
import type { ContainerState } from "./state/store.ts";
import { procStartTime } from "./state/store.ts";

/** /proc/<pid>/ns file names per OCI namespace type. */
export { NS_FILES } from "./linux/namespaces.ts";

/** The processes of a container: its whole pid namespace, or just the init. */
export function containerPids(st: ContainerState): number[] {
  // pid 0 is a container whose init never existed: kill(0) would hit our own group.
  if (!(st.pid > 0)) return [];
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

/**
 * Writes `pid` to `path` the way runc does: into a new file beside it (created exclusively,
 * so neither a planted symlink nor an existing file there is ever written through) that is
 * then renamed over `path` (rename replaces a symlink at `path` instead of following it).
 * The directory may belong to someone else; nothing outside it is touched.
 *
 * @example
 * ```ts
 * await writePidFile("/run/app/c1.pid", 4242);
 * ```
 */
export async function writePidFile(path: string, pid: number): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${crypto.randomUUID().slice(0, 8)}`);
  try {
    await Deno.writeTextFile(tmp, String(pid), { createNew: true, mode: 0o644 });
    try {
      await Deno.rename(tmp, path);
    } catch (e) {
      await Deno.remove(tmp).catch(() => {});
      throw e;
    }
  } catch (e) {
    const why = (e instanceof Error ? e.message : String(e)).replace(/\s*\n\s*/g, " ");
    throw new ArgError(`cannot write ${path}: ${why}`, "--pid-file");
  }
}

/**
 * Refuses `--preserve-fds N` unless fds 3 .. 3+N-1 are all open in this process, as runc
 * does: the container would otherwise get whatever the runtime itself opened there, and an
 * absurd N (`--preserve-fds 99999999999`) is caught at the first hole instead of being
 * handed to the kernel.
 *
 * @example
 * ```ts
 * checkPreservedFds(0); // always fine
 * checkPreservedFds(1e12); // throws "--preserve-fds: fd ... is not open"
 * ```
 */
export function checkPreservedFds(n: number): void {
  if (n === 0) return;
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new ArgError("must be a non-negative integer", "--preserve-fds");
  }
  const open = new Set<number>();
  try {
    for (const e of Deno.readDirSync("/proc/self/fd")) open.add(Number(e.name));
  } catch {
    return; // no /proc: nothing to check against, as before
  }
  // At most one more round than there are open fds: the loop ends at the first hole.
  for (let fd = 3; fd < 3 + n; fd++) {
    if (!open.has(fd)) {
      throw new ArgError(`fd ${fd} is not open (${n} fds from 3 asked for)`, "--preserve-fds");
    }
  }
}
