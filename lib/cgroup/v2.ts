/**
 * The cgroup v2 (unified) driver: one directory, controllers enabled down the path through
 * `cgroup.subtree_control`, v1-style values converted to their v2 files.
 *
 * Device rules are enforced by an eBPF program attached to the cgroup (BPF_CGROUP_DEVICE),
 * compiled from the same list the v1 driver writes (see devices_bpf.ts and docs/cgroups.md).
 * @module
 */
import { dirname } from "../path.ts";
import { DrunError, SpecError } from "../errors.ts";
import type { LinuxDeviceCgroup, LinuxResources } from "../spec/types.ts";
import { BaseManager, type Placement } from "./base.ts";
import { frozenV2 } from "./frozen.ts";
import { errText, hasKnob, readFlatKeyed, readKnob, readNumber, writeKnob } from "./fs.ts";
import type { CgroupStats } from "./types.ts";
import { type AllowedDevice, deviceRuleList, rdmaLine } from "./v1.ts";
import { readV2Stats } from "./v2_stats.ts";

/** Attaches a device filter for `rules` (last match wins, default deny) to a cgroup dir. */
export type DeviceFilterAttacher = (cgroupDir: string, rules: LinuxDeviceCgroup[]) => void;

const F = "linux.resources";

/** cpu.shares (2..262144, default 1024) to cpu.weight (1..10000), linearly. */
export function sharesToWeight(shares: number): number {
  const s = Math.min(Math.max(shares, 2), 262144);
  return 1 + Math.floor(((s - 2) * 9999) / 262142);
}

/** blkio weight (10..1000) to io.weight (1..10000), linearly. */
export function blkioToIoWeight(w: number): number {
  const x = Math.min(Math.max(w, 10), 1000);
  return 1 + Math.floor(((x - 10) * 9999) / 990);
}

/**
 * memory.swap.max from the spec's memory+swap total: swap - limit; -1 stays "max".
 * `limit` is the memory limit in force (spec or current). Throws a message on a bad pair.
 */
export function swapMax(swap: number, limit: number | undefined): string | undefined {
  if (swap === 0) return undefined;
  if (swap === -1) return "max";
  if (limit === undefined || limit <= 0) {
    throw new Error("a swap limit needs a memory limit (memory.swap counts memory plus swap)");
  }
  if (swap < limit) throw new Error("must not be below memory.limit (it counts memory plus swap)");
  return String(swap - limit);
}

/** Which controller a resource needs. */
function neededControllers(r: LinuxResources, base: string): [string, string][] {
  const out: [string, string][] = [];
  const c = r.cpu;
  if (c?.shares || c?.quota || c?.period || c?.burst !== undefined || c?.idle !== undefined) {
    out.push(["cpu", `${base}.cpu`]);
  }
  if (c?.cpus || c?.mems) out.push(["cpuset", `${base}.cpu.${c.cpus ? "cpus" : "mems"}`]);
  if (r.memory) out.push(["memory", `${base}.memory`]);
  if (r.pids) out.push(["pids", `${base}.pids`]);
  const b = r.blockIO;
  if (
    b && (b.weight || b.weightDevice?.length || b.throttleReadBpsDevice?.length ||
      b.throttleWriteBpsDevice?.length || b.throttleReadIOPSDevice?.length ||
      b.throttleWriteIOPSDevice?.length)
  ) out.push(["io", `${base}.blockIO`]);
  if (r.hugepageLimits?.length) out.push(["hugetlb", `${base}.hugepageLimits`]);
  if (r.rdma && Object.keys(r.rdma).length) out.push(["rdma", `${base}.rdma`]);
  for (const k of Object.keys(r.unified ?? {})) {
    const ctl = k.slice(0, k.indexOf("."));
    if (ctl !== "cgroup") out.push([ctl, `${base}.unified[${JSON.stringify(k)}]`]);
  }
  return out;
}

