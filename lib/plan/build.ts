/**
 * Spec → LaunchPlan: every decision about what the container's init does between clone and
 * execve, and in which order, is made here (where it can be unit-tested), never in Zig.
 * @module
 */
import { join } from "../path.ts";
import type { Hook, Linux, LinuxNamespace, Mount, Process, Spec } from "../spec/types.ts";
import { SpecError } from "../errors.ts";
import { capMask, lastCap } from "../caps.ts";
import { type LaunchPlan, NONE, Op, type PlanOp } from "./encode.ts";
import { bindRemountFlags, MOUNT_ATTR, MS, parseMountOptions } from "./mount_options.ts";
import { resolveInRoot } from "./paths.ts";
import { parseCpuList } from "../spec/cpu_list.ts";
import { inJoinOrder, NAMESPACE_FLAGS } from "../linux/namespaces.ts";
import { bindTreeOp, idmapTreeOp, isIdmapped } from "./idmap.ts";
import { DEFAULT_SECCOMP_TIMEOUT_MS } from "../seccomp/listener.ts";
import { checkProcMount } from "./proc_mounts.ts";
import { checkPreservedFds } from "../processes.ts";
import { IOPRIO_CLASSES, RLIMITS, SCHED_FLAGS, SCHED_POLICIES } from "../spec/linux_constants.ts";

/** CLONE_NEW* flag per OCI namespace type (from lib/linux/namespaces.ts). */
export { NAMESPACE_FLAGS };

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

const PR_SET_PDEATHSIG = 1;
const PR_SET_KEEPCAPS = 8;
const PR_SET_DUMPABLE = 4;
const PR_SET_NO_NEW_PRIVS = 38;

/** What the plan needs besides the spec. */
export interface PlanInput {
  /** A validated spec. */
  spec: Spec;
  /** Absolute host path of the rootfs. */
  rootfs: string;
  /** Absolute host path of the exec fifo the init blocks on until `start`. */
  fifoPath: string;
  /** Use MS_MOVE + chroot instead of pivot_root (for a rootfs on ramfs/initramfs). */
  noPivot?: boolean;
  /** Extra fds (from 3) the process keeps. */
  preserveFds?: number;
  /** The compiled filter, and the connected listener socket when it notifies. */
  seccomp?: {
    program: Uint8Array;
    flags: number;
    listenerFd?: number;
    /** How long the agent gets to accept and read the state (ms); default 10 s. */
    timeoutMs?: number;
  };
  /** The container id (names its session keyring). */
  id?: string;
  /** Do not give the container a session keyring of its own (runc's --no-new-keyring). */
  noNewKeyring?: boolean;
  /**
   * Keep the parent-death signal until `start` (the creating process also starts it, as
   * `run` does): a runtime killed before then takes the waiting init with it.
   */
  bindUntilStart?: boolean;
  /** The container's cgroup directory per controller, when the runtime made them. */
  cgroupPaths?: Record<string, string>;
  /** Lines of /proc/self/cgroup of the caller; tests may inject them. */
  cgroupLines?: string[];
  /**
   * The runtime denies setgroups in the new user namespace (an unprivileged user mapping its
   * own gid): the init cannot call it, so additional gids are refused and none are set.
   */
  setgroupsDenied?: boolean;
  /**
   * The runtime is rootless (unprivileged, or root in a user namespace, rootless podman's
   * case): even a container without a user namespace of its own cannot mount a cgroupfs.
   */
  rootless?: boolean;
}

/** u64 from a JSON number; RLIM_INFINITY and friends arrive as 2^64 after float rounding. */
function u64(n: number): bigint {
  if (n >= 2 ** 64 - 1 || n < 0) return NONE;
  return BigInt(Math.trunc(n));
}

/** Linux makedev. */
export function makedev(major: number, minor: number): bigint {
  const ma = BigInt(major), mi = BigInt(minor);
  return (mi & 0xffn) | ((ma & 0xfffn) << 8n) | ((mi & ~0xffn) << 12n) | ((ma & ~0xfffn) << 32n);
}

const S_IF: Record<string, number> = { c: 0o020000, u: 0o020000, b: 0o060000, p: 0o010000 };

