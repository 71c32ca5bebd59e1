/**
 * Validation of an OCI runtime-spec `config.json` into a typed {@link Spec}.
 *
 * Every problem is reported as a {@link SpecError} naming the JSON path of the offending field
 * (`mounts[3].source: ...`), and only the first problem is reported: later checks may rely on
 * earlier ones having passed. Unknown properties are kept and ignored, as the spec requires.
 *
 * The returned Spec is a copy of the input with a few normalisations so later layers never need
 * the bundle directory again:
 * - `root.path` is made absolute against the bundle;
 * - relative bind-mount sources are made absolute against the bundle;
 * - relative mount destinations are taken as relative to the container's `/` (runc accepts
 *   them with a warning; we accept them silently and make them absolute);
 * - an empty namespace `path` is dropped (Go encoders write `""` for "no path");
 * - JSON `null` in an optional field is dropped, so consumers only ever see `undefined`.
 *
 * Symlink escapes of mount destinations are checked later, against the real rootfs.
 * @module
 */

import { isAbsolute, join, posix, resolve } from "../path.ts";
import { CAPABILITIES } from "../caps.ts";
import { IOPRIO_CLASSES, RLIMITS, SCHED_FLAGS, SCHED_POLICIES } from "./linux_constants.ts";
export { RLIMITS };
import { HOOK_KINDS } from "../hooks.ts";
import { SpecError } from "../errors.ts";
import { parseCpuList } from "./cpu_list.ts";
import { ACTIONS, OPERATORS, PROFILE_FLAGS } from "../seccomp/constants.ts";
import type { Mount, Spec } from "./types.ts";

/**
 * Every bare mount option word drun understands (flags, propagation, recursive `mount_setattr`
 * forms and the OCI extensions). The mount planner must handle each of these; anything else on a
 * non-bind mount is handed to the filesystem as data.
 */
export const KNOWN_MOUNT_OPTIONS: ReadonlySet<string> = new Set([
  "defaults",
  "ro",
  "rw",
  "suid",
  "nosuid",
  "dev",
  "nodev",
  "exec",
  "noexec",
  "sync",
  "async",
  "dirsync",
  "remount",
  "mand",
  "nomand",
  "atime",
  "noatime",
  "diratime",
  "nodiratime",
  "relatime",
  "norelatime",
  "strictatime",
  "nostrictatime",
  "iversion",
  "noiversion",
  "lazytime",
  "nolazytime",
  "symfollow",
  "nosymfollow",
  "silent",
  "loud",
  "bind",
  "rbind",
  "unbindable",
  "runbindable",
  "private",
  "rprivate",
  "shared",
  "rshared",
  "slave",
  "rslave",
  "rro",
  "rrw",
  "rnosuid",
  "rsuid",
  "rnodev",
  "rdev",
  "rnoexec",
  "rexec",
  "rnodiratime",
  "rdiratime",
  "rrelatime",
  "rnorelatime",
  "rnoatime",
  "ratime",
  "rstrictatime",
  "rnostrictatime",
  "rnosymfollow",
  "rsymfollow",
  "idmap",
  "ridmap",
  "tmpcopyup",
]);

// Filesystems accepted even when the host has not registered them yet: the kernel loads
// filesystem modules on demand at mount time, so /proc/filesystems alone would be too strict.
const KNOWN_FS_TYPES = new Set([
  "proc",
  "sysfs",
  "tmpfs",
  "devpts",
  "mqueue",
  "cgroup",
  "cgroup2",
  "overlay",
  "ramfs",
  "hugetlbfs",
  "securityfs",
  "debugfs",
  "tracefs",
  "fusectl",
  "binfmt_misc",
  "devtmpfs",
  "bpf",
  "pstore",
  "configfs",
  "efivarfs",
  "nsfs",
  "fuse",
  "fuseblk",
  "ext2",
  "ext3",
  "ext4",
  "xfs",
  "btrfs",
  "squashfs",
  "erofs",
  "vfat",
  "iso9660",
  "nfs",
  "nfs4",
  "cifs",
  "smb3",
  "9p",
  "virtiofs",
]);

// The capability table lives in lib/caps.ts so validation and the cap masks cannot disagree.
const KNOWN_CAPS: ReadonlySet<string> = new Set(CAPABILITIES);
const NAMESPACE_TYPES = new Set([
  "pid",
  "network",
  "mount",
  "ipc",
  "uts",
  "user",
  "cgroup",
  "time",
]);
const PROPAGATIONS = new Set([
  "shared",
  "slave",
  "private",
  "unbindable",
  "rshared",
  "rslave",
  "rprivate",
  "runbindable",
]);
const CAP_SETS = ["bounding", "effective", "inheritable", "permitted", "ambient"] as const;
// Sysctls that live in the IPC namespace; anything else outside net.* and the UTS names is
// host-wide, and writing it from the container setup would change the host.
const IPC_SYSCTLS = new Set([
  "kernel.msgmax",
  "kernel.msgmnb",
  "kernel.msgmni",
  "kernel.sem",
  "kernel.shmall",
  "kernel.shmmax",
  "kernel.shmmni",
  "kernel.shm_rmid_forced",
]);
const UTS_SYSCTLS = new Set(["kernel.hostname", "kernel.domainname"]);

