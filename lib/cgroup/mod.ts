/**
 * The cgroup layer behind one interface, as the runtime uses it. `openCgroups` picks the
 * driver for the host's layout (v2 when the cgroupfs root is a cgroup2 mount, else v1),
 * validates the config and works out the directories; nothing is created until `create()`.
 * `cgroupsFromPaths` rebuilds a manager from the paths stored in state.json, for the commands
 * that come later (delete, pause, resume, ps, events, update).
 *
 * Paths: no `cgroupsPath` means `<own>/drun-<id>` in each hierarchy, where `<own>` is the
 * runtime's own cgroup there; a relative path is nested under `<own>` too; an absolute one is
 * taken as given, relative to each hierarchy's root. The systemd `slice:prefix:name` form is
 * refused (there is no systemd driver).
 * @module
 */
import { join, posix } from "../path.ts";
import { SpecError } from "../errors.ts";
import type { LinuxResources, Spec } from "../spec/types.ts";
import { isPaused } from "./frozen.ts";
import type { Placement } from "./base.ts";
import { parseCgroupMounts, parseProcCgroup } from "./fs.ts";
import { type CgroupManager, type CgroupOptions, type CgroupPaths, CREATED_KEY } from "./types.ts";
import { validateCgroupsPath } from "./validate.ts";
import { type AllowedDevice, V1Manager } from "./v1.ts";
import { type DeviceFilterAttacher, V2Manager } from "./v2.ts";
import { attachDeviceFilter } from "./devices_attach.ts";

export type {
  BlkioEntry,
  BlkioStats,
  CgroupManager,
  CgroupOptions,
  CgroupPaths,
  CgroupStats,
  CpuStats,
  CpuUsage,
  HugetlbStats,
  MemoryEntry,
  MemoryStats,
  PidsStats,
  Throttling,
} from "./types.ts";
export { cgroupDirs, CREATED_KEY } from "./types.ts";
export { SYSTEMD_PATH_MESSAGE, validateCgroupsPath, validateResources } from "./validate.ts";

/** The default cgroup filesystem root. */
export const CGROUP_ROOT = "/sys/fs/cgroup";

/** The host's cgroup layout. */
export type CgroupLayout = "v1" | "v2" | "none";

/** v2 when `root` is a cgroup2 filesystem, v1 when it holds v1 hierarchies, else none. */
export function detectLayout(root: string = CGROUP_ROOT): CgroupLayout {
  try {
    Deno.statSync(join(root, "cgroup.controllers"));
    return "v2";
  } catch { /* not a cgroup2 root */ }
  try {
    for (const e of Deno.readDirSync(root)) {
      if (e.isDirectory || e.isSymlink) return "v1";
    }
  } catch { /* no cgroupfs at all */ }
  return "none";
}

/** v1 controllers drun knows (named hierarchies such as name=systemd are left alone). */
const V1_CONTROLLERS = new Set([
  "cpuset",
  "cpu",
  "cpuacct",
  "blkio",
  "memory",
  "devices",
  "freezer",
  "net_cls",
  "perf_event",
  "net_prio",
  "hugetlb",
  "pids",
  "rdma",
  "misc",
]);

interface Hierarchy {
  controllers: string[];
  mount: string;
  mountRoot: string;
}

const defaultWarn = (m: string) => console.error(`warning: ${m}`);

function readText(path: string): string {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return "";
  }
}

function v1Hierarchies(root: string, opts: CgroupOptions): Hierarchy[] {
  const out: Hierarchy[] = [];
  const seen = new Set<string>();
  if (opts.root === undefined || opts.mountinfo !== undefined) {
    const mounts = parseCgroupMounts(opts.mountinfo ?? readText("/proc/self/mountinfo"));
    for (const m of mounts) {
      if (m.fsType !== "cgroup") continue;
      if (m.mountPoint !== root && !m.mountPoint.startsWith(root + "/")) continue;
      // Named hierarchies too (name=systemd): a container joins every one, as runc does, so
      // it is not left in the runtime's place there.
      const controllers = m.superOptions.filter((o) =>
        V1_CONTROLLERS.has(o) || o.startsWith("name=")
      );
      const key = [...controllers].sort().join(",");
      if (!controllers.length || seen.has(key)) continue;
      seen.add(key);
      out.push({ controllers, mount: m.mountPoint, mountRoot: m.root });
    }
    return out;
  }
  // A test root: one directory per hierarchy, named by its controllers.
  for (const e of [...Deno.readDirSync(root)].sort((a, b) => a.name.localeCompare(b.name))) {
    if (!e.isDirectory) continue;
    const controllers = e.name.split(",").filter((c) => V1_CONTROLLERS.has(c));
    const key = [...controllers].sort().join(",");
    if (!controllers.length || seen.has(key)) continue;
    seen.add(key);
    out.push({ controllers, mount: join(root, e.name), mountRoot: "/" });
  }
  return out;
}

