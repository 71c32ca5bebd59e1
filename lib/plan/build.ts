/**
 * Spec → LaunchPlan: every decision about what the container's init does between clone and
 * execve, and in which order, is made here (where it can be unit-tested), never in Zig.
 * @module
 */
import { SpecError } from "../errors.ts";
import type { LaunchPlan, PlanOp } from "./encode.ts";
import { ops } from "./ops.ts";
import { MS, parseMountOptions } from "./mount_options.ts";
import { resolveInRoot } from "./paths.ts";
import { NAMESPACE_FLAGS } from "../linux/namespaces.ts";
import { bindTreeOp, idmapTreeOp, isIdmapped } from "./idmap.ts";
import { checkProcMount } from "./proc_mounts.ts";
import { checkPreservedFds } from "../processes.ts";
import type { PlanInput } from "./input.ts";
import { addHookOps, addProcessOps, affinityOp, checkNofile, withHome } from "./process_ops.ts";
import { addMount } from "./mount_ops.ts";

/** CLONE_NEW* flag per OCI namespace type (from lib/linux/namespaces.ts). */
export { NAMESPACE_FLAGS };
export type { PlanInput } from "./input.ts";
export { withHome } from "./process_ops.ts";
export { buildExecPlan, type ExecPlanInput } from "./exec_plan.ts";

/** The devices every container gets, as runc creates them. */
export const DEFAULT_DEVICES = [
  { path: "/dev/null", major: 1, minor: 3 },
  { path: "/dev/zero", major: 1, minor: 5 },
  { path: "/dev/full", major: 1, minor: 7 },
  { path: "/dev/random", major: 1, minor: 8 },
  { path: "/dev/urandom", major: 1, minor: 9 },
  { path: "/dev/tty", major: 5, minor: 0 },
];

const DEV_SYMLINKS: [string, string][] = [
  ["/proc/self/fd", "/dev/fd"],
  ["/proc/self/fd/0", "/dev/stdin"],
  ["/proc/self/fd/1", "/dev/stdout"],
  ["/proc/self/fd/2", "/dev/stderr"],
  ["pts/ptmx", "/dev/ptmx"],
];

/** Linux makedev. */
export function makedev(major: number, minor: number): bigint {
  const ma = BigInt(major), mi = BigInt(minor);
  return (mi & 0xffn) | ((ma & 0xfffn) << 8n) | ((mi & ~0xffn) << 12n) | ((ma & ~0xfffn) << 32n);
}

const S_IF: Record<string, number> = { c: 0o020000, u: 0o020000, b: 0o060000, p: 0o010000 };

/** open(2) flags of the exec fifo's first open: a path only, closed at exec. */
const O_PATH = 0o10000000;
const O_CLOEXEC = 0o2000000;

