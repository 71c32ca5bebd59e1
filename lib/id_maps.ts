/**
 * Writing a new user namespace's uid_map and gid_map from the runtime, as root or not. Root
 * (on the host or in its own user namespace) writes the maps directly. An unprivileged user
 * may write only a map of its own id, and for gid_map only after denying setgroups; any other
 * map (ranges from /etc/subuid, /etc/subgid) goes through the setuid helpers newuidmap and
 * newgidmap (Debian's `uidmap` package), which check those files.
 * @module
 */
import { DrunError } from "./errors.ts";
import type { LinuxIDMapping, Spec } from "./spec/types.ts";

/**
 * How one map file gets written: by drun itself, or by the setuid helper.
 *
 * @example
 * ```ts
 * const w: MapWriter = Deno.uid() === 0 ? "direct" : "helper";
 * ```
 */
export type MapWriter = "direct" | "helper";

/**
 * The writers for a container's maps, and whether its setgroups must be denied.
 *
 * @example
 * ```ts
 * const own: IdMapMethod = { uid: "direct", gid: "direct", denySetgroups: true };
 * ```
 */
export interface IdMapMethod {
  /** How uid_map is written. */
  uid: MapWriter;
  /** How gid_map is written. */
  gid: MapWriter;
  /**
   * "deny" goes to /proc/<pid>/setgroups before gid_map: the kernel's price for letting an
   * unprivileged user map its own gid; the container can then never call setgroups.
   */
  denySetgroups: boolean;
}

/** Whether `maps` is exactly one id, `id`, mapped (size 1). */
function onlyOwnId(maps: LinuxIDMapping[] | undefined, id: number): boolean {
  return maps?.length === 1 && maps[0].hostID === id && maps[0].size === 1;
}

/**
 * Chooses how the maps are written for a runtime with effective ids `euid`/`egid`, or
 * undefined when the spec makes no new user namespace (nothing to write).
 *
 * @example
 * ```ts
 * const m = idMapMethod(spec, 1000, 1000);
 * // a single map of 1000 to 0: { uid: "direct", gid: "direct", denySetgroups: true }
 * ```
 */
export function idMapMethod(
  spec: Spec,
  euid = Deno.uid() ?? 0,
  egid = Deno.gid() ?? 0,
): IdMapMethod | undefined {
  const ns = spec.linux?.namespaces ?? [];
  if (!ns.some((n) => n.type === "user" && !n.path)) return undefined;
  // With CAP_SETUID/CAP_SETGID over its own namespace, root writes any map of ids it has.
  if (euid === 0) return { uid: "direct", gid: "direct", denySetgroups: false };
  const uid = onlyOwnId(spec.linux?.uidMappings, euid) ? "direct" : "helper";
  const gid = onlyOwnId(spec.linux?.gidMappings, egid) ? "direct" : "helper";
  return { uid, gid, denySetgroups: gid === "direct" };
}

/** `newuidmap PID  containerID hostID size ...` as a command line. */
function helperArgs(pid: number, maps: LinuxIDMapping[]): string[] {
  return [String(pid), ...maps.flatMap((m) => [m.containerID, m.hostID, m.size].map(String))];
}

function runHelper(tool: string, pid: number, maps: LinuxIDMapping[], field: string): void {
  let out: Deno.CommandOutput;
  try {
    out = new Deno.Command(tool, { args: helperArgs(pid, maps), stdin: "null" }).outputSync();
  } catch (e) {
    throw new DrunError(
      "ELAUNCH",
      `mapping ids other than your own needs ${tool} (package uidmap) and ranges in ` +
        `/etc/sub${tool === "newuidmap" ? "uid" : "gid"}: ${(e as Error).message}`,
      field,
    );
  }
  if (!out.success) {
    const why = new TextDecoder().decode(out.stderr).trim().split("\n").at(-1);
    throw new DrunError("ELAUNCH", `${tool} failed: ${why || `exit ${out.code}`}`, field);
  }
}

function writeProc(pid: number, file: string, text: string, field: string): void {
  try {
    Deno.writeTextFileSync(`/proc/${pid}/${file}`, text);
  } catch (e) {
    throw new DrunError("ELAUNCH", `writing ${file}: ${(e as Error).message}`, field);
  }
}

/**
 * Writes the maps of the user namespace of `pid` (which waits for them) the way `method`
 * says; errors name `linux.uidMappings` or `linux.gidMappings`.
 *
 * @example
 * ```ts
 * const method = idMapMethod(spec);
 * if (method) writeIdMaps(pid, spec, method);
 * ```
 */
export function writeIdMaps(pid: number, spec: Spec, method: IdMapMethod): void {
  for (
    const [kind, maps, field, writer] of [
      ["uid", spec.linux?.uidMappings ?? [], "linux.uidMappings", method.uid],
      ["gid", spec.linux?.gidMappings ?? [], "linux.gidMappings", method.gid],
    ] as const
  ) {
    if (writer === "helper") {
      runHelper(`new${kind}map`, pid, maps, field);
      continue;
    }
    if (kind === "gid" && method.denySetgroups) writeProc(pid, "setgroups", "deny", field);
    const text = maps.map((m) => `${m.containerID} ${m.hostID} ${m.size}\n`).join("");
    writeProc(pid, `${kind}_map`, text, field);
  }
}
