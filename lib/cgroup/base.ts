/**
 * What both drivers share: the directory bookkeeping (create with parents, join, destroy leaf
 * to root of what was created), so v1.ts and v2.ts only know their files.
 * @module
 */
import { dirname } from "../path.ts";
import { DrunError, SpecError } from "../errors.ts";
import type { LinuxResources } from "../spec/types.ts";
import { type CgroupManager, type CgroupPaths, type CgroupStats, CREATED_KEY } from "./types.ts";
import {
  dirExists,
  errText,
  mkdirChain,
  procsRecursive,
  removeCgroupTree,
  rmdirIfUnused,
  writeKnob,
} from "./fs.ts";

/** Where one hierarchy's leaf is, and (for a new container) where the hierarchy is mounted. */
export interface Placement {
  /** Absolute leaf directory. */
  dir: string;
  /** Mount point of the hierarchy; only known when creating. */
  mount?: string;
}

/** The common half of a driver. */
export abstract class BaseManager implements CgroupManager {
  abstract readonly version: 1 | 2;
  /** Hierarchy key → placement. */
  protected readonly placements: Record<string, Placement>;
  /** Topmost parents this manager (or the one that stored the paths) created. */
  protected createdTops: string[];
  /** Directories created by this instance (for a failed create). */
  protected made: string[] = [];
  /** Warning sink. */
  protected readonly warn: (msg: string) => void;

  constructor(
    placements: Record<string, Placement>,
    createdTops: string[],
    warn: (msg: string) => void,
  ) {
    this.placements = placements;
    this.createdTops = createdTops;
    this.warn = warn;
  }

  get paths(): CgroupPaths {
    const out: CgroupPaths = {};
    for (const [k, p] of Object.entries(this.placements)) out[k] = p.dir;
    if (this.createdTops.length) out[CREATED_KEY] = JSON.stringify(this.createdTops);
    return out;
  }

  /** Distinct leaf directories. */
  protected dirs(): string[] {
    return [...new Set(Object.values(this.placements).map((p) => p.dir))];
  }

  /** Distinct (mount, leaf) pairs. */
  protected hierarchies(): Placement[] {
    const seen = new Map<string, Placement>();
    for (const p of Object.values(this.placements)) if (!seen.has(p.dir)) seen.set(p.dir, p);
    return [...seen.values()];
  }

  /** Called top-down with the directories create() made in one hierarchy (leaf last). */
  protected abstract afterMkdir(made: string[], leaf: string, existingParent: string): void;

  create(): void {
    for (const h of this.hierarchies()) {
      if (!h.mount) {
        throw new DrunError("ECGROUP", "cgroup manager cannot create from stored paths");
      }
      // A leaf that already holds processes belongs to someone else (another container
      // with this id under another state root, say): joining it would let one delete kill
      // the other's processes.
      if (hasProcesses(h.dir)) {
        throw new SpecError("linux.cgroupsPath", `cgroup ${h.dir} is already in use`);
      }
      const made = mkdirChain(h.mount, h.dir, "linux.cgroupsPath");
      this.made.push(...made);
      if (made.length > 1 && !this.createdTops.includes(made[0])) this.createdTops.push(made[0]);
      const existingParent = dirname(made[0] ?? h.dir);
      this.afterMkdir(made, h.dir, existingParent);
    }
  }

  join(pid: number): void {
    for (const d of this.dirs()) writeKnob(d, "cgroup.procs", String(pid), "linux.cgroupsPath");
  }

  exists(): boolean {
    return this.dirs().some(dirExists);
  }

  /** Best-effort thaw before removal: frozen tasks cannot exit. */
  protected abstract thawQuietly(): void;

  destroy(): void {
    this.thawQuietly();
    let first: unknown;
    for (const d of this.dirs()) {
      try {
        removeCgroupTree(d);
      } catch (e) {
        first ??= e;
      }
    }
    // Parents drun created for a nested cgroupsPath: removed while empty, up to the topmost.
    for (const top of this.createdTops) {
      for (const leaf of this.dirs()) {
        if (!leaf.startsWith(top + "/")) continue;
        for (let d = dirname(leaf); d.length >= top.length; d = dirname(d)) {
          if (!rmdirIfUnused(d)) break;
          if (d === top) break;
        }
      }
    }
    if (first) {
      throw first instanceof DrunError
        ? first
        : new DrunError("ECGROUP", `removing cgroups: ${errText(first)}`);
    }
  }

  pids(): number[] {
    const d = this.procsDir();
    return d ? procsRecursive(d) : [];
  }

  /** The directory whose cgroup.procs lists the container's processes. */
  protected abstract procsDir(): string | undefined;

  /** Refuses settings this host cannot apply, before anything is written. */
  abstract checkSupport(r: LinuxResources, base?: string): void;
  /** Writes the limits; `updating` names fields under `resources` instead of the config. */
  protected abstract write(r: LinuxResources, updating: boolean): void;

  /** Writes the limits of a new container. */
  apply(resources: LinuxResources | undefined): void {
    if (!resources) return;
    this.write(resources, false);
  }

  /** Changes the limits of a running container (drun update). */
  update(resources: LinuxResources): void {
    this.checkSupport(resources, "resources");
    this.write(resources, true);
  }
  abstract freeze(): Promise<void>;
  abstract thaw(): void;
  abstract isFrozen(): boolean;
  abstract stats(): CgroupStats;
  abstract oomKillCount(): number;
}

/** Whether the cgroup directory exists and has member processes. */
function hasProcesses(dir: string): boolean {
  try {
    return Deno.readTextFileSync(`${dir}/cgroup.procs`).trim() !== "";
  } catch {
    return false;
  }
}
