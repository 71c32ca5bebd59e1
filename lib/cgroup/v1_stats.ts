/**
 * The statistics of a v1 container, read from each hierarchy's files, as the uint64 counters
 * `events --stats` prints exactly (bigints end to end).
 * @module
 */
import { readCounter, readCounters, readKnob } from "./fs.ts";
import { parseCpuList } from "../spec/cpu_list.ts";
import {
  type BlkioEntry,
  type CgroupStats,
  type HugetlbStats,
  type MemoryEntry,
  nz,
} from "./types.ts";

/**
 * Reads the stats of the container whose directory in each controller `dirOf` gives.
 *
 * @example
 * ```ts ignore
 * const st = v1Stats((c) => `/sys/fs/cgroup/${c}/drun-c1`);
 * console.log(st.pids.current);
 * ```
 */
export function v1Stats(dirOf: (controller: string) => string | undefined): CgroupStats {
  const st: CgroupStats = {
    cpu: { usage: { kernel: 0n, user: 0n }, throttling: {} },
    memory: {
      usage: { limit: 0n, failcnt: 0n },
      swap: { limit: 0n, failcnt: 0n },
      kernel: { limit: 0n, failcnt: 0n },
      kernelTCP: { limit: 0n, failcnt: 0n },
    },
    pids: {},
    blkio: {},
    hugetlb: {},
  };
  const acct = dirOf("cpuacct");
  if (acct) {
    const list = (f: string) =>
      (readKnob(acct, f) ?? "").trim().split(/\s+/).filter(Boolean).map(BigInt);
    st.cpu.usage.total = nz(readCounter(acct, "cpuacct.usage"));
    const percpu = list("cpuacct.usage_percpu");
    if (percpu.length) st.cpu.usage.percpu = percpu;
    const sys = list("cpuacct.usage_percpu_sys");
    if (sys.length) st.cpu.usage.percpu_kernel = sys;
    const usr = list("cpuacct.usage_percpu_user");
    if (usr.length) st.cpu.usage.percpu_user = usr;
    // cpuacct.stat counts USER_HZ (100/s) ticks.
    const s = readCounters(acct, "cpuacct.stat");
    st.cpu.usage.user = (s.user ?? 0n) * 10_000_000n;
    st.cpu.usage.kernel = (s.system ?? 0n) * 10_000_000n;
  }
  const cpu = dirOf("cpu");
  if (cpu) {
    const s = readCounters(cpu, "cpu.stat");
    st.cpu.throttling = {
      periods: nz(s.nr_periods),
      throttledPeriods: nz(s.nr_throttled),
      throttledTime: nz(s.throttled_time),
    };
  }
  const cs = dirOf("cpuset");
  if (cs) {
    const l = (f: string) => {
      try {
        return parseCpuList(readKnob(cs, f) ?? "");
      } catch {
        return [];
      }
    };
    st.cpuset = { cpus: l("cpuset.cpus"), mems: l("cpuset.mems") };
  }
  const mem = dirOf("memory");
  if (mem) {
    const entry = (prefix: string): MemoryEntry => ({
      limit: readCounter(mem, `${prefix}.limit_in_bytes`) ?? 0n,
      usage: nz(readCounter(mem, `${prefix}.usage_in_bytes`)),
      max: nz(readCounter(mem, `${prefix}.max_usage_in_bytes`)),
      failcnt: readCounter(mem, `${prefix}.failcnt`) ?? 0n,
    });
    const raw = readCounters(mem, "memory.stat");
    st.memory = {
      cache: nz(raw.cache),
      usage: entry("memory"),
      swap: entry("memory.memsw"),
      kernel: entry("memory.kmem"),
      kernelTCP: entry("memory.kmem.tcp"),
      raw,
    };
  }
  const pids = dirOf("pids");
  if (pids) {
    st.pids = {
      current: nz(readCounter(pids, "pids.current")),
      limit: nz(readCounter(pids, "pids.max")),
    };
  }
  const blk = dirOf("blkio");
  if (blk) {
    const pick = (...files: string[]) => {
      for (const f of files) {
        const e = blkioEntries(readKnob(blk, f));
        if (e.length) return e;
      }
      return undefined;
    };
    st.blkio = {
      ioServiceBytesRecursive: pick(
        "blkio.io_service_bytes_recursive",
        "blkio.bfq.io_service_bytes_recursive",
        "blkio.throttle.io_service_bytes_recursive",
      ),
      ioServicedRecursive: pick(
        "blkio.io_serviced_recursive",
        "blkio.bfq.io_serviced_recursive",
        "blkio.throttle.io_serviced_recursive",
      ),
    };
  }
  const huge = dirOf("hugetlb");
  if (huge) {
    for (const e of safeReadDir(huge)) {
      const m = /^hugetlb\.(\d+[KMGT]B)\.limit_in_bytes$/.exec(e);
      if (!m) continue;
      const s: HugetlbStats = {
        usage: nz(readCounter(huge, `hugetlb.${m[1]}.usage_in_bytes`)),
        max: nz(readCounter(huge, `hugetlb.${m[1]}.max_usage_in_bytes`)),
        failcnt: readCounter(huge, `hugetlb.${m[1]}.failcnt`) ?? 0n,
      };
      st.hugetlb[m[1]] = s;
    }
  }
  return st;
}

/** Parses blkio "MAJ:MIN Op value" lines. */
function blkioEntries(text: string | undefined): BlkioEntry[] {
  const out: BlkioEntry[] = [];
  for (const line of (text ?? "").split("\n")) {
    const m = /^(\d+):(\d+)\s+(\w+)\s+(\d+)$/.exec(line.trim());
    if (m) {
      out.push({ major: Number(m[1]), minor: Number(m[2]), op: m[3], value: BigInt(m[4]) });
    }
  }
  return out;
}

function safeReadDir(d: string): string[] {
  try {
    return [...Deno.readDirSync(d)].map((e) => e.name);
  } catch {
    return [];
  }
}
