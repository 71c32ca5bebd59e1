/**
 * containerd-shim-drun-v2: containerd's shim v2 for runtime type io.containerd.drun.v2.
 *
 * containerd runs `containerd-shim-drun-v2 -namespace N -address A -publish-binary P -id ID
 * start` in the bundle directory. `start` finds the shim of the container's pod (grouped by
 * the CRI sandbox id annotation) or starts one in its own session, and prints its ttrpc
 * address. That shim serves the Task service for every container of the pod, creating
 * them with drun's library in-process. `delete` cleans up after a shim that died.
 * @module
 */
import { join } from "node:path";
import { encode } from "./protobuf.ts";
import { DeleteResponse, timestamp } from "./messages.ts";
import { serveConn } from "./ttrpc.ts";
import { Publisher } from "./events.ts";
import { TaskService } from "./task_service.ts";
import { unmountRootfs } from "./mounts.ts";
import { loadNative, setSubreaper } from "../lib/native/ffi.ts";
import { Runtime } from "../lib/runtime.ts";
import { VERSION } from "../lib/features.ts";

/** The flags containerd passes (Go flag syntax: -name value, -name=value). */
export interface ShimFlags {
  /** containerd namespace. */
  namespace: string;
  /** Task (container) id. */
  id: string;
  /** containerd's grpc address. */
  address: string;
  /** containerd's binary, for publishing (events go over ttrpc here, as in the runc shim). */
  publishBinary: string;
  /** Bundle path (else the cwd). */
  bundle: string;
  /** Socket to serve (the daemon). */
  socket: string;
  /** -debug. */
  debug: boolean;
  /** -v. */
  version: boolean;
  /** start | delete | serve. */
  action: string;
}

const FLAG_NAMES: Record<string, keyof ShimFlags> = {
  namespace: "namespace",
  id: "id",
  address: "address",
  "publish-binary": "publishBinary",
  bundle: "bundle",
  socket: "socket",
};

/**
 * Parses containerd's command line.
 *
 * @example
 * ```ts
 * import { parseFlags } from "./main.ts";
 * const f = parseFlags(["-namespace", "k8s.io", "-id", "c1", "start"]);
 * if (f.namespace !== "k8s.io" || f.action !== "start") throw new Error("flags");
 * ```
 */
export function parseFlags(args: string[]): ShimFlags {
  const f: ShimFlags = {
    namespace: "",
    id: "",
    address: "",
    publishBinary: "containerd",
    bundle: "",
    socket: "",
    debug: false,
    version: false,
    action: "",
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (!a.startsWith("-")) {
      f.action ||= a;
      continue;
    }
    const [name, inline] = a.replace(/^--?/, "").split(/=(.*)/s, 2);
    if (name === "debug") f.debug = inline === undefined || inline === "true";
    else if (name === "v") f.version = true;
    else if (FLAG_NAMES[name]) {
      const v = inline ?? args[++i];
      if (v === undefined) throw new Error(`flag needs an argument: -${name}`);
      (f[FLAG_NAMES[name]] as string) = v;
    } else throw new Error(`flag provided but not defined: -${name}`);
  }
  return f;
}

/** drun's state root for a containerd namespace (as runc's /run/containerd/runc/<ns>). */
export function stateRoot(namespace: string): string {
  return join("/run/containerd/drun", namespace);
}

/** The pod a container belongs to: its CRI sandbox id, else the container itself. */
function grouping(bundle: string, id: string): string {
  try {
    const spec = JSON.parse(Deno.readTextFileSync(join(bundle, "config.json")));
    const a = spec.annotations ?? {};
    return a["io.kubernetes.cri.sandbox-id"] ?? a["io.containerd.drun.v2.group"] ?? id;
  } catch {
    return id;
  }
}

async function socketPath(f: ShimFlags, group: string): Promise<string> {
  const d = await crypto.subtle.digest(
    "SHA-256",
    new TextEncoder().encode(`drun\0${f.address}\0${f.namespace}\0${group}`),
  );
  const hex = [...new Uint8Array(d)].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `/run/containerd/s/${hex}`;
}