/** The placement key of a hybrid host's cgroup2 tree among the v1 hierarchies. */
export const UNIFIED_KEY = "unified";

/** The cgroup2 mount below a v1 root (a hybrid host), if any. */
function hybridTree(root: string, opts: CgroupOptions): Omit<Hierarchy, "controllers"> | undefined {
  if (opts.root !== undefined && opts.mountinfo === undefined) return undefined;
  const m = parseCgroupMounts(opts.mountinfo ?? readText("/proc/self/mountinfo"))
    .find((x) => x.fsType === "cgroup2" && x.mountPoint.startsWith(root + "/"));
  return m && { mount: m.mountPoint, mountRoot: m.root };
}

/** The cgroup path (relative to the hierarchy root) for a container. */
function cgroupPath(cgPath: string | undefined, id: string, own: string): string {
  if (!cgPath) return posix.join(own, `drun-${id}`);
  if (cgPath.startsWith("/")) return posix.normalize(cgPath).replace(/(.)\/$/, "$1");
  return posix.join(own, cgPath).replace(/(.)\/$/, "$1");
}

/** The directory of cgroup `rel` through a mount that shows cgroup `mountRoot` as its root. */
function dirIn(mount: string, mountRoot: string, rel: string, field: string): string {
  if (mountRoot === "/") return posix.join(mount, rel);
  if (rel === mountRoot || rel.startsWith(mountRoot + "/")) {
    return posix.join(mount, rel.slice(mountRoot.length));
  }
  throw new SpecError(field, `${rel} is outside the cgroup mount at ${mount}`);
}

function refuseOwn(rel: string, own: string, field: string): void {
  // Joining our own cgroup or a parent would put the container beside the runtime (and
  // delete would try to remove it): refuse.
  if (rel === "/" || rel === own || own.startsWith(rel + "/")) {
    throw new SpecError(field, `${rel} is the runtime's own cgroup or one of its parents`);
  }
}

/** Whether resources ask for anything beyond device rules. */
function hasLimits(r: LinuxResources): boolean {
  return firstLimit(r) !== undefined;
}

/** The first field of `r` that sets a limit (device rules are not limits). */
function firstLimit(r: LinuxResources): string | undefined {
  return Object.entries(r).find(([k, v]) => k !== "devices" && v !== undefined && v !== null)?.[0];
}

/** Whether this process may create `dir`: its nearest existing ancestor is writable to it. */
function mayCreate(dir: string): boolean {
  for (let d = dir; d !== "/"; d = posix.dirname(d)) {
    let st: Deno.FileInfo;
    try {
      st = Deno.statSync(d);
    } catch {
      continue; // not there yet: its parent decides
    }
    const mode = st.mode ?? 0;
    return (st.uid === Deno.uid() && (mode & 0o200) !== 0) || (mode & 0o002) !== 0;
  }
  return false;
}

/**
 * For a rootless runtime: true when every leaf can be made (a delegated hierarchy), false
 * when some cannot, which is fine without limits (no cgroups, as runc) and refused with them,
 * naming the first limit: nothing could enforce it.
 */
function rootlessUsable(dirs: string[], resources: LinuxResources): boolean {
  if (dirs.every(mayCreate)) return true;
  const limit = firstLimit(resources);
  if (limit) {
    throw new SpecError(
      `linux.resources.${limit}`,
      "cannot be applied: a rootless container has no writable (delegated) cgroup here",
    );
  }
  return false;
}

/**
 * The cgroup manager for a new container, or undefined when there is nothing to do (no
 * cgroup filesystem and no limits, or an unprivileged runtime without limits). `spec` has
 * passed `validateSpec`, which owns the rules for `linux.resources` values; this checks
 * `linux.cgroupsPath` and that this host can apply the resources, all before anything is
 * created, and throws a SpecError naming the field otherwise.
 */
