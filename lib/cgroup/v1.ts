/**
 * The cgroup v1 driver: one directory per mounted hierarchy (`cpu`, `memory`, ...), each
 * controller's knobs written in its own hierarchy.
 * @module
 */
import { dirname, join } from "../path.ts";
import { DrunError, SpecError } from "../errors.ts";
import type { LinuxResources } from "../spec/types.ts";
import { BaseManager, type Placement } from "./base.ts";
import { frozenV1 } from "./frozen.ts";
import { hasKnob, readFlatKeyed, readKnob, sleepSync, writeKnob } from "./fs.ts";
import { type AllowedDevice, deviceRules } from "./devices.ts";
import { writeV1Memory } from "./v1_memory.ts";
import { writeV1Blkio } from "./v1_blkio.ts";
import { v1Stats } from "./v1_stats.ts";
import type { CgroupStats } from "./types.ts";

export {
  type AllowedDevice,
  BASE_ALLOWED_DEVICES,
  deviceRule,
  deviceRuleList,
  deviceRules,
} from "./devices.ts";

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

    if (r.memory) {
      const d = this.need("memory", `${base}.memory`);
      writeV1Memory(d, r.memory, base, updating, this.warn);
    }

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

    if (r.blockIO) {
      writeV1Blkio(this.need("blkio", `${base}.blockIO`), r.blockIO, `${base}.blockIO`, this.warn);
    }

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
    return v1Stats((c) => this.dir(c));
  }
}

/** A line of rdma.max. */
export function rdmaLine(dev: string, v: { hcaHandles?: number; hcaObjects?: number }): string {
  const n = (x: number | undefined) => (x === undefined ? "max" : String(x));
  return `${dev} hca_handle=${n(v.hcaHandles)} hca_object=${n(v.hcaObjects)}`;
}
