/**
 * The one place the shape and range of every `linux.resources` field is checked: by
 * `validateSpec` for a config, and through `validateResources` (lib/cgroup) for `update`'s
 * input, which names its fields from `resources`. What depends on the host (a controller
 * mounted, a file this kernel has) is left to the cgroup drivers, which take these values as
 * checked here.
 * @module
 */
import {
  asBool,
  asCString,
  asObject,
  asString,
  cpuList,
  fail,
  get,
  intIn,
  type Json,
  keyPath,
  limit64,
  need,
  optArray,
  optBool,
  optObject,
  optString,
  uint32,
  uint64,
} from "./json.ts";

/** Files a `unified` key must not name: writing them would move or reshape the cgroup. */
const CORE_FILES = new Set([
  "cgroup.procs",
  "cgroup.threads",
  "cgroup.subtree_control",
  "cgroup.type",
  "cgroup.kill",
  "cgroup.freeze",
]);

/** An interface or RDMA device name: it ends up in a cgroup file's line, split on blanks. */
const NAME_RE = /^[^\s/]+$/;

/** `0` (unset) or an integer in `min..max`: the form of the kernel's CFS and blkio knobs. */
function zeroOrIn(
  o: Json,
  key: string,
  base: string,
  min: number,
  max: number,
  msg: string,
): void {
  const v = get(o, key);
  if (v !== undefined && intIn(v, `${base}.${key}`, 0, max, msg) > 0 && (v as number) < min) {
    fail(`${base}.${key}`, msg);
  }
}

/** A blkio weight: 0 (unset) or 10..1000, as the kernel's CFQ/BFQ take it. */
function weight(o: Json, key: string, base: string): void {
  zeroOrIn(o, key, base, 10, 1000, "must be 0 (unset) or in 10..1000");
}

/**
 * Checks `r`, a `linux.resources` object, in place (JSON nulls are dropped as absent); `base`
 * prefixes the field names in errors. Unknown members are left alone, as the spec asks.
 */
export function checkResources(r: Json, base = "linux.resources"): void {
  optArray(r, "devices", base)?.forEach((x, i) => {
    const p = `${base}.devices[${i}]`;
    const d = asObject(x, p);
    asBool(need(d, "allow", p), `${p}.allow`);
    const type = optString(d, "type", p);
    if (type !== undefined && !["a", "c", "b"].includes(type)) {
      fail(`${p}.type`, `unknown device type "${type}" (use a, b or c)`);
    }
    for (const k of ["major", "minor"]) {
      const v = get(d, k);
      // -1 is the Go bindings' way of writing the `*` wildcard.
      if (v !== undefined) {
        intIn(v, `${p}.${k}`, -1, 2 ** 32 - 1, "must be -1 (any) or a device number");
      }
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
    for (const k of ["shares", "burst", "realtimePeriod"]) {
      const v = get(cpu, k);
      if (v !== undefined) uint64(v, `${p}.${k}`);
    }
    for (const k of ["quota", "realtimeRuntime"]) {
      const v = get(cpu, k);
      if (v !== undefined) limit64(v, `${p}.${k}`);
    }
    // The kernel's CFS bounds: a period of 1 ms to 1 s, a quota of at least 1 ms.
    const quota = cpu.quota as number | undefined;
    if (quota !== undefined && quota > 0 && quota < 1000) {
      fail(`${p}.quota`, "must be -1, 0 (unset) or at least 1000 (microseconds)");
    }
    zeroOrIn(
      cpu,
      "period",
      p,
      1000,
      1_000_000,
      "must be 0 (unset) or 1000..1000000 (microseconds)",
    );
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
    weight(bio, "weight", p);
    weight(bio, "leafWeight", p);
    optArray(bio, "weightDevice", p)?.forEach((x, i) => {
      const q = `${p}.weightDevice[${i}]`;
      const wd = asObject(x, q);
      uint32(need(wd, "major", q), `${q}.major`);
      uint32(need(wd, "minor", q), `${q}.minor`);
      weight(wd, "weight", q);
      weight(wd, "leafWeight", q);
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
      const name = asCString(need(pr, "name", q), `${q}.name`);
      if (!NAME_RE.test(name)) fail(`${q}.name`, "must be an interface name");
      uint32(need(pr, "priority", q), `${q}.priority`);
    });
  }

  const rdma = optObject(r, "rdma", base);
  if (rdma) {
    for (const [dev, v] of Object.entries(rdma)) {
      const p = keyPath(`${base}.rdma`, dev);
      if (!NAME_RE.test(dev)) fail(p, "invalid rdma device name");
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
      if (CORE_FILES.has(k)) fail(p, `${k} cannot be set through unified`);
      asCString(v, p);
    }
  }
}
