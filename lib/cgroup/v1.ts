/**
 * The cgroup v1 driver: one directory per mounted hierarchy (`cpu`, `memory`, ...), each
 * controller's knobs written in its own hierarchy.
 * @module
 */
import { dirname, join } from "../path.ts";
import { DrunError, SpecError } from "../errors.ts";
import type { LinuxDeviceCgroup, LinuxResources } from "../spec/types.ts";
import { parseCpuList } from "../spec/cpu_list.ts";
import { BaseManager, type Placement } from "./base.ts";
import { frozenV1 } from "./frozen.ts";
import {
  hasKnob,
  readCounter,
  readCounters,
  readFlatKeyed,
  readKnob,
  readNumber,
  sleepSync,
  writeKnob,
} from "./fs.ts";
import {
  type BlkioEntry,
  type CgroupStats,
  type HugetlbStats,
  type MemoryEntry,
  nz,
} from "./types.ts";

/** A device the container always gets (created by the plan), allowed after a deny-all rule. */
export interface AllowedDevice {
  /** c or b. */
  type: string;
  /** Major, or -1 for any. */
  major: number;
  /** Minor, or -1 for any. */
  minor: number;
  /** Access. */
  access: string;
}

/**
 * Devices every container needs once a rule denies all: mknod of any node (opening stays
 * denied), the standard nodes of /dev, and the pty devices.
 */
export const BASE_ALLOWED_DEVICES: AllowedDevice[] = [
  { type: "c", major: -1, minor: -1, access: "m" },
  { type: "b", major: -1, minor: -1, access: "m" },
  { type: "c", major: 1, minor: 3, access: "rwm" }, // null
  { type: "c", major: 1, minor: 5, access: "rwm" }, // zero
  { type: "c", major: 1, minor: 7, access: "rwm" }, // full
  { type: "c", major: 1, minor: 8, access: "rwm" }, // random
  { type: "c", major: 1, minor: 9, access: "rwm" }, // urandom
  { type: "c", major: 5, minor: 0, access: "rwm" }, // tty
  { type: "c", major: 5, minor: 1, access: "rwm" }, // console
  { type: "c", major: 5, minor: 2, access: "rwm" }, // ptmx
  { type: "c", major: 136, minor: -1, access: "rwm" }, // pts/*
];

/** One rule as the devices.allow / devices.deny files take it. */
export function deviceRule(r: LinuxDeviceCgroup | AllowedDevice): string {
  const type = r.type ?? "a";
  if (type === "a") return "a";
  const n = (v: number | undefined) => (v === undefined || v < 0 ? "*" : String(v));
  return `${type} ${n(r.major)}:${n(r.minor)} ${r.access || "rwm"}`;
}

/**
 * The device rules to write, in order: the config's rules, with the base devices (and the
 * config's `linux.devices`) allowed right after the last deny-all rule, so a later rule of the
 * config can still deny one of them.
 */
export function deviceRules(
  rules: LinuxDeviceCgroup[],
  extra: AllowedDevice[],
): { allow: boolean; rule: string }[] {
  return deviceRuleList(rules, extra).map((r) => ({ allow: r.allow, rule: deviceRule(r) }));
}

/**
 * The same list as {@link deviceRules}, as rules (the v2 driver compiles it to eBPF): the
 * config's rules with the base devices and `extra` allowed right after the last deny-all.
 */
export function deviceRuleList(
  rules: LinuxDeviceCgroup[],
  extra: AllowedDevice[],
): LinuxDeviceCgroup[] {
  const out = [...rules];
  let lastDenyAll = -1;
  rules.forEach((r, i) => {
    if (!r.allow && (r.type ?? "a") === "a") lastDenyAll = i;
  });
  if (lastDenyAll < 0) return out;
  const defaults = [...BASE_ALLOWED_DEVICES, ...extra].map((d) => ({ allow: true, ...d }));
  out.splice(lastDenyAll + 1, 0, ...defaults);
  return out;
}

const F = "linux.resources";

/** The v1 driver. */
export class V1Manager extends BaseManager {
  readonly version = 1 as const;
  private readonly extraDevices: AllowedDevice[];