/** The v2 driver. */
export class V2Manager extends BaseManager {
  readonly version = 2 as const;
  /** The runtime's own cgroup directory (controllers are only enabled at or below it). */
  private readonly own?: string;
  /** linux.devices, allowed after a deny-all rule as on v1. */
  private readonly extraDevices: AllowedDevice[];
  /** Attaches the eBPF device filter; absent when the leaf is not on a known cgroup2 mount. */
  private readonly attachDevices?: DeviceFilterAttacher;

  constructor(
    placement: Placement,
    createdTops: string[],
    warn: (msg: string) => void,
    own?: string,
    extraDevices: AllowedDevice[] = [],
    attachDevices?: DeviceFilterAttacher,
  ) {
    super({ "": placement }, createdTops, warn);
    this.own = own;
    this.extraDevices = extraDevices;
    this.attachDevices = attachDevices;
  }

  private get leaf(): string {
    return this.placements[""].dir;
  }

  /** Controllers the leaf can get: those of its nearest existing ancestor. */
  private available(): Set<string> | undefined {
    let d = dirname(this.leaf);
    while (d !== "/" && !hasKnob(d, "cgroup.controllers")) d = dirname(d);
    const t = readKnob(d, "cgroup.controllers");
    return t === undefined ? undefined : new Set(t.trim().split(/\s+/).filter(Boolean));
  }

  /** Refuses settings this host cannot apply, before anything is created. */
  checkSupport(r: LinuxResources, base = F): void {
    if (r.cpu?.realtimeRuntime || r.cpu?.realtimePeriod) {
      throw new SpecError(
        `${base}.cpu.${r.cpu.realtimeRuntime ? "realtimeRuntime" : "realtimePeriod"}`,
        "real-time group scheduling is not available on cgroup v2",
      );
    }
    const m = r.memory;
    if (m?.swap !== undefined && base === F) {
      try {
        swapMax(m.swap, m.limit);
      } catch (e) {
        throw new SpecError(`${base}.memory.swap`, errText(e));
      }
    }
    const avail = this.available();
    if (!avail) return;
    for (const [ctl, field] of neededControllers(r, base)) {
      if (!avail.has(ctl)) {
        throw new SpecError(field, `the ${ctl} cgroup controller is not available here`);
      }
    }
  }

  protected afterMkdir(made: string[], leaf: string, existingParent: string): void {
    // Enable controllers on every directory above the leaf, from the nearest existing one
    // down. An existing directory is only touched at or below our own cgroup.
    const chain: string[] = [];
    for (let d = dirname(leaf); d.length >= existingParent.length; d = dirname(d)) {
      chain.unshift(d);
      if (d === existingParent) break;
    }
    let inherited: string[] | undefined;
    for (const d of chain) {
      const mine = made.includes(d);
      const ours = mine ||
        (this.own !== undefined && (d === this.own || d.startsWith(this.own + "/")));
      const avail = (readKnob(d, "cgroup.controllers") ?? inherited?.join(" ") ?? "")
        .trim().split(/\s+/).filter(Boolean);
      const enabled = new Set(
        (readKnob(d, "cgroup.subtree_control") ?? "").trim().split(/\s+/).filter(Boolean),
      );
      const missing = avail.filter((c) => !enabled.has(c));
      inherited = avail;
      if (!ours || missing.length === 0) continue;
      try {
        writeKnob(d, "cgroup.subtree_control", missing.map((c) => `+${c}`).join(" "));
      } catch {
        // One refused controller fails the whole write: enable them one by one.
        const failed: string[] = [];
        for (const c of missing) {
          try {
            writeKnob(d, "cgroup.subtree_control", `+${c}`);
          } catch {
            failed.push(c);
          }
        }
        if (failed.length) {
          this.warn(`cgroup ${d}: could not enable ${failed.join(", ")} for sub-cgroups`);
        }
        inherited = avail.filter((c) => !failed.includes(c));
      }
    }
  }