async function canConnect(path: string): Promise<boolean> {
  try {
    (await Deno.connect({ transport: "unix", path })).close();
    return true;
  } catch {
    return false;
  }
}

/** `start`: the pod's shim address, starting the shim when the pod has none yet. */
async function start(f: ShimFlags): Promise<void> {
  const bundle = f.bundle || Deno.cwd();
  const path = await socketPath(f, grouping(bundle, f.id));
  const address = `unix://${path}`;
  if (!(await canConnect(path))) {
    await Deno.remove(path).catch(() => {});
    Deno.mkdirSync("/run/containerd/s", { recursive: true, mode: 0o711 });
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "--quiet",
        "--no-config",
        new URL(import.meta.url).pathname,
        "-namespace",
        f.namespace,
        "-id",
        f.id,
        "-address",
        f.address,
        "-socket",
        path,
        ...(f.debug ? ["-debug"] : []),
        "serve",
      ],
      cwd: bundle,
      detached: true,
      stdin: "null",
      stdout: "null",
      // containerd reads start's output to its end: the shim must not hold it.
      stderr: "null",
    }).spawn();
    let gone = false;
    child.status.then(() => gone = true);
    child.unref();
    const until = Date.now() + 20_000;
    while (!(await canConnect(path))) {
      if (gone) throw new Error("the shim exited before it served");
      if (Date.now() > until) throw new Error(`the shim did not listen on ${path}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }
  Deno.writeTextFileSync(join(bundle, "address"), address);
  Deno.stdout.writeSync(new TextEncoder().encode(address));
}

/** `delete`: what is left of a container whose shim is gone, as a DeleteResponse. */
async function cleanup(f: ShimFlags): Promise<void> {
  const bundle = f.bundle || Deno.cwd();
  await loadNative();
  await new Runtime(stateRoot(f.namespace), () => {}).delete(f.id, { force: true })
    .catch(() => {});
  await unmountRootfs(bundle);
  let pid = 0;
  try {
    pid = Number(Deno.readTextFileSync(join(bundle, "init.pid")).trim()) || 0;
  } catch { /* never created */ }
  Deno.stdout.writeSync(
    encode(DeleteResponse, { pid, exitStatus: 128 + 9, exitedAt: timestamp(Date.now()) }),
  );
}

/** The shim itself: serves ttrpc on the socket until containerd shuts it down. */
async function serve(f: ShimFlags): Promise<void> {
  logTo(Deno.env.get("DRUN_SHIM_LOG"));
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
  for (const sig of ["SIGTERM", "SIGINT"] as const) {
    Deno.addSignalListener(sig, () => {
      if (service.size === 0) stop();
    });
  }
  try {
    for await (const conn of listener) serveConn(conn, services);
  } catch { /* closed by stop */ }
}

/** DRUN_SHIM_LOG=path: the shim's warnings and errors appended there (else dropped). */
function logTo(path: string | undefined): void {
  if (!path) return;
  const enc = new TextEncoder();
  console.error = (...a: unknown[]) => {
    const line = `${new Date().toISOString()} ${Deno.pid} ${a.map(String).join(" ")}\n`;
    try {
      Deno.writeFileSync(path, enc.encode(line), { append: true });
    } catch { /* nowhere to report it */ }
  };
}

async function main(args: string[]): Promise<number> {
  let f: ShimFlags;
  try {
    f = parseFlags(args);
  } catch (e) {
    console.error(`containerd-shim-drun-v2: ${(e as Error).message}`);
    return 2;
  }
  if (f.version) {
    console.log(`containerd-shim-drun-v2:\n  Version:  ${VERSION}`);
    return 0;
  }
  if (!f.namespace) {
    console.error("containerd-shim-drun-v2: shim namespace cannot be empty");
    return 1;
  }
  try {
    if (f.action === "start") await start(f);
    else if (f.action === "delete") await cleanup(f);
    else if (f.action === "serve") await serve(f);
    else throw new Error(`unknown action ${JSON.stringify(f.action)}: start, delete or serve`);
    return 0;
  } catch (e) {
    console.error(`containerd-shim-drun-v2: ${(e as Error).message}`);
    return 1;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