  constructor(
    placements: Record<string, Placement>,
    createdTops: string[],
    warn: (msg: string) => void,
    extraDevices: AllowedDevice[] = [],
  ) {
    super(placements, createdTops, warn);
    this.extraDevices = extraDevices;
  }

  private dir(controller: string): string | undefined {
    return this.placements[controller]?.dir;
  }

  private need(controller: string, field: string): string {
    const d = this.dir(controller);
    if (!d) {
      throw new SpecError(field, `the ${controller} cgroup controller is not mounted (cgroup v1)`);
    }
    return d;
  }

  /**
   * Refuses settings this host cannot apply, before anything is created. Reads the knobs of
   * the parent directories (the leaf does not exist yet), which have the same files.
   */
  checkSupport(r: LinuxResources, base = F): void {
    const probe = (controller: string) => {
      const d = this.dir(controller);
      if (!d) return undefined;
      // The nearest existing directory of the hierarchy.
      let p = d;
      while (p !== "/" && !hasKnob(p, "cgroup.procs")) p = dirname(p);
      return p;
    };
    if (r.unified && Object.keys(r.unified).length) {
      throw new SpecError(`${base}.unified`, "cgroup v2 files cannot be set on a cgroup v1 host");
    }
    if (r.hugepageLimits?.length) {
      const d = probe("hugetlb");
      if (!d) {
        throw new SpecError(
          `${base}.hugepageLimits`,
          "the hugetlb cgroup controller is not mounted (cgroup v1)",
        );
      }
      r.hugepageLimits.forEach((h, i) => {
        if (!hasKnob(d, `hugetlb.${h.pageSize}.limit_in_bytes`)) {
          throw new SpecError(
            `${base}.hugepageLimits[${i}].pageSize`,
            `page size ${h.pageSize} is not supported by this host`,
          );
        }
      });
    }
    if (r.rdma && Object.keys(r.rdma).length && !this.dir("rdma")) {
      throw new SpecError(`${base}.rdma`, "the rdma cgroup controller is not mounted (cgroup v1)");
    }
    const cpu = r.cpu;
    if (cpu) {
      const d = probe("cpu");
      const knob = (k: keyof typeof cpu, file: string) => {
        if (cpu[k] === undefined || cpu[k] === 0 && k !== "idle") return;
        if (!d) {
          throw new SpecError(`${base}.cpu.${k}`, "the cpu cgroup controller is not mounted");
        }
        if (!hasKnob(d, file)) {
          throw new SpecError(`${base}.cpu.${k}`, `not supported by this kernel (no ${file})`);
        }
      };
      knob("realtimeRuntime", "cpu.rt_runtime_us");
      knob("realtimePeriod", "cpu.rt_period_us");
      knob("burst", "cpu.cfs_burst_us");
      if (cpu.idle) knob("idle", "cpu.idle");
      if (d === undefined && (cpu.shares || cpu.quota || cpu.period)) {
        throw new SpecError(`${base}.cpu`, "the cpu cgroup controller is not mounted");
      }
      if ((cpu.cpus || cpu.mems) && !this.dir("cpuset")) {
        throw new SpecError(`${base}.cpu.cpus`, "the cpuset cgroup controller is not mounted");
      }
    }
    const bio = r.blockIO;
    if (bio) {
      const d = probe("blkio");
      const weighted = !!bio.weight || (bio.weightDevice ?? []).some((w) => w.weight);
      if (weighted && !(d && (hasKnob(d, "blkio.weight") || hasKnob(d, "blkio.bfq.weight")))) {
        throw new SpecError(
          `${base}.blockIO.${bio.weight ? "weight" : "weightDevice"}`,
          "no blkio weight support on this host (needs the BFQ or CFQ I/O scheduler)",
        );
      }
      const throttled = bio.throttleReadBpsDevice?.length || bio.throttleWriteBpsDevice?.length ||
        bio.throttleReadIOPSDevice?.length || bio.throttleWriteIOPSDevice?.length;
      if (throttled && !(d && hasKnob(d, "blkio.throttle.read_bps_device"))) {
        throw new SpecError(`${base}.blockIO`, "no blkio throttling support on this host");
      }
    }
    if (r.memory && !this.dir("memory")) {
      throw new SpecError(`${base}.memory`, "the memory cgroup controller is not mounted");
    }
    if (r.pids && !this.dir("pids")) {
      throw new SpecError(`${base}.pids`, "the pids cgroup controller is not mounted");
    }
  }

