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
import { isMountPoint, unmountRootfs } from "./mounts.ts";
import { parseFlags, type ShimFlags, stateRoot } from "./flags.ts";

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

/**
 * `delete`: what is left of a container whose shim is gone, as a DeleteResponse. containerd
 * also runs it after every orderly shutdown and waits for it, so when nothing is left it
 * returns without loading the runtime.
 */
async function cleanup(f: ShimFlags): Promise<void> {
  const bundle = f.bundle || Deno.cwd();
  if (exists(join(stateRoot(f.namespace), f.id))) {
    const { Runtime } = await import("../lib/runtime.ts");
    await new Runtime(stateRoot(f.namespace), () => {}).delete(f.id, { force: true })
      .catch(() => {});
  }
  if (isMountPoint(join(bundle, "rootfs"))) await unmountRootfs(bundle);
  let pid = 0;
  try {
    pid = Number(Deno.readTextFileSync(join(bundle, "init.pid")).trim()) || 0;
  } catch { /* never created */ }
  Deno.stdout.writeSync(
    encode(DeleteResponse, { pid, exitStatus: 128 + 9, exitedAt: timestamp(Date.now()) }),
  );
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
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
  // Set by the launcher for bin/drun; not for the shim's own children (hooks, mount).
  Deno.env.delete("DRUN_ENTRY");
  let f: ShimFlags;
  try {
    f = parseFlags(args);
  } catch (e) {
    console.error(`containerd-shim-drun-v2: ${(e as Error).message}`);
    return 2;
  }
  if (f.version) {
    const { VERSION } = await import("../lib/features.ts");
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
    else if (f.action === "serve") {
      logTo(Deno.env.get("DRUN_SHIM_LOG"));
      // Only the shim itself loads the runtime; start and delete stay small.
      const { serve } = await import("./serve.ts");
      await serve(f);
    } else throw new Error(`unknown action ${JSON.stringify(f.action)}: start, delete or serve`);
    return 0;
  } catch (e) {
    console.error(`containerd-shim-drun-v2: ${(e as Error).message}`);
    return 1;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
