/**
 * Device cgroup rules, shared by both drivers: the devices every container gets, and the
 * config's rules in order with those allowed after a deny-all (v1 writes them to
 * devices.allow/deny, v2 compiles them to an eBPF program).
 * @module
 */
import type { LinuxDeviceCgroup } from "../spec/types.ts";

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
 * Devices every container needs once a rule denies all, as runc allows them: mknod of any
 * node (opening stays denied), the standard nodes of /dev, the pty devices and tun. Not the
 * console (c 5:1): that is the host's console, and with CAP_MKNOD a container could create
 * and open it.
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
  { type: "c", major: 5, minor: 2, access: "rwm" }, // ptmx
  { type: "c", major: 136, minor: -1, access: "rwm" }, // pts/*
  { type: "c", major: 10, minor: 200, access: "rwm" }, // net/tun
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
 * config's rules in the config's order (so `devices.list` reads as configured, as the
 * runtime-spec asks and crun does), then, when they deny everything somewhere, the base
 * devices and `extra` allowed after them, except a device a later config rule denies.
 *
 * @example
 * ```ts
 * deviceRuleList([{ allow: false, access: "rwm" }, { allow: true, type: "c", major: 10, minor: 200, access: "rwm" }], []);
 * // the two config rules first, then c 1:3, c 1:5, ... allowed
 * ```
 */
export function deviceRuleList(
  rules: LinuxDeviceCgroup[],
  extra: AllowedDevice[],
): LinuxDeviceCgroup[] {
  let lastDenyAll = -1;
  rules.forEach((r, i) => {
    if (!r.allow && (r.type ?? "a") === "a") lastDenyAll = i;
  });
  if (lastDenyAll < 0) return [...rules];
  // A device the config denies after its last deny-all stays denied.
  const deniedLater = rules.slice(lastDenyAll + 1).filter((r) => !r.allow);
  const covers = (r: LinuxDeviceCgroup, d: AllowedDevice) =>
    (r.type === undefined || r.type === "a" || r.type === d.type) &&
    (r.major === undefined || r.major === -1 || r.major === d.major) &&
    (r.minor === undefined || r.minor === -1 || r.minor === d.minor);
  const defaults = [...BASE_ALLOWED_DEVICES, ...extra]
    .filter((d) => !deniedLater.some((r) => covers(r, d)))
    .map((d) => ({ allow: true, ...d }));
  return [...rules, ...defaults];
}
