/**
 * drun's cgroup statistics as containerd's `io.containerd.cgroups.v1.Metrics`, the Any a
 * Stats call answers with on a cgroup v1 host (what `ctr task metrics` and the CRI read).
 * @module
 */
import type { CgroupStats, MemoryEntry } from "../lib/cgroup/types.ts";
import { CgroupV1Metrics } from "./messages.ts";
import { encode } from "./protobuf.ts";

/** The type URL containerd registers the v1 metrics under. */
export const METRICS_V1_TYPE = "io.containerd.cgroups.v1.Metrics";

const entry = (e?: MemoryEntry) =>
  e ? { limit: e.limit, usage: e.usage ?? 0n, max: e.max ?? 0n, failcnt: e.failcnt } : undefined;

/**
 * Encodes `stats` as an io.containerd.cgroups.v1.Metrics message.
 *
 * @example
 * ```ts ignore
 * import { encodeMetricsV1 } from "./metrics.ts";
 * const bytes = encodeMetricsV1(stats);
 * ```
 */
export function encodeMetricsV1(stats: CgroupStats): Uint8Array<ArrayBuffer> {
  const raw = stats.memory.raw ?? {};
  return encode(CgroupV1Metrics, {
    pids: { current: stats.pids.current ?? 0n, limit: stats.pids.limit ?? 0n },
    cpu: {
      usage: {
        total: stats.cpu.usage.total ?? 0n,
        kernel: stats.cpu.usage.kernel,
        user: stats.cpu.usage.user,
        perCpu: stats.cpu.usage.percpu ?? [],
      },
      throttling: {
        periods: stats.cpu.throttling.periods ?? 0n,
        throttledPeriods: stats.cpu.throttling.throttledPeriods ?? 0n,
        throttledTime: stats.cpu.throttling.throttledTime ?? 0n,
      },
    },
    memory: {
      cache: raw.cache ?? stats.memory.cache ?? 0n,
      rss: raw.rss ?? 0n,
      rssHuge: raw.rss_huge ?? 0n,
      mappedFile: raw.mapped_file ?? 0n,
      totalCache: raw.total_cache ?? 0n,
      totalRss: raw.total_rss ?? 0n,
      usage: entry(stats.memory.usage),
      swap: entry(stats.memory.swap),
      kernel: entry(stats.memory.kernel),
      kernelTcp: entry(stats.memory.kernelTCP),
    },
    hugetlb: Object.entries(stats.hugetlb).map(([pagesize, h]) => ({
      pagesize,
      usage: h.usage ?? 0n,
      max: h.max ?? 0n,
      failcnt: h.failcnt,
    })),
  });
}