export function openCgroups(
  spec: Spec,
  id: string,
  opts: CgroupOptions = {},
): CgroupManager | undefined {
  const field = "linux.cgroupsPath";
  const resources: LinuxResources = spec.linux?.resources ?? {};
  const cgPath = validateCgroupsPath(spec.linux?.cgroupsPath, field);
  const root = opts.root ?? CGROUP_ROOT;
  const warn = opts.warn ?? defaultWarn;
  const layout = detectLayout(root);
  if (layout === "none") {
    if (hasLimits(resources)) {
      throw new SpecError("linux.resources", `no cgroup filesystem at ${root}`);
    }
    return undefined;
  }
  if (opts.root === undefined && Deno.uid() !== 0 && !cgPath && !hasLimits(resources)) {
    return undefined;
  }
  const self = parseProcCgroup(opts.procSelfCgroup ?? readText("/proc/self/cgroup"));
  const extra: AllowedDevice[] = (spec.linux?.devices ?? [])
    .filter((d) => d.type !== "p" && d.major !== undefined && d.minor !== undefined)
    .map((d) => ({
      type: d.type === "b" ? "b" : "c",
      major: d.major!,
      minor: d.minor!,
      access: "rwm",
    }));

  if (layout === "v2") {
    let mount = root;
    let mountRoot = "/";
    // Device rules need a real cgroup2 directory (an eBPF program is attached to it).
    let attach: DeviceFilterAttacher | undefined;
    if (opts.root === undefined || opts.mountinfo !== undefined) {
      const m = parseCgroupMounts(opts.mountinfo ?? readText("/proc/self/mountinfo"))
        .find((x) => x.fsType === "cgroup2" && x.mountPoint === root);
      if (m) {
        [mount, mountRoot] = [m.mountPoint, m.root];
        attach = attachDeviceFilter;
      }
    }
    const own = self.find((l) => l.hierarchy === 0)?.path ?? "/";
    const rel = cgroupPath(cgPath, id, own);
    refuseOwn(rel, own, field);
    const dir = dirIn(mount, mountRoot, rel, field);
    const ownDir = own.startsWith(mountRoot) ? dirIn(mount, mountRoot, own, field) : undefined;
    if (opts.rootless && !rootlessUsable([dir], resources)) return undefined;
    const m = new V2Manager({ dir, mount }, [], warn, ownDir, extra, attach);
    m.checkSupport(resources);
    return m;
  }

  const placements: Record<string, Placement> = {};
  for (const h of v1Hierarchies(root, opts)) {
    const line = self.find((l) => l.controllers.some((c) => h.controllers.includes(c)));
    const own = line?.path ?? "/";
    const rel = cgroupPath(cgPath, id, own);
    refuseOwn(rel, own, field);
    const dir = dirIn(h.mount, h.mountRoot, rel, field);
    for (const c of h.controllers) placements[c] = { dir, mount: h.mount };
  }
  // A hybrid host's cgroup2 tree (/sys/fs/cgroup/unified): joined as well, for membership.
  const unified = hybridTree(root, opts);
  if (unified && Object.keys(placements).length) {
    const own = self.find((l) => l.hierarchy === 0)?.path ?? "/";
    const rel = cgroupPath(cgPath, id, own);
    refuseOwn(rel, own, field);
    placements[UNIFIED_KEY] = {
      dir: dirIn(unified.mount, unified.mountRoot, rel, field),
      mount: unified.mount,
    };
  }
  if (opts.rootless && !rootlessUsable(Object.values(placements).map((p) => p.dir), resources)) {
    return undefined;
  }
  if (!Object.keys(placements).length) {
    if (hasLimits(resources)) {
      throw new SpecError("linux.resources", `no cgroup v1 hierarchy is mounted under ${root}`);
    }
    return undefined;
  }
  const m = new V1Manager(placements, [], warn, extra);
  m.checkSupport(resources);
  return m;
}

/** A manager over paths stored in a container's state, for delete/pause/stats. */
export function cgroupsFromPaths(
  paths: CgroupPaths | undefined,
  opts: { warn?: (msg: string) => void } = {},
): CgroupManager | undefined {
  if (!paths) return undefined;
  const entries = Object.entries(paths).filter(([k]) => k !== CREATED_KEY);
  if (!entries.length) return undefined;
  let tops: string[] = [];
  try {
    const t = JSON.parse(paths[CREATED_KEY] ?? "[]");
    if (Array.isArray(t)) tops = t.filter((x) => typeof x === "string" && x.startsWith("/"));
  } catch { /* not ours: no parents to remove */ }
  const warn = opts.warn ?? defaultWarn;
  if (entries.length === 1 && entries[0][0] === "") {
    return new V2Manager({ dir: entries[0][1] }, tops, warn);
  }
  const placements: Record<string, Placement> = {};
  for (const [k, dir] of entries) placements[k] = { dir };
  return new V1Manager(placements, tops, warn);
}

/** The PausedProbe for readState (in its own module: `state` and `list` need only it). */
export { isPaused };
