/**
 * The cgroup layer behind one interface, as the runtime uses it. Drivers for v1 and v2 live
 * beside this file; `openCgroups` picks one for the host.
 * @module
 */
import type { LinuxResources, Spec } from "../spec/types.ts";

/** Where a container's cgroups are, as stored in its state (one path per hierarchy). */
export type CgroupPaths = Record<string, string>;

/** What the runtime needs from a cgroup driver. */
export interface CgroupManager {
  /** Absolute directories per hierarchy (v2: one entry, key ""), stored in state.json. */
  readonly paths: CgroupPaths;
  /** Creates the directories (missing parents too). */
  create(): void;
  /** Writes the resource limits. */
  apply(resources: LinuxResources | undefined): void;
  /** Moves pid into the cgroups. */
  join(pid: number): void;
  /** Removes the directories (after the processes are gone); idempotent. */
  destroy(): void;
}

/**
 * The cgroup manager for a new container, or undefined when the spec asks for none.
 * Placeholder until the drivers land: containers stay in the caller's cgroups.
 */
export function openCgroups(_spec: Spec, _id: string): CgroupManager | undefined {
  return undefined;
}

/** A manager over paths stored in a container's state, for delete/pause/stats. */
export function cgroupsFromPaths(_paths: CgroupPaths | undefined): CgroupManager | undefined {
  return undefined;
}