  protected afterMkdir(made: string[], leaf: string): void {
    // A new cpuset cgroup starts with no cpus and no mems, and refuses tasks until both are
    // set: copy them down from the parent, level by level.
    if (this.dir("cpuset") !== leaf) return;
    const chain = made.length ? made : [leaf];
    for (const d of chain) {
      for (const f of ["cpuset.cpus", "cpuset.mems"]) {
        if ((readKnob(d, f) ?? "").trim() !== "") continue;
        const parent = (readKnob(dirname(d), f) ?? "").trim();
        if (parent) writeKnob(d, f, parent, "linux.cgroupsPath");
      }
    }
  }

  protected write(r: LinuxResources, updating: boolean): void {
    const base = updating ? "resources" : F;
    const cpu = r.cpu;
    if (cpu?.cpus) {
      writeKnob(
        this.need("cpuset", `${base}.cpu.cpus`),
        "cpuset.cpus",
        cpu.cpus,
        `${base}.cpu.cpus`,
      );
    }
    if (cpu?.mems) {
      writeKnob(
        this.need("cpuset", `${base}.cpu.mems`),
        "cpuset.mems",
        cpu.mems,
        `${base}.cpu.mems`,
      );
    }

    if (r.devices?.length) {
      if (updating) {
        this.warn(`${base}.devices: device rules cannot be changed by update; ignored`);
      } else {
        const d = this.need("devices", `${base}.devices`);
        for (const { allow, rule } of deviceRules(r.devices, this.extraDevices)) {
          writeKnob(d, allow ? "devices.allow" : "devices.deny", rule, `${base}.devices`);
        }
      }
    }

    if (r.memory) this.writeMemory(r.memory, base, updating);

    if (cpu) {
      const p = `${base}.cpu`;
      const d = () => this.need("cpu", p);
      if (cpu.shares) writeKnob(d(), "cpu.shares", String(cpu.shares), `${p}.shares`);
      if (cpu.period) writeKnob(d(), "cpu.cfs_period_us", String(cpu.period), `${p}.period`);
      if (cpu.quota) writeKnob(d(), "cpu.cfs_quota_us", String(cpu.quota), `${p}.quota`);
      if (cpu.burst !== undefined) {
        writeKnob(d(), "cpu.cfs_burst_us", String(cpu.burst), `${p}.burst`);
      }
      // The runtime must fit in the period, so the period goes first.
      if (cpu.realtimePeriod) {
        writeKnob(d(), "cpu.rt_period_us", String(cpu.realtimePeriod), `${p}.realtimePeriod`);
      }
      if (cpu.realtimeRuntime) {
        writeKnob(d(), "cpu.rt_runtime_us", String(cpu.realtimeRuntime), `${p}.realtimeRuntime`);
      }
      if (cpu.idle !== undefined) writeKnob(d(), "cpu.idle", String(cpu.idle), `${p}.idle`);
    }

    if (r.pids) {
      const v = r.pids.limit > 0 ? String(r.pids.limit) : "max";
      writeKnob(this.need("pids", `${base}.pids`), "pids.max", v, `${base}.pids.limit`);
    }

    if (r.blockIO) this.writeBlkio(r.blockIO, `${base}.blockIO`);

    r.hugepageLimits?.forEach((h, i) => {
      const p = `${base}.hugepageLimits[${i}]`;
      writeKnob(
        this.need("hugetlb", p),
        `hugetlb.${h.pageSize}.limit_in_bytes`,
        String(h.limit),
        p,
      );
    });

    if (r.network) {
      const p = `${base}.network`;
      if (r.network.classID !== undefined) {
        const d = this.dir("net_cls");
        if (d) writeKnob(d, "net_cls.classid", String(r.network.classID), `${p}.classID`);
        else this.warn(`${p}.classID: the net_cls cgroup controller is not mounted; ignored`);
      }
      if (r.network.priorities?.length) {
        const d = this.dir("net_prio");
        if (!d) {
          this.warn(`${p}.priorities: the net_prio cgroup controller is not mounted; ignored`);
        } else {
          r.network.priorities.forEach((x, i) =>
            writeKnob(d, "net_prio.ifpriomap", `${x.name} ${x.priority}`, `${p}.priorities[${i}]`)
          );
        }
      }
    }

    for (const [dev, v] of Object.entries(r.rdma ?? {})) {
      const p = `${base}.rdma[${JSON.stringify(dev)}]`;
      writeKnob(this.need("rdma", p), "rdma.max", rdmaLine(dev, v), p);
    }
  }