// __NEW_UTS_LEN: the kernel refuses longer host and domain names.
const MAX_UTS_NAME = 64;
// The kernel refuses uid_map/gid_map files with more lines than this.
const MAX_ID_MAPPINGS = 340;

type Json = Record<string, unknown>;

interface Ctx {
  bundle: string;
  checkFs: boolean;
}

/** Options of {@link validateSpec}. */
export interface ValidateOptions {
  /** Bundle directory; relative `root.path` and bind sources are resolved against it. */
  bundle: string;
  /** Also check the filesystem: rootfs, bind sources and namespace files must exist. */
  checkFs?: boolean;
}

export { parseCpuList };

/**
 * Whether a mount is a bind mount: type `bind`/`rbind`, or a `bind`/`rbind` option (which is
 * how runc-style configs say it, usually with type `none` or no type at all).
 */
export function isBindMount(m: Pick<Mount, "type" | "options">): boolean {
  if (m.type === "bind" || m.type === "rbind") return true;
  return (m.options ?? []).some((o) => o === "bind" || o === "rbind");
}

/**
 * Validates a parsed `config.json` and returns it as a typed {@link Spec} (a normalised copy;
 * see the module documentation). Throws a {@link SpecError} for the first problem found.
 */
export function validateSpec(raw: unknown, opts: ValidateOptions): Spec {
  if (!isObject(raw)) fail("config.json", "must be a JSON object");
  let spec: Json;
  try {
    spec = structuredClone(raw);
  } catch {
    fail("config.json", "must contain only JSON data");
  }
  const ctx: Ctx = { bundle: resolve(opts.bundle), checkFs: opts.checkFs ?? false };

  const version = asString(need(spec, "ociVersion", ""), "ociVersion");
  const vm = /^(\d+)\.(\d+)\.(\d+)(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/.exec(version);
  if (!vm) fail("ociVersion", `must be a SemVer version, got "${version}"`);
  if (vm[1] !== "1") fail("ociVersion", `unsupported major version in "${version}"`);

  checkRoot(asObject(need(spec, "root", ""), "root"), ctx);
  checkProcess(asObject(need(spec, "process", ""), "process"));
  for (const key of ["hostname", "domainname"]) {
    const name = optCString(spec, key, "");
    if (name !== undefined && new TextEncoder().encode(name).length > MAX_UTS_NAME) {
      fail(key, `must be at most ${MAX_UTS_NAME} bytes`);
    }
  }
  const mounts = optArray(spec, "mounts", "");
  mounts?.forEach((m, i) => checkMount(m, `mounts[${i}]`, ctx));
  checkHooks(spec);
  const annotations = optObject(spec, "annotations", "");
  if (annotations) {
    for (const [k, v] of Object.entries(annotations)) {
      if (k === "") fail(`annotations[""]`, "key must not be empty");
      asString(v, keyPath("annotations", k));
    }
  }
  const linux = optObject(spec, "linux", "") ?? {};
  checkLinux(linux, ctx);
  checkCrossFields(spec, linux);
  return spec as unknown as Spec;
}

/**
 * Reads and validates `<bundle>/config.json`, checking the filesystem too (rootfs, bind
 * sources, namespace files). Throws {@link SpecError} with path `config.json` when the file is
 * missing or not JSON, and with the field's path for any other problem.
 */
export async function loadSpec(bundle: string): Promise<Spec> {
  const dir = resolve(bundle);
  const file = join(dir, "config.json");
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new SpecError("config.json", `no such file in bundle ${dir}`);
    }
    throw new SpecError("config.json", `cannot read ${file}: ${oneLine(e)}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new SpecError("config.json", `invalid JSON: ${oneLine(e)}`);
  }
  return validateSpec(raw, { bundle: dir, checkFs: true });
}

// ---------------------------------------------------------------------------------------------
// Sections

function checkRoot(root: Json, ctx: Ctx): void {
  const p = asCString(need(root, "path", "root"), "root.path");
  if (p === "") fail("root.path", "must not be empty");
  optBool(root, "readonly", "root");
  const abs = isAbsolute(p) ? p : resolve(ctx.bundle, p);
  root.path = abs;
  if (ctx.checkFs) {
    const st = statOrNull(abs, "root.path");
    if (!st) fail("root.path", `no such directory: ${abs}`);
    if (!st.isDirectory) fail("root.path", `not a directory: ${abs}`);
  }
}

function checkProcess(proc: Json): void {
  const base = "process";
  const terminal = optBool(proc, "terminal", base);
  const consoleSize = optObject(proc, "consoleSize", base);
  if (consoleSize) {
    uint32(need(consoleSize, "height", "process.consoleSize"), "process.consoleSize.height");
    uint32(need(consoleSize, "width", "process.consoleSize"), "process.consoleSize.width");
    if (!terminal) fail("process.consoleSize", "requires process.terminal to be true");
  }

  const user = asObject(need(proc, "user", base), "process.user");
  uint32(need(user, "uid", "process.user"), "process.user.uid");
  uint32(need(user, "gid", "process.user"), "process.user.gid");
  const umask = get(user, "umask");
  if (umask !== undefined) intIn(umask, "process.user.umask", 0, 0o777, "must be in 0..0o777");
  optArray(user, "additionalGids", "process.user")?.forEach((g, i) =>
    uint32(g, `process.user.additionalGids[${i}]`)
  );
  optString(user, "username", "process.user");

  const args = get(proc, "args");
  if (!Array.isArray(args) || args.length === 0) fail("process.args", "must be a non-empty array");
  args.forEach((a, i) => asCString(a, `process.args[${i}]`));
  if (args[0] === "") fail("process.args[0]", "must not be empty");
  optString(proc, "commandLine", base);
  checkEnv(proc, base);
  const cwd = asCString(need(proc, "cwd", base), "process.cwd");
  if (!cwd.startsWith("/")) fail("process.cwd", "must be an absolute path");

  const caps = optObject(proc, "capabilities", base);
  if (caps) {
    for (const set of CAP_SETS) {
      optArray(caps, set, "process.capabilities")?.forEach((c, i) => {
        const p = `process.capabilities.${set}[${i}]`;
        const name = asString(c, p);
        if (!KNOWN_CAPS.has(name)) fail(p, `unknown capability "${name}"`);
      });
    }
  }

  const seen = new Set<string>();
  optArray(proc, "rlimits", base)?.forEach((r, i) => {
    const p = `process.rlimits[${i}]`;
    const rl = asObject(r, p);
    const type = asString(need(rl, "type", p), `${p}.type`);
    if (!Object.hasOwn(RLIMITS, type)) fail(`${p}.type`, `unknown rlimit type "${type}"`);
    if (seen.has(type)) fail(`${p}.type`, `duplicate rlimit type "${type}"`);
    seen.add(type);
    const hard = uint64(need(rl, "hard", p), `${p}.hard`);
    const soft = uint64(need(rl, "soft", p), `${p}.soft`);
    if (soft > hard) fail(`${p}.soft`, `must not exceed hard (${soft} > ${hard})`);
  });

  optBool(proc, "noNewPrivileges", base);
  optString(proc, "apparmorProfile", base);
  const oom = get(proc, "oomScoreAdj");
  if (oom !== undefined) intIn(oom, "process.oomScoreAdj", -1000, 1000);
  optString(proc, "selinuxLabel", base);

  const io = optObject(proc, "ioPriority", base);
  if (io) {
    const cls = asString(need(io, "class", "process.ioPriority"), "process.ioPriority.class");
    if (!Object.hasOwn(IOPRIO_CLASSES, cls)) {
      fail("process.ioPriority.class", `unknown class "${cls}"`);
    }
    intIn(need(io, "priority", "process.ioPriority"), "process.ioPriority.priority", 0, 7);
  }

  const sched = optObject(proc, "scheduler", base);
  if (sched) checkScheduler(sched);

  const aff = optObject(proc, "execCPUAffinity", base);
  if (aff) {
    for (const k of ["initial", "final"]) {
      const v = optString(aff, k, "process.execCPUAffinity");
      if (v !== undefined) cpuList(v, `process.execCPUAffinity.${k}`);
    }
  }
}

function checkScheduler(s: Json): void {
  const base = "process.scheduler";
  const policy = asString(need(s, "policy", base), `${base}.policy`);
  if (!Object.hasOwn(SCHED_POLICIES, policy)) fail(`${base}.policy`, `unknown policy "${policy}"`);
  const nice = get(s, "nice");
  if (nice !== undefined) intIn(nice, `${base}.nice`, -20, 19);
  const prio = get(s, "priority");
  if (prio !== undefined) {
    // sched_setattr rejects a static priority outside 1..99 for the real-time policies and
    // anything but 0 for the others; say so here rather than as an EINVAL at start.
    if (policy === "SCHED_FIFO" || policy === "SCHED_RR") {
      intIn(prio, `${base}.priority`, 1, 99);
    } else {
      intIn(prio, `${base}.priority`, 0, 0, `must be 0 for ${policy}`);
    }
  }
  optArray(s, "flags", base)?.forEach((f, i) => {
    const name = asString(f, `${base}.flags[${i}]`);
    if (!Object.hasOwn(SCHED_FLAGS, name)) fail(`${base}.flags[${i}]`, `unknown flag "${name}"`);
  });
  for (const k of ["runtime", "deadline", "period"]) {
    const v = get(s, k);
    if (v !== undefined) uint64(v, `${base}.${k}`);
  }
}

function checkEnv(o: Json, base: string): void {
  optArray(o, "env", base)?.forEach((e, i) => {
    const p = `${base}.env[${i}]`;
    const s = asCString(e, p);
    if (s.indexOf("=") < 1) fail(p, "must be of the form KEY=value");
  });
}

function checkMount(raw: unknown, base: string, ctx: Ctx): void {
  const m = asObject(raw, base);
  let dest = asCString(need(m, "destination", base), `${base}.destination`);
  if (dest === "") fail(`${base}.destination`, "must not be empty");
  if (!dest.startsWith("/")) {
    dest = posix.join("/", dest);
    m.destination = dest;
  }
  const type = optString(m, "type", base);
  const source = optCString(m, "source", base);
  const options = optArray(m, "options", base)?.map((o, j) =>
    asCString(o, `${base}.options[${j}]`)
  );
  const bind = isBindMount({ type, options });

  if (type === undefined || type === "") {
    if (!bind) fail(`${base}.type`, "required for a non-bind mount");
  } else if (type === "none") {
    if (!bind) fail(`${base}.type`, `"none" requires the bind or rbind option`);
  } else if (type !== "bind" && type !== "rbind" && !isKnownFsType(type)) {
    fail(`${base}.type`, `unknown mount type "${type}"`);
  }

  options?.forEach((o, j) => {
    if (o.includes("=") || KNOWN_MOUNT_OPTIONS.has(o)) return;
    // A bind mount has no filesystem to hand unknown words to, so they can only be typos.
    if (bind) fail(`${base}.options[${j}]`, `unknown mount option "${o}"`);
  });

  const uidMaps = optArray(m, "uidMappings", base);
  const gidMaps = optArray(m, "gidMappings", base);
  uidMaps?.forEach((x, j) => checkIdMapping(x, `${base}.uidMappings[${j}]`));
  gidMaps?.forEach((x, j) => checkIdMapping(x, `${base}.gidMappings[${j}]`));
  if (uidMaps && !gidMaps) fail(`${base}.gidMappings`, "required when uidMappings is set");
  if (gidMaps && !uidMaps) fail(`${base}.uidMappings`, "required when gidMappings is set");
  if (!bind) {
    const idx = options?.findIndex((o) => o === "idmap" || o === "ridmap") ?? -1;
    const where = uidMaps ? `${base}.uidMappings` : idx >= 0 ? `${base}.options[${idx}]` : "";
    if (where) fail(where, "idmapped mounts are only supported for bind mounts");
  }

  if (bind) {
    if (source === undefined || source === "") fail(`${base}.source`, "required for a bind mount");
    const abs = isAbsolute(source) ? source : resolve(ctx.bundle, source);
    m.source = abs;
    if (ctx.checkFs && !statOrNull(abs, `${base}.source`)) {
      fail(`${base}.source`, `no such file or directory: ${abs}`);
    }
  }
}

function checkHooks(spec: Json): void {
  const hooks = optObject(spec, "hooks", "");
  if (!hooks) return;
  for (const kind of HOOK_KINDS) {
    optArray(hooks, kind, "hooks")?.forEach((h, i) => {
      const p = `hooks.${kind}[${i}]`;
      const hook = asObject(h, p);
      const path = asCString(need(hook, "path", p), `${p}.path`);
      if (!path.startsWith("/")) fail(`${p}.path`, "must be an absolute path");
      optArray(hook, "args", p)?.forEach((a, j) => asCString(a, `${p}.args[${j}]`));
      checkEnv(hook, p);
      const timeout = get(hook, "timeout");
      if (timeout !== undefined) {
        intIn(timeout, `${p}.timeout`, 1, 2 ** 31 - 1, "must be a positive integer");
      }
    });
  }
}

function checkLinux(linux: Json, ctx: Ctx): void {
  const base = "linux";
  const seen = new Set<string>();
  optArray(linux, "namespaces", base)?.forEach((n, i) => {
    const p = `linux.namespaces[${i}]`;
    const ns = asObject(n, p);
    const type = asString(need(ns, "type", p), `${p}.type`);
    if (!NAMESPACE_TYPES.has(type)) fail(`${p}.type`, `unknown namespace type "${type}"`);
    if (seen.has(type)) fail(`${p}.type`, `duplicate namespace type "${type}"`);
    seen.add(type);
    const path = optCString(ns, "path", p);
    if (path === "") {
      delete ns.path;
    } else if (path !== undefined) {
      if (!path.startsWith("/")) fail(`${p}.path`, "must be an absolute path");
      if (ctx.checkFs && !statOrNull(path, `${p}.path`)) {
        fail(`${p}.path`, `no such file or directory: ${path}`);
      }
    }
  });

  for (const key of ["uidMappings", "gidMappings"]) {
    const maps = optArray(linux, key, base);
    if (!maps) continue;
    if (maps.length > MAX_ID_MAPPINGS) {
      fail(`linux.${key}`, `at most ${MAX_ID_MAPPINGS} mappings are supported`);
    }
    maps.forEach((x, i) => checkIdMapping(x, `linux.${key}[${i}]`));
    checkMappingOverlap(maps as Json[], `linux.${key}`);
  }

  const offsets = optObject(linux, "timeOffsets", base);
  if (offsets) {
    for (const clock of Object.keys(offsets)) {
      const p = `linux.timeOffsets.${clock}`;
      if (clock !== "monotonic" && clock !== "boottime") fail(p, `unknown clock "${clock}"`);
      const off = optObject(offsets, clock, "linux.timeOffsets");
      if (!off) continue;
      const secs = get(off, "secs");
      if (secs !== undefined) int64(secs, `${p}.secs`);
      const ns = get(off, "nanosecs");
      if (ns !== undefined) intIn(ns, `${p}.nanosecs`, 0, 999_999_999);
    }
  }

  optArray(linux, "devices", base)?.forEach((d, i) => checkDevice(d, `linux.devices[${i}]`));
  optString(linux, "cgroupsPath", base);
  const res = optObject(linux, "resources", base);
  if (res) checkResources(res);
  const prop = optString(linux, "rootfsPropagation", base);
  if (prop !== undefined && !PROPAGATIONS.has(prop)) {
    fail("linux.rootfsPropagation", `unknown propagation "${prop}"`);
  }
  const seccomp = optObject(linux, "seccomp", base);
  if (seccomp) checkSeccomp(seccomp);

  const sysctl = optObject(linux, "sysctl", base);
  if (sysctl) {
    for (const [k, v] of Object.entries(sysctl)) {
      const p = keyPath("linux.sysctl", k);
      // The key becomes a path under /proc/sys; refuse anything that could leave it.
      if (k === "" || k.split(/[./]/).some((seg) => seg === "" || seg === "..")) {
        fail(p, "invalid sysctl name");
      }
      asCString(v, p);
    }
  }

  for (const key of ["maskedPaths", "readonlyPaths"]) {
    optArray(linux, key, base)?.forEach((x, i) => {
      const p = `linux.${key}[${i}]`;
      if (!asCString(x, p).startsWith("/")) fail(p, "must be an absolute path");
    });
  }
  optString(linux, "mountLabel", base);

  const pers = optObject(linux, "personality", base);
  if (pers) {
    const domain = asString(need(pers, "domain", "linux.personality"), "linux.personality.domain");
    if (domain !== "LINUX" && domain !== "LINUX32") {
      fail("linux.personality.domain", `unknown personality domain "${domain}"`);
    }
    optArray(pers, "flags", "linux.personality")?.forEach((f, i) =>
      asString(f, `linux.personality.flags[${i}]`)
    );
  }

  const rdt = optObject(linux, "intelRdt", base);
  if (rdt) {
    const clos = optString(rdt, "closID", "linux.intelRdt");
    // closID names a directory under /sys/fs/resctrl.
    if (clos !== undefined && (clos === "." || clos === ".." || /[/\0]/.test(clos))) {
      fail("linux.intelRdt.closID", "invalid resctrl group name");
    }
    optString(rdt, "l3CacheSchema", "linux.intelRdt");
    optString(rdt, "memBwSchema", "linux.intelRdt");
    optBool(rdt, "enableCMT", "linux.intelRdt");
    optBool(rdt, "enableMBM", "linux.intelRdt");
  }
}

function checkIdMapping(raw: unknown, p: string): void {
  const m = asObject(raw, p);
  const c = uint32(need(m, "containerID", p), `${p}.containerID`);
  const h = uint32(need(m, "hostID", p), `${p}.hostID`);
  const size = intIn(need(m, "size", p), `${p}.size`, 1, 2 ** 32, "must be a positive integer");
  // The kernel refuses a range that reaches id 4294967295 ((uid_t)-1, "no id") on either side.
  if (c + size > 2 ** 32 - 1 || h + size > 2 ** 32 - 1) {
    fail(`${p}.size`, "range reaches id 4294967295, which cannot be mapped");
  }
}

function checkMappingOverlap(maps: Json[], base: string): void {
  // The kernel refuses a map whose ranges overlap on either side.
  for (let i = 0; i < maps.length; i++) {
    for (let j = 0; j < i; j++) {
      const a = maps[i], b = maps[j];
      const overlaps = (k: "containerID" | "hostID") =>
        (a[k] as number) < (b[k] as number) + (b.size as number) &&
        (b[k] as number) < (a[k] as number) + (a.size as number);
      if (overlaps("containerID") || overlaps("hostID")) {
        fail(`${base}[${i}]`, `overlaps ${base}[${j}]`);
      }
    }
  }
}

function checkDevice(raw: unknown, p: string): void {
  const d = asObject(raw, p);
  const type = asString(need(d, "type", p), `${p}.type`);
  if (!["c", "b", "u", "p"].includes(type)) fail(`${p}.type`, `unknown device type "${type}"`);
  const path = asCString(need(d, "path", p), `${p}.path`);
  if (!path.startsWith("/")) fail(`${p}.path`, "must be an absolute path");
  // Linux dev_t has 12 bits of major and 20 of minor; larger numbers would silently alias.
  for (const [k, max] of [["major", 4095], ["minor", 1048575]] as const) {
    const v = get(d, k);
    if (v === undefined) {
      if (type !== "p") fail(`${p}.${k}`, `required for device type ${type}`);
    } else {
      intIn(v, `${p}.${k}`, 0, max);
    }
  }
  const mode = get(d, "fileMode");
  // Engines (podman) send the host node's whole st_mode, type bits included; the type
  // comes from `type`, so only the permission bits are kept, as runc does.
  if (mode !== undefined) intIn(mode, `${p}.fileMode`, 0, 0o177777, "must be a file mode");
  for (const k of ["uid", "gid"]) {
    const v = get(d, k);
    if (v !== undefined) uint32(v, `${p}.${k}`);
  }
}

function checkResources(r: Json): void {
  const base = "linux.resources";
  optArray(r, "devices", base)?.forEach((x, i) => {
    const p = `${base}.devices[${i}]`;
    const d = asObject(x, p);
    asBool(need(d, "allow", p), `${p}.allow`);
    const type = optString(d, "type", p);
    if (type !== undefined && !["a", "c", "b"].includes(type)) {
      fail(`${p}.type`, `unknown device type "${type}"`);
    }
    for (const k of ["major", "minor"]) {
      const v = get(d, k);
      // -1 is the Go bindings' way of writing the `*` wildcard.
      if (v !== undefined) intIn(v, `${p}.${k}`, -1, 2 ** 32 - 1);
    }
    const access = optString(d, "access", p);
    if (access !== undefined && !/^(?!.*(.).*\1)[rwm]{1,3}$/.test(access)) {
      fail(`${p}.access`, `must be a combination of r, w and m, got "${access}"`);
    }
  });

  const mem = optObject(r, "memory", base);
  if (mem) {
    const p = `${base}.memory`;
    for (const k of ["limit", "reservation", "swap", "kernel", "kernelTCP"]) {
      const v = get(mem, k);
      if (v !== undefined) limit64(v, `${p}.${k}`);
    }
    const sw = get(mem, "swappiness");
    if (sw !== undefined) intIn(sw, `${p}.swappiness`, 0, 100);
    for (const k of ["disableOOMKiller", "useHierarchy", "checkBeforeUpdate"]) optBool(mem, k, p);
    const limit = mem.limit as number | undefined;
    const swap = mem.swap as number | undefined;
    if (limit !== undefined && swap !== undefined && limit > 0 && swap > 0 && swap < limit) {
      // memory.swap is the memory+swap total (memsw), so it cannot be below the memory limit.
      fail(`${p}.swap`, "must not be below memory.limit (it counts memory plus swap)");
    }
  }

  const cpu = optObject(r, "cpu", base);
  if (cpu) {
    const p = `${base}.cpu`;
    for (const k of ["shares", "burst", "period", "realtimePeriod"]) {
      const v = get(cpu, k);
      if (v !== undefined) uint64(v, `${p}.${k}`);
    }
    for (const k of ["quota", "realtimeRuntime"]) {
      const v = get(cpu, k);
      if (v !== undefined) limit64(v, `${p}.${k}`);
    }
    for (const k of ["cpus", "mems"]) {
      const v = optString(cpu, k, p);
      if (v !== undefined) cpuList(v, `${p}.${k}`);
    }
    const idle = get(cpu, "idle");
    if (idle !== undefined) intIn(idle, `${p}.idle`, 0, 1);
  }

  const pids = optObject(r, "pids", base);
  if (pids) limit64(need(pids, "limit", `${base}.pids`), `${base}.pids.limit`);

  const bio = optObject(r, "blockIO", base);
  if (bio) {
    const p = `${base}.blockIO`;
    for (const k of ["weight", "leafWeight"]) {
      const v = get(bio, k);
      if (v !== undefined) intIn(v, `${p}.${k}`, 0, 65535);
    }
    optArray(bio, "weightDevice", p)?.forEach((x, i) => {
      const q = `${p}.weightDevice[${i}]`;
      const wd = asObject(x, q);
      uint32(need(wd, "major", q), `${q}.major`);
      uint32(need(wd, "minor", q), `${q}.minor`);
      for (const k of ["weight", "leafWeight"]) {
        const v = get(wd, k);
        if (v !== undefined) intIn(v, `${q}.${k}`, 0, 65535);
      }
    });
    for (
      const key of [
        "throttleReadBpsDevice",
        "throttleWriteBpsDevice",
        "throttleReadIOPSDevice",
        "throttleWriteIOPSDevice",
      ]
    ) {
      optArray(bio, key, p)?.forEach((x, i) => {
        const q = `${p}.${key}[${i}]`;
        const td = asObject(x, q);
        uint32(need(td, "major", q), `${q}.major`);
        uint32(need(td, "minor", q), `${q}.minor`);
        uint64(need(td, "rate", q), `${q}.rate`);
      });
    }
  }

  optArray(r, "hugepageLimits", base)?.forEach((x, i) => {
    const p = `${base}.hugepageLimits[${i}]`;
    const h = asObject(x, p);
    const size = asString(need(h, "pageSize", p), `${p}.pageSize`);
    // Names the hugetlb.<size>.* cgroup files, so it must look like "2MB" and nothing else.
    if (!/^\d+[KMGT]B$/.test(size)) fail(`${p}.pageSize`, `invalid page size "${size}"`);
    uint64(need(h, "limit", p), `${p}.limit`);
  });

  const net = optObject(r, "network", base);
  if (net) {
    const p = `${base}.network`;
    const cls = get(net, "classID");
    if (cls !== undefined) uint32(cls, `${p}.classID`);
    optArray(net, "priorities", p)?.forEach((x, i) => {
      const q = `${p}.priorities[${i}]`;
      const pr = asObject(x, q);
      asString(need(pr, "name", q), `${q}.name`);
      uint32(need(pr, "priority", q), `${q}.priority`);
    });
  }

  const rdma = optObject(r, "rdma", base);
  if (rdma) {
    for (const [dev, v] of Object.entries(rdma)) {
      const p = keyPath(`${base}.rdma`, dev);
      const o = asObject(v, p);
      for (const k of ["hcaHandles", "hcaObjects"]) {
        const n = get(o, k);
        if (n !== undefined) uint32(n, `${p}.${k}`);
      }
    }
  }

  const unified = optObject(r, "unified", base);
  if (unified) {
    for (const [k, v] of Object.entries(unified)) {
      const p = keyPath(`${base}.unified`, k);
      // The key is a file name in the cgroup directory: "<controller>.<knob>", no slashes.
      if (!/^[A-Za-z0-9_]+\.[A-Za-z0-9_.-]+$/.test(k) || k.includes("..")) {
        fail(p, "invalid cgroup file name");
      }
      asCString(v, p);
    }
  }
}

function checkSeccomp(s: Json): void {
  const base = "linux.seccomp";
  let notify = false;
  const action = (v: unknown, p: string) => {
    const a = asString(v, p);
    if (!Object.hasOwn(ACTIONS, a)) fail(p, `unknown seccomp action "${a}"`);
    if (a === "SCMP_ACT_NOTIFY") notify = true;
  };
  action(need(s, "defaultAction", base), `${base}.defaultAction`);
  const dr = get(s, "defaultErrnoRet");
  if (dr !== undefined) intIn(dr, `${base}.defaultErrnoRet`, 0, 65535);
  optArray(s, "architectures", base)?.forEach((a, i) => {
    const p = `${base}.architectures[${i}]`;
    const name = asString(a, p);
    if (!/^SCMP_ARCH_[A-Z0-9_]+$/.test(name)) fail(p, `unknown architecture "${name}"`);
  });
  optArray(s, "flags", base)?.forEach((f, i) => {
    const p = `${base}.flags[${i}]`;
    const name = asString(f, p);
    if (!Object.hasOwn(PROFILE_FLAGS, name)) fail(p, `unknown seccomp flag "${name}"`);
  });
  const listener = optCString(s, "listenerPath", base);
  optString(s, "listenerMetadata", base);
  optArray(s, "syscalls", base)?.forEach((x, i) => {
    const p = `${base}.syscalls[${i}]`;
    const sc = asObject(x, p);
    const names = get(sc, "names");
    if (!Array.isArray(names) || names.length === 0) {
      fail(`${p}.names`, "must be a non-empty array");
    }
    names.forEach((n, j) => {
      if (asString(n, `${p}.names[${j}]`) === "") fail(`${p}.names[${j}]`, "must not be empty");
    });
    action(need(sc, "action", p), `${p}.action`);
    const er = get(sc, "errnoRet");
    if (er !== undefined) intIn(er, `${p}.errnoRet`, 0, 65535);
    optArray(sc, "args", p)?.forEach((y, k) => {
      const q = `${p}.args[${k}]`;
      const arg = asObject(y, q);
      intIn(need(arg, "index", q), `${q}.index`, 0, 5);
      argValue(need(arg, "value", q), `${q}.value`);
      const v2 = get(arg, "valueTwo");
      if (v2 !== undefined) argValue(v2, `${q}.valueTwo`);
      const op = asString(need(arg, "op", q), `${q}.op`);
      if (!Object.hasOwn(OPERATORS, op)) fail(`${q}.op`, `unknown operator "${op}"`);
    });
  });
  // Without a listener nobody could answer the notifications and the process would hang.
  if (notify && !listener) fail(`${base}.listenerPath`, "required when SCMP_ACT_NOTIFY is used");
}

function checkCrossFields(spec: Json, linux: Json): void {
  const nsIndex = new Map<string, number>();
  const nsList = (linux.namespaces ?? []) as Json[];
  nsList.forEach((n, i) => nsIndex.set(n.type as string, i));
  const userNs = nsIndex.has("user") ? nsList[nsIndex.get("user")!] : undefined;

  const uidMaps = (linux.uidMappings ?? []) as Json[];
  const gidMaps = (linux.gidMappings ?? []) as Json[];
  if (userNs) {
    // Joining an existing user namespace (path set) inherits its maps; runc also accepts maps
    // alongside a path, leaving it to the launcher to check they match.
    if (userNs.path === undefined) {
      if (uidMaps.length === 0) fail("linux.uidMappings", "required with a new user namespace");
      if (gidMaps.length === 0) fail("linux.gidMappings", "required with a new user namespace");
    }
  } else {
    if (uidMaps.length > 0) fail("linux.uidMappings", "requires a user namespace");
    if (gidMaps.length > 0) fail("linux.gidMappings", "requires a user namespace");
  }
  if (uidMaps.length > 0 && gidMaps.length > 0) {
    // An unmapped id makes setuid/setgid fail with a bare EINVAL inside the container.
    const user = (spec.process as Json).user as Json;
    const mapped = (maps: Json[], id: number) =>
      maps.some((m) =>
        id >= (m.containerID as number) && id < (m.containerID as number) + (m.size as number)
      );
    if (!mapped(uidMaps, user.uid as number)) {
      fail("process.user.uid", `${user.uid} is not mapped by linux.uidMappings`);
    }
    if (!mapped(gidMaps, user.gid as number)) {
      fail("process.user.gid", `${user.gid} is not mapped by linux.gidMappings`);
    }
    ((user.additionalGids ?? []) as number[]).forEach((g, i) => {
      if (!mapped(gidMaps, g)) {
        fail(`process.user.additionalGids[${i}]`, `${g} is not mapped by linux.gidMappings`);
      }
    });
  }

  for (const key of ["hostname", "domainname"]) {
    if (spec[key] && !nsIndex.has("uts")) fail(key, "requires a uts namespace");
  }

  const offsets = linux.timeOffsets as Json | undefined;
  if (offsets && Object.keys(offsets).length > 0) {
    const i = nsIndex.get("time");
    if (i === undefined) fail("linux.timeOffsets", "requires a time namespace");
    if (nsList[i].path !== undefined) {
      fail("linux.timeOffsets", "cannot be set when joining an existing time namespace");
    }
  }

  const sysctl = (linux.sysctl ?? {}) as Json;
  for (const key of Object.keys(sysctl)) {
    const name = key.replaceAll("/", ".");
    let nsType: string;
    if (name.startsWith("net.")) nsType = "network";
    else if (IPC_SYSCTLS.has(name) || name.startsWith("fs.mqueue.")) nsType = "ipc";
    else if (UTS_SYSCTLS.has(name)) nsType = "uts";
    else fail(keyPath("linux.sysctl", key), "not namespaced; it would change the host");
    if (!nsIndex.has(nsType)) {
      fail(keyPath("linux.sysctl", key), `requires a ${nsType} namespace`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Primitive checks

function fail(path: string, message: string): never {
  throw new SpecError(path, message);
}

function keyPath(base: string, key: string): string {
  return `${base}[${JSON.stringify(key)}]`;
}

function child(base: string, key: string): string {
  return base ? `${base}.${key}` : key;
}

function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Reads a member, treating JSON null as absent (and dropping it from the copy). */
function get(o: Json, key: string): unknown {
  const v = o[key];
  if (v === null) {
    delete o[key];
    return undefined;
  }
  return v;
}

function need(o: Json, key: string, base: string): unknown {
  const v = get(o, key);
  if (v === undefined) fail(child(base, key), "required");
  return v;
}

function asObject(v: unknown, p: string): Json {
  if (!isObject(v)) fail(p, "must be an object");
  return v;
}

function asString(v: unknown, p: string): string {
  if (typeof v !== "string") fail(p, "must be a string");
  return v;
}

/** A string that will reach a syscall as a C string, where a NUL would silently truncate it. */
function asCString(v: unknown, p: string): string {
  const s = asString(v, p);
  if (s.includes("\0")) fail(p, "must not contain a NUL byte");
  return s;
}

function asBool(v: unknown, p: string): boolean {
  if (typeof v !== "boolean") fail(p, "must be a boolean");
  return v;
}

function optObject(o: Json, key: string, base: string): Json | undefined {
  const v = get(o, key);
  return v === undefined ? undefined : asObject(v, child(base, key));
}

function optArray(o: Json, key: string, base: string): unknown[] | undefined {
  const v = get(o, key);
  if (v === undefined) return undefined;
  if (!Array.isArray(v)) fail(child(base, key), "must be an array");
  return v;
}

function optString(o: Json, key: string, base: string): string | undefined {
  const v = get(o, key);
  return v === undefined ? undefined : asString(v, child(base, key));
}

function optCString(o: Json, key: string, base: string): string | undefined {
  const v = get(o, key);
  return v === undefined ? undefined : asCString(v, child(base, key));
}

function optBool(o: Json, key: string, base: string): boolean | undefined {
  const v = get(o, key);
  return v === undefined ? undefined : asBool(v, child(base, key));
}

function intIn(v: unknown, p: string, min: number, max: number, msg?: string): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
    fail(p, msg ?? `must be an integer in ${min}..${max}`);
  }
  return v;
}

function uint32(v: unknown, p: string): number {
  return intIn(v, p, 0, 2 ** 32 - 1);
}

// JSON.parse turns 2^64-1 (RLIM_INFINITY, "max") into the double 2^64, so that is the ceiling.
function uint64(v: unknown, p: string): number {
  return intIn(v, p, 0, 2 ** 64, "must be a non-negative integer");
}

function int64(v: unknown, p: string): number {
  return intIn(v, p, -(2 ** 63), 2 ** 63, "must be an integer");
}

/** A seccomp argument operand: in-memory specs may use a bigint to keep all 64 bits. */
function argValue(v: unknown, p: string): void {
  if (typeof v === "bigint") {
    if (v < 0n || v >= 1n << 64n) fail(p, "must be a non-negative 64-bit integer");
    return;
  }
  uint64(v, p);
}

/** A cgroup limit: a non-negative number, or -1 for "unlimited". */
function limit64(v: unknown, p: string): number {
  return intIn(v, p, -1, 2 ** 63, "must be -1 (unlimited) or a non-negative integer");
}

function cpuList(s: string, p: string): void {
  try {
    parseCpuList(s);
  } catch (e) {
    fail(p, e instanceof Error ? e.message : String(e));
  }
}

let hostFilesystems: Set<string> | undefined;

function isKnownFsType(type: string): boolean {
  if (KNOWN_FS_TYPES.has(type)) return true;
  if (!hostFilesystems) {
    hostFilesystems = new Set();
    try {
      for (const line of Deno.readTextFileSync("/proc/filesystems").split("\n")) {
        const name = line.split("\t").pop()?.trim();
        if (name) hostFilesystems.add(name);
      }
    } catch {
      // No /proc or no read permission: the built-in list has to do.
    }
  }
  if (hostFilesystems.has(type)) return true;
  // FUSE mounts name their subtype as "fuse.<name>" (e.g. fuse.sshfs).
  return /^fuse(blk)?\.[^\s,]+$/.test(type);
}

/** Stats `target` for the field at `p`: null when it does not exist, a SpecError otherwise. */
function statOrNull(target: string, p: string): Deno.FileInfo | null {
  try {
    return Deno.statSync(target);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    fail(p, `cannot access ${target}: ${oneLine(e)}`);
  }
}

function oneLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).replace(/\s*\n\s*/g, " ");
}