  protected write(r: LinuxResources, updating: boolean): void {
    const base = updating ? "resources" : F;
    const d = this.leaf;
    const cpu = r.cpu;
    if (cpu?.cpus) writeKnob(d, "cpuset.cpus", cpu.cpus, `${base}.cpu.cpus`);
    if (cpu?.mems) writeKnob(d, "cpuset.mems", cpu.mems, `${base}.cpu.mems`);

    if (r.devices?.length) {
      const p = `${base}.devices`;
      if (updating) {
        this.warn(`${p}: device rules cannot be changed by update; ignored`);
      } else if (!this.attachDevices) {
        this.warn(
          `${p}: ${d} is not on a cgroup2 mount listed in /proc/self/mountinfo, so no eBPF ` +
            `device filter can be attached; ignored`,
        );
      } else {
        const rules = deviceRuleList(r.devices, this.extraDevices);
        // On v1 a new cgroup starts out allowing every device; the eBPF filter denies by
        // default. Without a deny-all rule, start from allow-all so both enforce the same.
        if (!rules.some((x) => !x.allow && (x.type ?? "a") === "a")) {
          rules.unshift({ allow: true, type: "a" });
        }
        try {
          this.attachDevices(d, rules);
        } catch (e) {
          throw new DrunError("ECGROUP", errText(e), p);
        }
      }
    }

    const m = r.memory;
    if (m) {
      const p = `${base}.memory`;
      if (updating && m.checkBeforeUpdate && m.limit && m.limit > 0) {
        const usage = readNumber(d, "memory.current") ?? 0;
        if (usage > m.limit) {
          throw new DrunError(
            "ECGROUP",
            `new limit ${m.limit} is below the current usage ${usage}`,
            `${p}.limit`,
          );
        }
      }
      if (m.limit) {
        writeKnob(d, "memory.max", m.limit === -1 ? "max" : String(m.limit), `${p}.limit`);
      }
      if (m.swap !== undefined) {
        const limit = m.limit ?? (updating ? readNumber(d, "memory.max") : undefined);
        let v: string | undefined;
        try {
          v = swapMax(m.swap, limit);
        } catch (e) {
          throw new SpecError(`${p}.swap`, errText(e));
        }
        if (v !== undefined) writeKnob(d, "memory.swap.max", v, `${p}.swap`);
      } else if (m.limit === -1 && hasKnob(d, "memory.swap.max")) {
        // Unlimited memory with no word on swap means unlimited swap too.
        writeKnob(d, "memory.swap.max", "max", `${p}.swap`);
      }
      if (m.reservation) {
        writeKnob(
          d,
          "memory.low",
          m.reservation === -1 ? "max" : String(m.reservation),
          `${p}.reservation`,
        );
      }
      if (m.kernel) this.warn(`${p}.kernel: no kernel memory limit on cgroup v2; ignored`);
      if (m.kernelTCP) this.warn(`${p}.kernelTCP: no kernel TCP limit on cgroup v2; ignored`);
      if (m.swappiness !== undefined) {
        this.warn(`${p}.swappiness: no per-cgroup swappiness on cgroup v2; ignored`);
      }
      if (m.disableOOMKiller) {
        this.warn(`${p}.disableOOMKiller: the OOM killer cannot be disabled on cgroup v2; ignored`);
      }
    }

    if (cpu) {
      const p = `${base}.cpu`;
      if (cpu.shares) writeKnob(d, "cpu.weight", String(sharesToWeight(cpu.shares)), `${p}.shares`);
      if (cpu.quota || cpu.period) {
        // "QUOTA PERIOD"; writing one word keeps the period in force. An update of the
        // period alone keeps the quota in force.
        const quota = cpu.quota
          ? (cpu.quota > 0 ? String(cpu.quota) : "max")
          : updating
          ? (readKnob(d, "cpu.max") ?? "max").trim().split(/\s+/)[0]
          : "max";
        const v = cpu.period ? `${quota} ${cpu.period}` : quota;
        writeKnob(d, "cpu.max", v, `${p}.${cpu.quota ? "quota" : "period"}`);
      }
      if (cpu.burst !== undefined) writeKnob(d, "cpu.max.burst", String(cpu.burst), `${p}.burst`);
      if (cpu.idle !== undefined) writeKnob(d, "cpu.idle", String(cpu.idle), `${p}.idle`);
    }

    if (r.pids) {
      const v = r.pids.limit > 0 ? String(r.pids.limit) : "max";
      writeKnob(d, "pids.max", v, `${base}.pids.limit`);
    }

    const b = r.blockIO;
    if (b) {
      const p = `${base}.blockIO`;
      const bfq = hasKnob(d, "io.bfq.weight");
      if (b.weight) {
        if (bfq) writeKnob(d, "io.bfq.weight", String(b.weight), `${p}.weight`);
        else writeKnob(d, "io.weight", `default ${blkioToIoWeight(b.weight)}`, `${p}.weight`);
      }
      if (b.leafWeight) this.warn(`${p}.leafWeight: no leaf weight on cgroup v2; ignored`);
      b.weightDevice?.forEach((w, i) => {
        const q = `${p}.weightDevice[${i}]`;
        if (!w.weight) return;
        if (bfq) writeKnob(d, "io.bfq.weight", `${w.major}:${w.minor} ${w.weight}`, q);
        else writeKnob(d, "io.weight", `${w.major}:${w.minor} ${blkioToIoWeight(w.weight)}`, q);
      });
      const keys = [
        ["throttleReadBpsDevice", "rbps"],
        ["throttleWriteBpsDevice", "wbps"],
        ["throttleReadIOPSDevice", "riops"],
        ["throttleWriteIOPSDevice", "wiops"],
      ] as const;
      for (const [key, name] of keys) {
        b[key]?.forEach((t, i) => {
          writeKnob(d, "io.max", `${t.major}:${t.minor} ${name}=${t.rate}`, `${p}.${key}[${i}]`);
        });
      }
    }

    r.hugepageLimits?.forEach((h, i) => {
      writeKnob(d, `hugetlb.${h.pageSize}.max`, String(h.limit), `${base}.hugepageLimits[${i}]`);
    });

    if (r.network && (r.network.classID !== undefined || r.network.priorities?.length)) {
      this.warn(`${base}.network: net_cls/net_prio do not exist on cgroup v2; ignored`);
    }

    for (const [dev, v] of Object.entries(r.rdma ?? {})) {
      writeKnob(d, "rdma.max", rdmaLine(dev, v), `${base}.rdma[${JSON.stringify(dev)}]`);
    }

    // Last, so a raw value wins over what the fields above wrote.
    for (const [k, v] of Object.entries(r.unified ?? {})) {
      writeKnob(d, k, v, `${base}.unified[${JSON.stringify(k)}]`);
    }
  }