  private writeMemory(m: NonNullable<LinuxResources["memory"]>, base: string, updating: boolean) {
    const p = `${base}.memory`;
    const d = this.need("memory", p);
    const hasMemsw = hasKnob(d, "memory.memsw.limit_in_bytes");
    if (updating && m.checkBeforeUpdate && m.limit && m.limit > 0) {
      const usage = readNumber(d, "memory.usage_in_bytes") ?? 0;
      if (usage > m.limit) {
        throw new DrunError(
          "ECGROUP",
          `new limit ${m.limit} is below the current usage ${usage}`,
          `${p}.limit`,
        );
      }
    }
    const limit = m.limit || undefined;
    let swap = m.swap || undefined;
    // Unlimited memory with no word on swap means unlimited swap too.
    if (limit === -1 && swap === undefined && hasMemsw) swap = -1;
    if (swap !== undefined && !hasMemsw) {
      if (swap > 0) this.warn(`${p}.swap: swap accounting is off on this host; ignored`);
      swap = undefined;
    }
    const writeLimit = () => {
      if (limit !== undefined) writeKnob(d, "memory.limit_in_bytes", String(limit), `${p}.limit`);
    };
    const writeSwap = () => {
      if (swap !== undefined) {
        writeKnob(d, "memory.memsw.limit_in_bytes", String(swap), `${p}.swap`);
      }
    };
    // memory.limit <= memory.memsw.limit must hold after each write.
    const curSwap = readNumber(d, "memory.memsw.limit_in_bytes") ?? Infinity;
    const newLimit = limit === -1 ? Infinity : limit ?? 0;
    if (limit !== undefined && swap !== undefined && newLimit > curSwap) {
      writeSwap();
      writeLimit();
    } else {
      writeLimit();
      writeSwap();
    }
    if (m.reservation) {
      writeKnob(d, "memory.soft_limit_in_bytes", String(m.reservation), `${p}.reservation`);
    }
    if (m.kernel) {
      this.warn(`${p}.kernel: kernel memory limits are not supported by Linux 5.16+; ignored`);
    }
    if (m.kernelTCP) {
      if (hasKnob(d, "memory.kmem.tcp.limit_in_bytes")) {
        writeKnob(d, "memory.kmem.tcp.limit_in_bytes", String(m.kernelTCP), `${p}.kernelTCP`);
      } else this.warn(`${p}.kernelTCP: not supported by this kernel; ignored`);
    }
    if (m.swappiness !== undefined) {
      writeKnob(d, "memory.swappiness", String(m.swappiness), `${p}.swappiness`);
    }
    if (m.disableOOMKiller !== undefined && (m.disableOOMKiller || updating)) {
      writeKnob(d, "memory.oom_control", m.disableOOMKiller ? "1" : "0", `${p}.disableOOMKiller`);
    }
  }

