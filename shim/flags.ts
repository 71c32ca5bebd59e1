/**
 * The shim's command line as containerd writes it (Go flag syntax), and the state root the
 * shim keeps drun's containers under.
 * @module
 */
import { join } from "node:path";

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
 * import { parseFlags } from "./flags.ts";
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
