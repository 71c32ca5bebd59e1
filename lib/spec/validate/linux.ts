/**
 * Validation of `linux`: namespaces, id mappings, devices, sysctls, seccomp, masked and
 * read-only paths, and the checks across fields (hostname needs a uts namespace, ...).
 * @module
 */
import { checkIdMapping, checkMappingOverlap } from "./ids.ts";
import { posix } from "../../path.ts";
import { NAMESPACES } from "../../linux/namespaces.ts";
import { validateSeccomp, type ValidProfile } from "../../seccomp/validate.ts";
import { PROPAGATIONS } from "./mounts.ts";
import {
  asCString,
  asObject,
  asString,
  type Ctx,
  fail,
  get,
  id32,
  int64,
  intIn,
  type Json,
  keyPath,
  MAX_ID_MAPPINGS,
  need,
  optArray,
  optBool,
  optCString,
  optObject,
  optString,
  pathLimits,
  statOrNull,
} from "./json.ts";
import { checkResources } from "./resources.ts";

export const NAMESPACE_TYPES: ReadonlySet<string> = new Set(Object.keys(NAMESPACES));

// Sysctls that live in the IPC namespace; anything else outside net.* and the UTS names is
// host-wide, and writing it from the container setup would change the host.
export const IPC_SYSCTLS = new Set([
  "kernel.msgmax",
  "kernel.msgmnb",
  "kernel.msgmni",
  "kernel.sem",
  "kernel.shmall",
  "kernel.shmmax",
  "kernel.shmmni",
  "kernel.shm_rmid_forced",
]);

export const UTS_SYSCTLS = new Set(["kernel.hostname", "kernel.domainname"]);

export function checkLinux(linux: Json, ctx: Ctx): void {
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
      pathLimits(path, `${p}.path`);
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
  const cgPath = optCString(linux, "cgroupsPath", base);
  if (cgPath !== undefined) pathLimits(cgPath, "linux.cgroupsPath");
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
      asCString(k, p);
      pathLimits(`/proc/sys/${k}`, p);
      asCString(v, p);
    }
  }

  for (const key of ["maskedPaths", "readonlyPaths"]) {
    optArray(linux, key, base)?.forEach((x, i) => {
      const p = `linux.${key}[${i}]`;
      const path = asCString(x, p);
      if (!path.startsWith("/")) fail(p, "must be an absolute path");
      pathLimits(path, p);
      // A mask over / or /proc hides what the init itself still needs (its exec fifo is
      // reopened through /proc/self/fd), so it could only fail after create succeeded.
      const target = posix.normalize(path).replace(/(.)\/$/, "$1");
      if (key === "maskedPaths" && (target === "/" || target === "/proc")) {
        fail(p, `cannot mask ${target}`);
      }
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
    if (clos !== undefined) pathLimits(clos, "linux.intelRdt.closID");
    optString(rdt, "l3CacheSchema", "linux.intelRdt");
    optString(rdt, "memBwSchema", "linux.intelRdt");
    optBool(rdt, "enableCMT", "linux.intelRdt");
    optBool(rdt, "enableMBM", "linux.intelRdt");
  }
}

export function checkDevice(raw: unknown, p: string): void {
  const d = asObject(raw, p);
  const type = asString(need(d, "type", p), `${p}.type`);
  if (!["c", "b", "u", "p"].includes(type)) fail(`${p}.type`, `unknown device type "${type}"`);
  const path = asCString(need(d, "path", p), `${p}.path`);
  if (!path.startsWith("/")) fail(`${p}.path`, "must be an absolute path");
  pathLimits(path, `${p}.path`);
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
    if (v !== undefined) id32(v, `${p}.${k}`);
  }
}

const validProfiles = new WeakMap<object, ValidProfile>();

/**
 * `linux.seccomp` by the seccomp module's one set of rules; the checked profile is kept for
 * the compiler ({@link validatedSeccomp}), so a config is validated once.
 */
function checkSeccomp(s: Json): void {
  validProfiles.set(s, validateSeccomp(s, "linux.seccomp"));
}

/**
 * The checked form of a `linux.seccomp` object that validateSpec returned, for the compiler.
 *
 * @example
 * ```ts ignore
 * const spec = validateSpec(raw, { bundle });
 * const c = compileSeccompCached(spec.linux!.seccomp!, { valid: validatedSeccomp(spec.linux!.seccomp!) });
 * ```
 */
export function validatedSeccomp(profile: object): ValidProfile | undefined {
  return validProfiles.get(profile);
}

export function checkCrossFields(spec: Json, linux: Json): void {
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
    else if (UTS_SYSCTLS.has(name)) {
      // runc refuses these: the config's hostname/domainname fields own them.
      const field = name === "kernel.hostname" ? "hostname" : "domainname";
      fail(keyPath("linux.sysctl", key), `not allowed: it conflicts with the ${field} field`);
    } else fail(keyPath("linux.sysctl", key), "not namespaced; it would change the host");
    if (!nsIndex.has(nsType)) {
      fail(keyPath("linux.sysctl", key), `requires a ${nsType} namespace`);
    }
  }
}