  protected thawQuietly(): void {
    try {
      if ((readKnob(this.leaf, "cgroup.freeze") ?? "0").trim() === "1") {
        Deno.writeTextFileSync(`${this.leaf}/cgroup.freeze`, "0");
      }
    } catch { /* gone */ }
  }

  async freeze(): Promise<void> {
    writeKnob(this.leaf, "cgroup.freeze", "1");
    const until = Date.now() + 5000;
    while (Date.now() < until) {
      const ev = readFlatKeyed(this.leaf, "cgroup.events");
      if (ev.frozen === 1 || !hasKnob(this.leaf, "cgroup.events")) return;
      await new Promise((r) => setTimeout(r, 10));
    }
    writeKnob(this.leaf, "cgroup.freeze", "0");
    throw new DrunError("ECGROUP", `cgroup ${this.leaf} did not freeze within 5 s`);
  }

  thaw(): void {
    writeKnob(this.leaf, "cgroup.freeze", "0");
  }

  isFrozen(): boolean {
    return frozenV2(this.leaf);
  }

  protected procsDir(): string {
    return this.leaf;
  }

  oomKillCount(): number {
    return readFlatKeyed(this.leaf, "memory.events").oom_kill ?? 0;
  }

  stats(): CgroupStats {
    return readV2Stats(this.leaf);
  }
}