/** Builds the ordered plan for the container's init. */
export function buildPlan(input: PlanInput): LaunchPlan {
  const { spec, rootfs } = input;
  const linux = spec.linux ?? {};
  const proc = spec.process;
  if (!proc) throw new SpecError("process", "required");
  checkPreservedFds(input.preserveFds ?? 0);
  checkNofile(proc, input.preserveFds ?? 0);
  const steps: PlanOp[] = [];
  const add = (op: PlanOp) => steps.push(op);

  // Namespaces: new ones by clone flag (time by unshare, clone cannot take it), existing ones
  // joined by setns, the user namespace first so the others are joined with its rights.
  let cloneFlags = 0;
  const newNs = new Set<string>();
  const joins = (linux.namespaces ?? []).map((ns, i) => ({ ns, i })).filter(({ ns }) => ns.path);
  joins.sort((a, b) => (a.ns.type === "user" ? -1 : 0) - (b.ns.type === "user" ? -1 : 0));
  for (const ns of linux.namespaces ?? []) {
    if (ns.path) continue;
    newNs.add(ns.type);
    // time: clone cannot take it; cgroup: its root is the cgroup we are in when we unshare,
    // so it waits until the runtime has moved us into the container's cgroups.
    if (ns.type !== "time" && ns.type !== "cgroup") cloneFlags |= NAMESPACE_FLAGS[ns.type];
  }
  // No mount namespace listed: the runtime's is inherited (runtime-spec), as runc and crun do.
  // Then the init only chroots, and every mount sits on a private bind of the rootfs that
  // delete detaches (lib/runtime/root_bind.ts): the runtime's "/" is never touched.
  const inheritMounts = !newNs.has("mount") && !joins.some(({ ns }) => ns.type === "mount");
  if (inheritMounts && newNs.has("user")) {
    // A new user namespace may not mount in a mount namespace its parent owns (EPERM).
    throw new SpecError("linux.namespaces", "a new user namespace needs a mount namespace");
  }
  // Inside a user namespace, its own or the runtime's (rootless), mknod and a cgroupfs mount
  // are refused: devices and cgroups are bound from the host instead.
  const userns = newNs.has("user") || joins.some(({ ns }) => ns.type === "user") ||
    input.rootless === true;

  add(ops.signalsReset({ action: "reset signal handlers" }));
  // execCPUAffinity as runc applies it: `initial` before the cgroup join, `final` after it.
  affinityOp(add, proc, "initial");
  // Idmapped trees are made here, by the host's root: inside a user namespace the init could
  // not idmap a host filesystem. The init inherits them through the fork below.
  // The same for every bind source when we make the user namespace: once inside, its root
  // is a mapped uid that may not reach the source's path (EACCES).
  const trees = new Map<number, number>();
  const cloneBinds = newNs.has("user") && !input.rootless;
  for (const [i, m] of (spec.mounts ?? []).entries()) {
    if (isIdmapped(m)) add(idmapTreeOp(m, i, trees.size, linux));
    else if (cloneBinds && parseMountOptions(m.options, m.type).bind) {
      add(bindTreeOp(m, i, trees.size));
    } else continue;
    trees.set(i, trees.size);
  }
  // drun-init was started without namespaces (an execve inside a fresh user namespace would
  // drop every capability): the init proper is its child, cloned into the new ones.
  if (cloneFlags !== 0) {
    add(ops.forkPid({
      field: "linux.namespaces",
      action: "clone the init into its new namespaces",
      cloneFlags,
    }));
  }
  for (const { ns, i } of joins) {
    add(ops.setns({
      field: `linux.namespaces[${i}]`,
      action: `join ${ns.type} namespace ${ns.path}`,
      nsFlag: NAMESPACE_FLAGS[ns.type],
      path: ns.path!,
    }));
  }
  // setns(CLONE_NEWPID) moves only our children: the init is a child forked after it.
  if (joins.some(({ ns }) => ns.type === "pid")) {
    add(ops.forkPid({ action: "fork into the joined pid namespace", cloneFlags: 0 }));
  }
  add(ops.waitParent({ action: "wait for the runtime (id maps, cgroups)" }));
  affinityOp(add, proc, "final");
  if (newNs.has("cgroup")) {
    add(ops.unshare({
      field: "linux.namespaces",
      action: "new cgroup namespace",
      flags: NAMESPACE_FLAGS.cgroup,
    }));
  }
  // The fifo must be opened while the host's filesystem is still reachable.
  add(ops.openSlot({
    action: "open exec fifo",
    slot: 0,
    flags: O_PATH | O_CLOEXEC,
    path: input.fifoPath,
  }));
  // Time offsets first: once our ids change, /proc/self stops being ours to write.
  if (newNs.has("time")) {
    add(ops.unshare({
      field: "linux.namespaces",
      action: "new time namespace",
      flags: NAMESPACE_FLAGS.time,
    }));
    const off = linux.timeOffsets ?? {};
    const lines = (["monotonic", "boottime"] as const)
      .filter((k) => off[k])
      .map((k) => `${k} ${off[k]!.secs ?? 0} ${off[k]!.nanosecs ?? 0}\n`).join("");
    if (lines) {
      const path = "/proc/self/timens_offsets";
      const field = "linux.timeOffsets";
      add(ops.writeFile({ field, action: `write ${path}`, path, content: lines }));
    }
  }

  if (newNs.has("user")) {
    add(ops.setresgid({ action: "become root in the user namespace (gid)", gid: 0 }));
    add(ops.setresuid({ action: "become root in the user namespace (uid)", uid: 0 }));
  }
  // Root filesystem: slave "/" so nothing we mount leaks to the host, then bind the rootfs
  // onto itself so it is a mount point pivot_root accepts.
  // Always slave before the pivot (shared would make pivot_root fail, unbindable the bind);
  // the requested propagation is applied to the new / after it.
  const rootProp = linux.rootfsPropagation;
  const propFlags = rootProp ? parseMountOptions([rootProp]).propagation[0] : MS.SLAVE | MS.REC;
  if (!inheritMounts) {
    add(ops.mount({
      action: "make / a slave before pivot_root",
      target: "/",
      flags: MS.SLAVE | MS.REC,
    }));
  }
  add(ops.mount({
    field: "root.path",
    action: "bind rootfs onto itself",
    source: rootfs,
    target: rootfs,
    flags: MS.BIND | MS.REC,
  }));
  if (inheritMounts) {
    // Only the bind we just made: what the container mounts stays out of other namespaces.
    add(ops.mount({
      field: "root.path",
      action: "make the rootfs bind private",
      target: rootfs,
      flags: MS.PRIVATE | MS.REC,
    }));
  }
  add(ops.openRoot({ field: "root.path", action: "open rootfs", path: rootfs }));

  const mounts = spec.mounts ?? [];
  let devIsBound = false;
  // Which field owns /dev and /proc in the container (for the steps that put things there).
  let devField = "root.path";
  let procMounted = false;
  for (const [i, m] of mounts.entries()) {
    const field = `mounts[${i}]`;
    const dest = resolveInRoot(rootfs, m.destination, `${field}.destination`);
    const bind = parseMountOptions(m.options, m.type).bind;
    checkProcMount(dest, m, bind, field);
    if (dest === "/dev") devField = field;
    if (dest === "/proc") procMounted = true;
    if (dest === "/dev" && bind) devIsBound = true;
    addMount(add, m, dest, field, input.cgroupLines, {
      cgroupns: newNs.has("cgroup"),
      userns,
      paths: input.cgroupPaths,
    }, trees.get(i));
  }

  // The init re-opens its exec fifo through /proc/self/fd once the root is switched: with no
  // /proc it could only die at `start`, far from the cause.
  if (!joins.some(({ ns }) => ns.type === "mount") && !procMounted) {
    throw new SpecError("mounts", "a proc mount on /proc is required");
  }

  const defaults = devIsBound
    ? []
    : DEFAULT_DEVICES.map((d) => ({ ...d, type: "c", fileMode: 0o666, uid: 0, gid: 0 }));
  const devices = [
    ...defaults,
    // A trailing slash names the same node (runc accepts /dev/net/tun/).
    ...(linux.devices ?? []).map((d) => ({ ...d, path: d.path.replace(/(.)\/+$/, "$1") })),
  ];
  // The config's own devices are named by their field; the defaults by whoever owns /dev.
  const deviceStep = (i: number, action: (device: string) => string) =>
    i < defaults.length
      ? { field: devField, action: action(`default device ${devices[i].path}`) }
      : { field: `linux.devices[${i - defaults.length}]`, action: action(devices[i].path) };
  if (userns) {
    // mknod is refused in a user namespace: bind the host's node instead, as runc does.
    for (const [i, d] of devices.entries()) {
      add(ops.mountInRoot({
        ...deviceStep(i, (device) => `bind ${device} from the host`),
        source: d.path,
        target: resolveInRoot(rootfs, d.path, "linux.devices"),
        flags: MS.BIND,
        create: "file",
        bind: true,
      }));
    }
  }

  if (!input.noNewKeyring) {
    add(ops.keyring({ action: "join a new session keyring", name: `_ses.${input.id ?? ""}` }));
  }
  // prestart/createRuntime run in the runtime once the mounts exist; createContainer then
  // runs here, in the container's namespaces, before the root is switched.
  const hooks = spec.hooks ?? {};
  if (hooks.prestart?.length || hooks.createRuntime?.length || hooks.createContainer?.length) {
    add(ops.syncHooks({ field: "hooks", action: "wait for prestart and createRuntime hooks" }));
  }
  addHookOps(add, "createContainer", hooks.createContainer, "creating");
  const root = { field: "root.path" };
  if (inheritMounts) add(ops.chroot({ ...root, action: "chroot (the runtime's mount namespace)" }));
  else if (input.noPivot) add(ops.moveRoot({ ...root, action: "move rootfs to / (no pivot)" }));
  else add(ops.pivot({ ...root, action: "pivot_root" }));
  // A cwd the image lacks is made as root, before / can turn read-only (runc, crun too).
  add(ops.chdir({
    field: "process.cwd",
    action: `create ${proc.cwd} if missing`,
    dir: proc.cwd,
    createMissing: true,
  }));

  if (!userns) {
    for (const [i, d] of devices.entries()) {
      const mode = ((d.fileMode ?? 0o666) & 0o7777) | (S_IF[d.type] ?? 0);
      add(ops.mknod({
        ...deviceStep(i, (device) => `create ${device}`),
        path: d.path,
        mode,
        dev: makedev(d.major ?? 0, d.minor ?? 0),
        uid: d.uid ?? 0,
        gid: d.gid ?? 0,
      }));
    }
  }
  if (!devIsBound) {
    for (const [target, link] of DEV_SYMLINKS) {
      add(ops.symlink({ field: devField, action: `symlink ${link}`, target, link }));
    }
  }
  if (rootProp) {
    add(ops.mount({
      field: "linux.rootfsPropagation",
      action: `make / ${rootProp}`,
      target: "/",
      flags: propFlags,
    }));
  }

  // Before /proc/sys turns read-only (engines list it in readonlyPaths), as runc orders it.
  for (const [k, v] of Object.entries(linux.sysctl ?? {})) {
    const path = `/proc/sys/${k.replaceAll(".", "/")}`;
    add(ops.writeFile({ field: `linux.sysctl.${k}`, action: `write ${path}`, path, content: v }));
  }
  for (const [i, p] of (linux.maskedPaths ?? []).entries()) {
    add(ops.maskPath({ field: `linux.maskedPaths[${i}]`, action: `mask ${p}`, path: p }));
  }
  for (const [i, p] of (linux.readonlyPaths ?? []).entries()) {
    const field = `linux.readonlyPaths[${i}]`;
    add(ops.mount({
      field,
      action: `bind ${p}`,
      source: p,
      target: p,
      flags: MS.BIND | MS.REC,
      optionalTarget: true,
    }));
    add(ops.mount({
      field,
      action: `remount ${p} read-only`,
      target: p,
      flags: MS.REMOUNT | MS.BIND | MS.RDONLY | MS.NOSUID | MS.NODEV | MS.NOEXEC,
      optionalTarget: true,
    }));
  }
  if (spec.root?.readonly) {
    add(ops.mount({
      field: "root.readonly",
      action: "remount / read-only",
      target: "/",
      flags: MS.REMOUNT | MS.BIND | MS.RDONLY,
    }));
  }

  if (spec.hostname !== undefined && spec.hostname !== "") {
    const name = spec.hostname;
    add(ops.sethostname({ field: "hostname", action: `set hostname ${name}`, name }));
  }
  if (spec.domainname !== undefined && spec.domainname !== "") {
    const name = spec.domainname;
    add(ops.setdomainname({ field: "domainname", action: `set domainname ${name}`, name }));
  }
  if (newNs.has("network")) add(ops.loUp({ field: "linux.namespaces", action: "bring up lo" }));
  if (proc.oomScoreAdj !== undefined) {
    const path = "/proc/self/oom_score_adj";
    const content = String(proc.oomScoreAdj);
    add(ops.writeFile({ field: "process.oomScoreAdj", action: `write ${path}`, path, content }));
  }
  addProcessOps(add, withHome(proc, rootfs), linux, input, true, hooks.startContainer);
  return { cloneFlags, ops: steps };
}
