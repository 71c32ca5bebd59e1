/**
 * Whether a container's cgroup is frozen, read straight from the paths in state.json: `state`
 * and `list` need only this, and the cgroup managers (lib/cgroup/mod.ts) pull in the config
 * validator and the device filter code. The managers' `isFrozen` use the same two readers.
 * @module
 */
import { readKnob } from "./fs.ts";
import { CREATED_KEY } from "./types.ts";

/**
 * A v1 freezer cgroup directory is frozen (`freezer.state` reads FROZEN).
 *
 * @example
 * ```ts
 * frozenV1("/sys/fs/cgroup/freezer/drun-c1"); // false
 * ```
 */
export function frozenV1(dir: string): boolean {
  return (readKnob(dir, "freezer.state") ?? "").trim() === "FROZEN";
}

/**
 * A cgroup2 directory is frozen (`cgroup.freeze` reads 1).
 *
 * @example
 * ```ts
 * frozenV2("/sys/fs/cgroup/drun-c1"); // false
 * ```
 */
export function frozenV2(dir: string): boolean {
  return (readKnob(dir, "cgroup.freeze") ?? "0").trim() === "1";
}

/**
 * The PausedProbe for readState: a container is paused while its cgroup is frozen. The
 * stored paths are one `""` entry on cgroup2 (as lib/cgroup/mod.ts's cgroupsFromPaths reads
 * them), else one entry per v1 controller.
 *
 * @example
 * ```ts
 * const st = readState("/run/drun", "c1", isPaused);
 * ```
 */
export const isPaused = (state: { cgroupPaths?: Record<string, string> }): boolean => {
  try {
    const entries = Object.entries(state.cgroupPaths ?? {}).filter(([k]) => k !== CREATED_KEY);
    if (entries.length === 1 && entries[0][0] === "") return frozenV2(entries[0][1]);
    const freezer = state.cgroupPaths?.freezer;
    return freezer ? frozenV1(freezer) : false;
  } catch {
    return false;
  }
};
