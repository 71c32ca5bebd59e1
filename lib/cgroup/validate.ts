/**
 * Checks for `update`'s input and `linux.cgroupsPath`. The rules for `linux.resources` are
 * the spec validator's (lib/spec/validate/resources.ts), the one place they live: a config has
 * passed them in `validateSpec` before `openCgroups` sees it, and `update` runs them here
 * on what it is given. The first problem becomes a `SpecError` naming the field
 * (`resources.cpu.cpus: ...`).
 * @module
 */
import { fail, isObject } from "../spec/validate/json.ts";
import { checkResources } from "../spec/validate/resources.ts";
import type { LinuxResources } from "../spec/types.ts";

/**
 * Checks a `LinuxResources` object (from `update -r`, its flags, or the API) with the spec
 * validator's rules and returns a checked copy, JSON nulls dropped. `path` is the field prefix
 * used in messages (`resources` for update, `linux.resources` by default). Unknown members are
 * kept and ignored, as the runtime spec asks.
 *
 * @example
 * ```ts
 * const r = validateResources({ memory: { limit: 1 << 28 } }); // throws SpecError on a bad field
 * console.log(r.memory?.limit);
 * ```
 */
export function validateResources(resources: unknown, path = "linux.resources"): LinuxResources {
  if (resources === undefined || resources === null) return {};
  if (!isObject(resources)) fail(path, "must be an object");
  let r: Record<string, unknown>;
  try {
    r = structuredClone(resources);
  } catch {
    fail(path, "must contain only JSON data");
  }
  checkResources(r, path);
  return r as LinuxResources;
}

/** The error for `slice:prefix:name` cgroup paths. */
export const SYSTEMD_PATH_MESSAGE =
  "systemd cgroup paths need the systemd driver, which drun does not have yet";

/**
 * Checks `linux.cgroupsPath`: refuses the systemd `slice:prefix:name` form, `..` components and
 * NUL bytes. Returns the path, or undefined when none is set.
 */
export function validateCgroupsPath(
  value: unknown,
  field = "linux.cgroupsPath",
): string | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  if (typeof value !== "string") fail(field, "must be a string");
  if (value.includes("\0")) fail(field, "must not contain a NUL byte");
  if (!value.startsWith("/") && /^[^:/]*:[^:/]*:[^:/]*$/.test(value)) {
    fail(field, SYSTEMD_PATH_MESSAGE);
  }
  if (value.split("/").some((s) => s === "..")) fail(field, "must not contain .. components");
  return value;
}
