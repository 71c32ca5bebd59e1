/**
 * `events --stats` for cgroup v2: runc's stats document read from the unified files
 * (cpu.stat, memory.stat and .events, io.stat, pids, hugetlb, cpuset).
 * @module
 */
import { parseCpuList } from "../spec/cpu_list.ts";
import { hasKnob, readCounter, readCounters, readKnob } from "./fs.ts";
import { type BlkioEntry, type CgroupStats, nz } from "./types.ts";

/**
 * The statistics of the v2 cgroup at `d`; files a kernel lacks read as zero.
 *
 * @example
 * ```ts ignore
 * const st = readV2Stats("/sys/fs/cgroup/drun-web");
 * console.log(st.memory.usage.usage);
 * ```
 */
export function readV2Stats(d: string): CgroupStats {
  const cpu = readCounters(d, "cpu.stat");
  const mem = readCounters(d, "memory.stat");
  const events = readCounters(d, "memory.events");
  const st: CgroupStats = {
    cpu: {
      usage: {
        total: nz((cpu.usage_usec ?? 0n) * 1000n),
        kernel: (cpu.system_usec ?? 0n) * 1000n,
        user: (cpu.user_usec ?? 0n) * 1000n,
      },
      throttling: {
        periods: nz(cpu.nr_periods),
        throttledPeriods: nz(cpu.nr_throttled),
        throttledTime: nz((cpu.throttled_usec ?? 0n) * 1000n),
      },
    },
    memory: {
      cache: nz(mem.file),
      usage: {
        limit: readCounter(d, "memory.max") ?? 0n,
        usage: nz(readCounter(d, "memory.current")),
        max: nz(readCounter(d, "memory.peak")),
        failcnt: events.max ?? 0n,
      },
      swap: {
        limit: readCounter(d, "memory.swap.max") ?? 0n,
        usage: nz(readCounter(d, "memory.swap.current")),
        max: nz(readCounter(d, "memory.swap.peak")),
        failcnt: readCounters(d, "memory.swap.events").max ?? 0n,
      },
      kernel: { limit: 0n, failcnt: 0n },
      kernelTCP: { limit: 0n, failcnt: 0n },
      raw: mem,
    },
    pids: {
      current: nz(readCounter(d, "pids.current")),
      limit: nz(readCounter(d, "pids.max")),
    },
    blkio: {},
    hugetlb: {},
  };
  const l = (f: string) => {
    try {
      return parseCpuList(readKnob(d, f) ?? "");
    } catch {
      return [];
    }
  };
  if (hasKnob(d, "cpuset.cpus.effective")) {
    st.cpuset = { cpus: l("cpuset.cpus.effective"), mems: l("cpuset.mems.effective") };
  }
  const bytes: BlkioEntry[] = [];
  const ios: BlkioEntry[] = [];
  for (const line of (readKnob(d, "io.stat") ?? "").split("\n")) {
    const m = /^(\d+):(\d+)\s+(.*)$/.exec(line.trim());
    if (!m) continue;
    const kv = Object.fromEntries(m[3].split(/\s+/).map((x) => x.split("=")));
    const dev = { major: Number(m[1]), minor: Number(m[2]) };
    const n = (k: string) => /^\d+$/.test(kv[k] ?? "") ? BigInt(kv[k]) : 0n;
    bytes.push({ ...dev, op: "Read", value: n("rbytes") });
    bytes.push({ ...dev, op: "Write", value: n("wbytes") });
    ios.push({ ...dev, op: "Read", value: n("rios") });
    ios.push({ ...dev, op: "Write", value: n("wios") });
  }
  if (bytes.length) st.blkio = { ioServiceBytesRecursive: bytes, ioServicedRecursive: ios };
  let names: string[] = [];
  try {
    names = [...Deno.readDirSync(d)].map((e) => e.name);
  } catch { /* gone */ }
  for (const n of names) {
    const m = /^hugetlb\.(\d+[KMGT]B)\.max$/.exec(n);
    if (!m) continue;
    st.hugetlb[m[1]] = {
      usage: nz(readCounter(d, `hugetlb.${m[1]}.current`)),
      failcnt: readCounters(d, `hugetlb.${m[1]}.events`).max ?? 0n,
    };
  }
  return st;
}
