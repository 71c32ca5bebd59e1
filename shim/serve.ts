/**
 * The shim process: serves the Task service over ttrpc on its socket until containerd shuts
 * it down with the last container of its pod.
 * @module
 */
import { serveConn } from "./ttrpc.ts";
import { Publisher } from "./events.ts";
import { TaskService } from "./task_service.ts";
import { OrphanReaper } from "./reaper.ts";
import { loadNative, setSubreaper } from "../lib/native/ffi.ts";
import { type ShimFlags, stateRoot } from "./flags.ts";

/**
 * Serves on `f.socket` (containerd's flags as parsed by parseFlags).
 *
 * @example
 * ```ts ignore
 * import { serve } from "./serve.ts";
 * import { parseFlags } from "./flags.ts";
 * await serve(parseFlags(["-namespace", "default", "-socket", "/run/s.sock", "serve"]));
 * ```
 */
export async function serve(f: ShimFlags): Promise<void> {
  // Started in the first container's bundle, which goes before the pod does.
  Deno.chdir("/");
  await loadNative();
  // Orphans of the containers come back here, and so do inits whose launch forked.
  setSubreaper();
  const events = new Publisher(Deno.env.get("TTRPC_ADDRESS") ?? "", f.namespace);
  const listener = Deno.listen({ transport: "unix", path: f.socket });
  const stop = async () => {
    listener.close();
    await events.close();
    await Deno.remove(f.socket).catch(() => {});
    Deno.exit(0);
  };
  // Shutdown answers first, then the process goes.
  const service = new TaskService(stateRoot(f.namespace), events, () => setTimeout(stop, 20));
  const services = { "containerd.task.v2.Task": service.methods() };
  // With DRUN_SHIM_LOG, every call with its duration (and its error).
  const trace = Deno.env.get("DRUN_SHIM_LOG")
    ? (call: string, ms: number, error?: string) =>
      console.error(`${call} ${ms.toFixed(1)} ms${error ? `: ${error}` : ""}`)
    : undefined;
  new OrphanReaper((pid) => service.tracks(pid)).start();
  // As the runc shim: the containers outlive a shim that is told to go; containerd runs
  // `delete` for what it leaves.
  for (const sig of ["SIGTERM", "SIGINT"] as const) Deno.addSignalListener(sig, stop);
  try {
    for await (const conn of listener) serveConn(conn, services, trace);
  } catch { /* closed by stop */ }
}