  private writeBlkio(b: NonNullable<LinuxResources["blockIO"]>, p: string) {
    const d = this.need("blkio", p);
    const bfq = !hasKnob(d, "blkio.weight") && hasKnob(d, "blkio.bfq.weight");
    const wfile = bfq ? "blkio.bfq.weight" : "blkio.weight";
    if (b.weight) writeKnob(d, wfile, String(b.weight), `${p}.weight`);
    if (b.leafWeight) {
      if (hasKnob(d, "blkio.leaf_weight")) {
        writeKnob(d, "blkio.leaf_weight", String(b.leafWeight), `${p}.leafWeight`);
      } else this.warn(`${p}.leafWeight: not supported by this kernel (CFQ only); ignored`);
    }
    b.weightDevice?.forEach((w, i) => {
      const q = `${p}.weightDevice[${i}]`;
      if (w.weight) writeKnob(d, `${wfile}_device`, `${w.major}:${w.minor} ${w.weight}`, q);
      if (w.leafWeight) {
        if (hasKnob(d, "blkio.leaf_weight_device")) {
          writeKnob(d, "blkio.leaf_weight_device", `${w.major}:${w.minor} ${w.leafWeight}`, q);
        } else this.warn(`${q}.leafWeight: not supported by this kernel (CFQ only); ignored`);
      }
    });
    const throttle = [
      ["throttleReadBpsDevice", "blkio.throttle.read_bps_device"],
      ["throttleWriteBpsDevice", "blkio.throttle.write_bps_device"],
      ["throttleReadIOPSDevice", "blkio.throttle.read_iops_device"],
      ["throttleWriteIOPSDevice", "blkio.throttle.write_iops_device"],
    ] as const;
    for (const [key, file] of throttle) {
      b[key]?.forEach((t, i) => {
        writeKnob(d, file, `${t.major}:${t.minor} ${t.rate}`, `${p}.${key}[${i}]`);
      });
    }
  }

  protected thawQuietly(): void {
    const d = this.dir("freezer");
    if (!d) return;
    try {
      const state = (readKnob(d, "freezer.state") ?? "").trim();
      if (state === "FROZEN" || state === "FREEZING") {
        Deno.writeTextFileSync(join(d, "freezer.state"), "THAWED");
      }
    } catch { /* gone */ }
  }

  async freeze(): Promise<void> {
    const d = this.dir("freezer");
    if (!d) throw new DrunError("ECGROUP", "the freezer cgroup controller is not mounted");
    // FREEZING can persist while a task is in an uninterruptible sleep: ask again a few times.
    const until = Date.now() + 5000;
    while (true) {
      writeKnob(d, "freezer.state", "FROZEN");
      for (let i = 0; i < 10; i++) {
        if ((readKnob(d, "freezer.state") ?? "").trim() === "FROZEN") return;
        await new Promise((r) => setTimeout(r, 10));
      }
      if (Date.now() > until) {
        writeKnob(d, "freezer.state", "THAWED");
        throw new DrunError("ECGROUP", `cgroup ${d} did not freeze within 5 s`);
      }
    }
  }

  thaw(): void {
    const d = this.dir("freezer");
    if (!d) throw new DrunError("ECGROUP", "the freezer cgroup controller is not mounted");
    writeKnob(d, "freezer.state", "THAWED");
    for (let i = 0; i < 500 && (readKnob(d, "freezer.state") ?? "").trim() !== "THAWED"; i++) {
      sleepSync(2);
    }
  }

  isFrozen(): boolean {
    const d = this.dir("freezer");
    return !!d && frozenV1(d);
  }

  protected procsDir(): string | undefined {
    for (const c of ["pids", "memory", "freezer", "cpu", "devices"]) {
      if (this.dir(c)) return this.dir(c);
    }
    return this.dirs()[0];
  }

  oomKillCount(): number {
    const d = this.dir("memory");
    return d ? readFlatKeyed(d, "memory.oom_control").oom_kill ?? 0 : 0;
  }

  stats(): CgroupStats {
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
    const acct = this.dir("cpuacct");
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
    const cpu = this.dir("cpu");
    if (cpu) {
      const s = readCounters(cpu, "cpu.stat");
      st.cpu.throttling = {
        periods: nz(s.nr_periods),
        throttledPeriods: nz(s.nr_throttled),
        throttledTime: nz(s.throttled_time),
      };
    }
    const cs = this.dir("cpuset");
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
    const mem = this.dir("memory");
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
    const pids = this.dir("pids");
    if (pids) {
      st.pids = {
        current: nz(readCounter(pids, "pids.current")),
        limit: nz(readCounter(pids, "pids.max")),
      };
    }
    const blk = this.dir("blkio");
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
    const huge = this.dir("hugetlb");
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
}

/** A line of rdma.max. */
export function rdmaLine(dev: string, v: { hcaHandles?: number; hcaObjects?: number }): string {
  const n = (x: number | undefined) => (x === undefined ? "max" : String(x));
  return `${dev} hca_handle=${n(v.hcaHandles)} hca_object=${n(v.hcaObjects)}`;
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