/** Builds the ordered plan for the container's init. */
export function buildPlan(input: PlanInput): LaunchPlan {
  const { spec, rootfs } = input;
  const linux = spec.linux ?? {};
  const proc = spec.process;
  if (!proc) throw new SpecError("process", "required");
  checkPreservedFds(input.preserveFds ?? 0);
  checkNofile(proc, input.preserveFds ?? 0);
  const ops: PlanOp[] = [];
  const add = (
    kind: PlanOp["kind"],
    label: string,
    nums: PlanOp["nums"] = [],
    strs: PlanOp["strs"] = [],
  ) => ops.push({ kind, label, nums, strs });

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
  if (!newNs.has("mount") && !joins.some(({ ns }) => ns.type === "mount")) {
    throw new SpecError("linux.namespaces", "a mount namespace is required");
  }
  // Inside a user namespace, its own or the runtime's (rootless), mknod and a cgroupfs mount
  // are refused: devices and cgroups are bound from the host instead.
  const userns = newNs.has("user") || joins.some(({ ns }) => ns.type === "user") ||
    input.rootless === true;

  add(Op.SIGNALS_RESET, "reset signal handlers");
  // execCPUAffinity as runc applies it: `initial` before the cgroup join, `final` after it.
  affinityOp(add, proc, "initial");
  // Idmapped trees are made here, by the host's root: inside a user namespace the init could
  // not idmap a host filesystem. The init inherits them through the fork below.
  // The same for every bind source when we make the user namespace: once inside, its root
  // is a mapped uid that may not reach the source's path (EACCES).
  const trees = new Map<number, number>();
  const cloneBinds = newNs.has("user") && !input.rootless;
  for (const [i, m] of (spec.mounts ?? []).entries()) {
    if (isIdmapped(m)) ops.push(idmapTreeOp(m, i, trees.size, linux));
    else if (cloneBinds && parseMountOptions(m.options, m.type).bind) {
      ops.push(bindTreeOp(m, i, trees.size));
    } else continue;
    trees.set(i, trees.size);
  }
  // drun-init was started without namespaces (an execve inside a fresh user namespace would
  // drop every capability): the init proper is its child, cloned into the new ones.
  if (cloneFlags !== 0) {
    add(Op.FORK_PID, "linux.namespaces: clone the init into its new namespaces", [cloneFlags]);
  }
  for (const { ns, i } of joins) {
    add(Op.SETNS, `linux.namespaces[${i}]: join ${ns.type} namespace ${ns.path}`, [
      NAMESPACE_FLAGS[ns.type],
    ], [ns.path!]);
  }
  // setns(CLONE_NEWPID) moves only our children: the init is a child forked after it.
  if (joins.some(({ ns }) => ns.type === "pid")) {
    add(Op.FORK_PID, "fork into the joined pid namespace", [0]);
  }
  add(Op.WAIT_PARENT, "wait for the runtime (id maps, cgroups)");
  affinityOp(add, proc, "final");
  if (newNs.has("cgroup")) {
    add(Op.UNSHARE, "linux.namespaces: new cgroup namespace", [NAMESPACE_FLAGS.cgroup]);
  }
  // The fifo must be opened while the host's filesystem is still reachable.
  add(Op.OPEN_SLOT, "open exec fifo", [0, 0o10000000 | 0o2000000], [input.fifoPath]);
  // Time offsets first: once our ids change, /proc/self stops being ours to write.
  if (newNs.has("time")) {
    add(Op.UNSHARE, "linux.namespaces: new time namespace", [NAMESPACE_FLAGS.time]);
    const off = linux.timeOffsets ?? {};
    const lines = (["monotonic", "boottime"] as const)
      .filter((k) => off[k])
      .map((k) => `${k} ${off[k]!.secs ?? 0} ${off[k]!.nanosecs ?? 0}\n`).join("");
    if (lines) add(Op.WRITE_FILE, "linux.timeOffsets", [], ["/proc/self/timens_offsets", lines]);
  }

  if (newNs.has("user")) {
    add(Op.SETRESGID, "become root in the user namespace (gid)", [0, 0, 0]);
    add(Op.SETRESUID, "become root in the user namespace (uid)", [0, 0, 0]);
  }
  // Root filesystem: slave "/" so nothing we mount leaks to the host, then bind the rootfs
  // onto itself so it is a mount point pivot_root accepts.
  // Always slave before the pivot (shared would make pivot_root fail, unbindable the bind);
  // the requested propagation is applied to the new / after it.
  const rootProp = linux.rootfsPropagation;
  const propFlags = rootProp ? parseMountOptions([rootProp]).propagation[0] : MS.SLAVE | MS.REC;
  add(Op.MOUNT, "make / a slave before pivot_root", [MS.SLAVE | MS.REC], ["", "/", "", ""]);
  add(Op.MOUNT, "root.path: bind rootfs onto itself", [MS.BIND | MS.REC], [rootfs, rootfs, "", ""]);
  add(Op.OPEN_ROOT, "root.path: open rootfs", [], [rootfs]);

  const mounts = spec.mounts ?? [];
  let devIsBound = false;
  // Which field owns /dev and /proc in the container (for the labels of what goes there).
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
  if (newNs.has("mount") && !procMounted) {
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
  const deviceLabel = (i: number, path: string) =>
    i < defaults.length ? `${devField}: device ${path}` : `linux.devices[${i - defaults.length}]`;
  if (userns) {
    // mknod is refused in a user namespace: bind the host's node instead, as runc does.
    for (const [i, d] of devices.entries()) {
      const dest = resolveInRoot(rootfs, d.path, "linux.devices");
      add(Op.MOUNT_IN_ROOT, `${deviceLabel(i, d.path)}: bind from host`, [MS.BIND, 0, 2, 1, 0], [
        d.path,
        dest,
        "",
        "",
      ]);
    }
  }

  if (!input.noNewKeyring) add(Op.KEYRING, "new session keyring", [], [`_ses.${input.id ?? ""}`]);
  // prestart/createRuntime run in the runtime once the mounts exist; createContainer then
  // runs here, in the container's namespaces, before the root is switched.
  const hooks = spec.hooks ?? {};
  if (hooks.prestart?.length || hooks.createRuntime?.length || hooks.createContainer?.length) {
    add(Op.SYNC_HOOKS, "hooks: wait for prestart and createRuntime hooks");
  }
  addHookOps(add, "createContainer", hooks.createContainer, 0);
  if (input.noPivot) add(Op.MOVE_ROOT, "root.path: move rootfs to / (no pivot)");
  else add(Op.PIVOT, "root.path: pivot_root");
  // A cwd the image lacks is made as root, before / can turn read-only (runc, crun too).
  add(Op.CHDIR, "process.cwd: create if missing", [1], [proc.cwd]);

  if (!userns) {
    for (const [i, d] of devices.entries()) {
      const mode = ((d.fileMode ?? 0o666) & 0o7777) | (S_IF[d.type] ?? 0);
      add(Op.MKNOD, `${deviceLabel(i, d.path)}: create ${d.path}`, [
        mode,
        makedev(d.major ?? 0, d.minor ?? 0),
        d.uid ?? 0,
        d.gid ?? 0,
      ], [d.path]);
    }
  }
  if (!devIsBound) {
    for (const [target, link] of DEV_SYMLINKS) {
      add(Op.SYMLINK, `${devField}: symlink ${link}`, [], [target, link]);
    }
  }
  if (rootProp) add(Op.MOUNT, "linux.rootfsPropagation", [propFlags], ["", "/", "", ""]);

  // Before /proc/sys turns read-only (engines list it in readonlyPaths), as runc orders it.
  for (const [k, v] of Object.entries(linux.sysctl ?? {})) {
    add(Op.WRITE_FILE, `linux.sysctl.${k}`, [], [`/proc/sys/${k.replaceAll(".", "/")}`, v]);
  }
  for (const [i, p] of (linux.maskedPaths ?? []).entries()) {
    add(Op.MASK_PATH, `linux.maskedPaths[${i}]: mask ${p}`, [], [p]);
  }
  for (const [i, p] of (linux.readonlyPaths ?? []).entries()) {
    add(Op.MOUNT, `linux.readonlyPaths[${i}]: bind ${p}`, [MS.BIND | MS.REC, 1], [p, p, "", ""]);
    add(Op.MOUNT, `linux.readonlyPaths[${i}]: remount ${p} read-only`, [
      MS.REMOUNT | MS.BIND | MS.RDONLY | MS.NOSUID | MS.NODEV | MS.NOEXEC,
      1,
    ], ["", p, "", ""]);
  }
  if (spec.root?.readonly) {
    add(Op.MOUNT, "root.readonly: remount / read-only", [MS.REMOUNT | MS.BIND | MS.RDONLY], [
      "",
      "/",
      "",
      "",
    ]);
  }

  if (spec.hostname !== undefined && spec.hostname !== "") {
    add(Op.SETHOSTNAME, "hostname", [], [spec.hostname]);
  }
  if (spec.domainname !== undefined && spec.domainname !== "") {
    add(Op.SETDOMAINNAME, "domainname", [], [spec.domainname]);
  }
  if (newNs.has("network")) add(Op.LO_UP, "linux.namespaces: bring up lo");
  if (proc.oomScoreAdj !== undefined) {
    add(Op.WRITE_FILE, "process.oomScoreAdj", [], [
      "/proc/self/oom_score_adj",
      String(proc.oomScoreAdj),
    ]);
  }
  addProcessOps(add, withHome(proc, rootfs), linux, input, true, hooks.startContainer);
  return { cloneFlags, ops };
}

/**
 * `process` with HOME set, when its env lacks one, to the home of `user.uid` in the image's
 * /etc/passwd (else `/`), as runc and crun set it.
 */
export function withHome(proc: Process, rootfs: string): Process {
  if ((proc.env ?? []).some((e) => e.startsWith("HOME="))) return proc;
  const uid = proc.user?.uid ?? 0;
  let home = "/";
  try {
    const path = join(rootfs, resolveInRoot(rootfs, "/etc/passwd", ""));
    // An image's file, so no fifo (it would block) and nothing huge.
    const st = Deno.lstatSync(path);
    if (!st.isFile || st.size > 1 << 20) throw new Error("not a plain passwd file");
    const passwd = Deno.readTextFileSync(path);
    for (const line of passwd.split("\n")) {
      const f = line.split(":");
      if (f.length >= 7 && Number(f[2]) === uid && f[2] !== "") {
        home = f[5] || "/";
        break;
      }
    }
  } catch { /* no passwd in the image: "/" */ }
  return { ...proc, env: [...(proc.env ?? []), `HOME=${home}`] };
}

/**
 * The init reopens its exec fifo after the rlimits apply, as its lowest free fd (3 plus the
 * preserved fds): a smaller RLIMIT_NOFILE would only fail after `create` had said yes.
 */
function checkNofile(proc: Process, preserveFds: number): void {
  const i = (proc.rlimits ?? []).findIndex((r) => r.type === "RLIMIT_NOFILE");
  if (i < 0) return;
  const least = 4 + preserveFds;
  if (proc.rlimits![i].soft < least) {
    throw new SpecError(
      `process.rlimits[${i}].soft`,
      `RLIMIT_NOFILE must be at least ${least}: the init opens one more fd before exec`,
    );
  }
}

/**
 * The AFFINITY op for `process.execCPUAffinity.<which>` (a cpu list): the cpu_set_t bytes
 * sched_setaffinity takes, or nothing when the field is absent.
 */
function affinityOp(add: Add, proc: Process, which: "initial" | "final"): void {
  const list = proc.execCPUAffinity?.[which];
  if (list === undefined) return;
  const cpus = parseCpuList(list);
  if (!cpus.length) return;
  const mask = new Uint8Array(Math.max(128, Math.ceil((Math.max(...cpus) + 1) / 64) * 8));
  for (const c of cpus) mask[c >> 3] |= 1 << (c & 7);
  add(Op.AFFINITY, `process.execCPUAffinity.${which}: run on cpus ${list}`, [], [mask]);
}

/** What both the init and an exec'd process do last: limits, ids, caps, filter, exec. */
function addProcessOps(
  add: Add,
  proc: Process,
  linux: Linux,
  input: Pick<PlanInput, "seccomp" | "preserveFds" | "bindUntilStart" | "setgroupsDenied">,
  waitForStart: boolean,
  startHooks?: Hook[],
): void {
  for (const [i, r] of (proc.rlimits ?? []).entries()) {
    add(Op.RLIMIT, `process.rlimits[${i}]: ${r.type}`, [RLIMITS[r.type], u64(r.soft), u64(r.hard)]);
  }
  if (linux.personality) {
    add(Op.PERSONALITY, "linux.personality", [linux.personality.domain === "LINUX32" ? 0x0008 : 0]);
  }
  if (proc.ioPriority) {
    add(Op.IOPRIO, "process.ioPriority", [
      IOPRIO_CLASSES[proc.ioPriority.class],
      proc.ioPriority.priority,
    ]);
  }
  if (proc.scheduler) {
    const sc = proc.scheduler;
    const flags = (sc.flags ?? []).reduce((f, n) => f | (SCHED_FLAGS[n] ?? 0), 0);
    add(Op.SCHED, "process.scheduler", [
      SCHED_POLICIES[sc.policy],
      flags,
      BigInt.asUintN(32, BigInt(sc.nice ?? 0)),
      sc.priority ?? 0,
      sc.runtime ?? 0,
      sc.deadline ?? 0,
      sc.period ?? 0,
    ]);
  }
  add(Op.SETSID, "setsid");
  if (proc.terminal) {
    add(Op.CONSOLE, "process.terminal: set up the pty", [
      proc.consoleSize?.height ?? 0,
      proc.consoleSize?.width ?? 0,
    ]);
  }

  // Close what the init inherited from the runtime before any filter exists (a profile need
  // not allow close_range); what is opened after this is close-on-exec.
  add(Op.CLOSE_FDS, "close inherited fds", [
    3 + (input.preserveFds ?? 0),
    ...(input.seccomp?.listenerFd !== undefined && input.seccomp.listenerFd >= 0
      ? [input.seccomp.listenerFd]
      : []),
  ]);

  // Seccomp without no_new_privs must go in while we still hold CAP_SYS_ADMIN; with it, as
  // late as possible so the profile need not allow the runtime's own setup.
  const seccompOp = () => {
    const s = input.seccomp!;
    add(Op.SECCOMP, "linux.seccomp", [
      s.flags,
      s.listenerFd ?? NONE,
      s.timeoutMs ?? DEFAULT_SECCOMP_TIMEOUT_MS,
    ], [
      s.program,
    ]);
  };
  if (input.seccomp && !proc.noNewPrivileges) seccompOp();

  const user = proc.user;
  // No capabilities object means no capabilities, as runc reads it: a process must never
  // keep the runtime's own full set (mount, module loading) because a field was left out.
  const caps = proc.capabilities ?? {};
  const last = lastCap();
  add(Op.CAPS_BOUNDING, "process.capabilities.bounding", [
    capMask(caps.bounding, "process.capabilities.bounding", last),
    last,
  ]);
  add(Op.PRCTL, "keep capabilities across setuid", [PR_SET_KEEPCAPS, 1, 0]);
  if (!input.setgroupsDenied) {
    const groups = new Uint8Array(4 * (user.additionalGids?.length ?? 0));
    (user.additionalGids ?? []).forEach((g, i) =>
      new DataView(groups.buffer).setUint32(i * 4, g, true)
    );
    add(Op.SETGROUPS, "process.user.additionalGids", [], [groups]);
  } else if (user.additionalGids?.length) {
    throw new SpecError(
      "process.user.additionalGids",
      "cannot be set: with a single mapped gid setgroups is denied (map a range from " +
        "/etc/subgid to use them)",
    );
  }
  add(Op.SETRESGID, "process.user.gid", [user.gid, user.gid, user.gid]);
  add(Op.SETRESUID, "process.user.uid", [user.uid, user.uid, user.uid]);
  add(Op.PRCTL, "stop keeping capabilities", [PR_SET_KEEPCAPS, 0, 0]);
  const permitted = capMask(caps.permitted, "process.capabilities.permitted", last);
  const inheritable = capMask(caps.inheritable, "process.capabilities.inheritable", last);
  add(Op.CAPSET, "process.capabilities", [
    capMask(caps.effective, "process.capabilities.effective", last),
    permitted,
    inheritable,
  ]);
  // The kernel raises an ambient cap only if it is permitted and inheritable; like runc we
  // leave the others out rather than fail (`runc spec` itself lists ambient caps that way).
  const ambient = capMask(caps.ambient, "process.capabilities.ambient", last) & permitted &
    inheritable;
  if (ambient) add(Op.CAPS_AMBIENT, "process.capabilities.ambient", [ambient, last]);
  add(Op.UMASK, "process.user.umask", [user.umask ?? 0o022]);
  add(Op.CHDIR, "process.cwd", [], [proc.cwd]);
  if (proc.noNewPrivileges) add(Op.PRCTL, "process.noNewPrivileges", [PR_SET_NO_NEW_PRIVS, 1, 0]);

  // Resolved as the container's user in its cwd, and, with no_new_privs, before the filter.
  const env = proc.env ?? [];
  const pathVar = env.findLast((e) => e.startsWith("PATH="))?.slice(5) ??
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  const args = proc.args ?? [];
  add(Op.RESOLVE_EXEC, `process.args[0]: ${args[0]}`, [], [args[0], pathVar]);
  // Nothing of ours after the filter but READY (a store the seccomp helper sends), the
  // exec fifo and execve: a profile may deny or notify any other syscall.
  const bind = waitForStart && input.bindUntilStart;
  if (!bind) add(Op.PRCTL, "clear parent-death signal", [PR_SET_PDEATHSIG, 0, 0]);
  if (input.seccomp && proc.noNewPrivileges) seccompOp();
  add(Op.READY, "report ready");
  if (waitForStart) add(Op.FIFO_WAIT, "wait for start (exec fifo)", [0]);
  // Best effort (num 3): after the filter a profile may deny prctl; the container then only
  // keeps dying with its `run`.
  if (bind) add(Op.PRCTL, "clear parent-death signal", [PR_SET_PDEATHSIG, 0, 0, 1]);
  addHookOps(add, "startContainer", startHooks, 1);
  add(Op.EXEC, `process.args[0]: exec ${args[0]}`, [args.length], [...args, ...env]);
}

type Add = (
  kind: PlanOp["kind"],
  label: string,
  nums?: PlanOp["nums"],
  strs?: PlanOp["strs"],
) => void;

function addMount(
  add: Add,
  m: Mount,
  dest: string,
  field: string,
  cgroupLines?: string[],
  cg: CgroupView = { cgroupns: false, userns: false },
  tree?: number,
) {
  const o = parseMountOptions(m.options, m.type);
  const label = `${field}: mount ${m.type ?? "bind"} on ${m.destination}`;
  const rel = dest.slice(1) || ".";
  const propagation = o.propagation.reduce((a, b) => a | b, 0);
  if (o.bind) {
    let kind = 1;
    try {
      if (!Deno.statSync(m.source!).isDirectory) kind = 2;
    } catch { /* validation already reported missing sources */ }
    if (tree !== undefined) {
      add(Op.MOUNT_TREE, `${field}: move the bind tree onto ${m.destination}`, [tree, kind], [
        rel,
      ]);
      return;
    }
    const flags = MS.BIND | (o.recursive ? MS.REC : 0);
    add(Op.MOUNT_IN_ROOT, label, [
      flags,
      propagation,
      kind,
      1,
      bindRemountFlags(o),
      o.attrSet,
      o.attrClr,
    ], [
      m.source!,
      rel,
      "",
      "",
    ]);
    return;
  }
  if (m.type === "cgroup" || m.type === "cgroup2") {
    addCgroupMount(add, o.flags, dest, label, m.type, cgroupLines, cg);
    return;
  }
  add(Op.MOUNT_IN_ROOT, label, [o.flags, propagation, 1, 0, 0, o.attrSet, o.attrClr], [
    m.source ?? m.type ?? "none",
    rel,
    m.type ?? "",
    o.data,
  ]);
}

/** What a cgroup mount needs to know about the container. */
interface CgroupView {
  /** It has its own cgroup namespace. */
  cgroupns: boolean;
  /** It has a user namespace. */
  userns: boolean;
  /** Its cgroup directory per controller. */
  paths?: Record<string, string>;
}

/** Reads the caller's cgroup membership lines. */
function ownCgroupLines(): string[] {
  try {
    return Deno.readTextFileSync("/proc/self/cgroup").trim().split("\n");
  } catch {
    return [];
  }
}

/**
 * On a cgroup v2 host, one cgroup2 mount. On v1, a tmpfs with one mount per hierarchy
 * (runc's layout), made read-only afterwards when the options say ro.
 */
function addCgroupMount(
  add: Add,
  flags: number,
  dest: string,
  label: string,
  type: string,
  lines?: string[],
  cg: CgroupView = { cgroupns: false, userns: false },
) {
  const rel = dest.slice(1);
  const all = lines ?? ownCgroupLines();
  const v1 = all.map((l) => l.split(":")).filter((p) => p[0] !== "0" && p[1] !== "");
  if (type === "cgroup2" || v1.length === 0) {
    add(Op.MOUNT_IN_ROOT, label, [flags, 0, 1, 0, 0], ["cgroup2", rel, "cgroup2", ""]);
    return;
  }
  // Keep the tmpfs's fd (slot 1) when it turns read-only after its submounts exist.
  const keep = flags & MS.RDONLY ? 1 : 0;
  add(Op.MOUNT_IN_ROOT, `${label} (tmpfs)`, [
    MS.NOSUID | MS.NODEV | MS.NOEXEC,
    0,
    1,
    0,
    0,
    0,
    0,
    keep,
  ], ["tmpfs", rel, "tmpfs", "mode=755"]);
  for (const [, controllers, path] of v1) {
    const name = controllers.startsWith("name=") ? controllers.slice(5) : controllers;
    const data = controllers.startsWith("name=") ? `none,${controllers}` : controllers;
    // Without a cgroup namespace a cgroupfs mount would show the whole host hierarchy (and
    // a user namespace may not mount one at all): bind the container's own cgroup there,
    // as runc does.
    const own = cg.paths?.[controllers.split(",")[0]];
    if (!cg.cgroupns && (own || cg.userns)) {
      add(Op.MOUNT_IN_ROOT, `${label} (${name})`, [
        MS.BIND | MS.REC,
        0,
        1,
        1,
        MS.REMOUNT | MS.BIND | (flags & MS.RDONLY) | MS.NOSUID | MS.NODEV | MS.NOEXEC,
      ], [own ?? join("/sys/fs/cgroup", name, path ?? "/"), `${rel}/${name}`, "", ""]);
      continue;
    }
    add(Op.MOUNT_IN_ROOT, `${label} (${name})`, [
      flags | MS.NOSUID | MS.NODEV | MS.NOEXEC,
      0,
      1,
      0,
      0,
    ], ["cgroup", `${rel}/${name}`, "cgroup", data]);
  }
  if (keep) {
    // Through the fd kept above: a path here would be resolved again, on the host, where a
    // symlink swapped into the rootfs could point it at any filesystem.
    add(Op.SETATTR_SLOT, `${label} (read-only)`, [
      1,
      MOUNT_ATTR.RDONLY | MOUNT_ATTR.NOSUID | MOUNT_ATTR.NODEV | MOUNT_ATTR.NOEXEC,
      0,
    ]);
  }
}

/** What an exec'd process needs besides its Process. */
export interface ExecPlanInput {
  /** The process to run (already merged with the container's defaults). */
  process: Process;
  /** The container's linux section (personality, seccomp source). */
  linux: Linux;
  /** Namespaces to join, with /proc/<init>/ns/* paths; those equal to ours are left out. */
  namespaces: LinuxNamespace[];
  /** Pass fds 3 .. 3+N-1. */
  preserveFds?: number;
  /** The container's filter, and the listener socket when it notifies. */
  seccomp?: PlanInput["seccomp"];
  /** The container's user namespace denies setgroups (see PlanInput). */
  setgroupsDenied?: boolean;
}

/**
 * The plan of `exec`: become non-dumpable (so nothing in the container can reach the
 * runtime through /proc/<pid>/exe), join the container's namespaces, fork into its pid
 * namespace, wait for the runtime (cgroup join), then the same process setup as the init.
 */
export function buildExecPlan(input: ExecPlanInput): LaunchPlan {
  checkPreservedFds(input.preserveFds ?? 0);
  const ops: PlanOp[] = [];
  const add: Add = (kind, label, nums = [], strs = []) => ops.push({ kind, label, nums, strs });
  add(Op.SIGNALS_RESET, "reset signal handlers");
  affinityOp(add, input.process, "initial");
  add(Op.PRCTL, "mark non-dumpable", [PR_SET_DUMPABLE, 0, 0]);
  const joins = inJoinOrder(input.namespaces);
  for (const ns of joins) {
    add(Op.SETNS, `join ${ns.type} namespace`, [NAMESPACE_FLAGS[ns.type]], [ns.path!]);
  }
  add(Op.FORK_PID, "fork into the container's pid namespace", [0]);
  add(Op.WAIT_PARENT, "wait for the runtime (cgroups)");
  affinityOp(add, input.process, "final");
  addProcessOps(add, input.process, input.linux, input, false);
  return { cloneFlags: 0, ops };
}

/** RUN_HOOK ops for hooks the init runs itself; `state` 0 = creating, 1 = created. */
function addHookOps(add: Add, kind: string, hooks: Hook[] | undefined, state: number): void {
  for (const [i, h] of (hooks ?? []).entries()) {
    const args = h.args?.length ? h.args : [h.path];
    add(Op.RUN_HOOK, `hooks.${kind}[${i}]: run ${h.path}`, [
      args.length,
      (h.timeout ?? 0) * 1000,
      state,
    ], [
      h.path,
      ...args,
      ...(h.env ?? []),
    ]);
  }
}
