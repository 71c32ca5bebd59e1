/**
 * Loads the device filter of devices_bpf.ts into the kernel (bpf BPF_PROG_LOAD) and attaches
 * it to a cgroup v2 directory (BPF_PROG_ATTACH, BPF_CGROUP_DEVICE, BPF_F_ALLOW_MULTI so the
 * programs of parent cgroups still apply too).
 * @module
 */
import type { LinuxDeviceCgroup } from "../spec/types.ts";
import { bpf, closeFd, errnoText, openDir } from "../native/ffi.ts";
import { compileDeviceFilter } from "./devices_bpf.ts";

const BPF_PROG_LOAD = 5;
const BPF_PROG_ATTACH = 8;
const BPF_PROG_TYPE_CGROUP_DEVICE = 15;
const BPF_CGROUP_DEVICE = 6;
const BPF_F_ALLOW_MULTI = 2;
/** Bytes of bpf_attr passed (the kernel's union is larger; the rest reads as zero). */
const ATTR_SIZE = 128;
const LOG_SIZE = 1 << 18;

function addr(buf: Uint8Array<ArrayBuffer>): bigint {
  return BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(buf)));
}

/** An Error carrying errno. */
function fail(what: string, errno: number, extra = ""): Error {
  const e = new Error(`${what}: ${errnoText(errno)}${extra}`);
  (e as Error & { errno: number }).errno = errno;
  return e;
}

/**
 * Loads `insns` as a BPF_PROG_TYPE_CGROUP_DEVICE program and returns its fd. On failure
 * loads again with the verifier log on, and puts the log in the error.
 */
export function loadDeviceProgram(insns: Uint8Array<ArrayBuffer>): number {
  const license = new TextEncoder().encode("GPL\0") as Uint8Array<ArrayBuffer>;
  const name = new TextEncoder().encode("drun_devices");
  // `load` holds insns, license and log, so they stay alive while the kernel reads them.
  const load = (log?: Uint8Array<ArrayBuffer>) => {
    const attr = new Uint8Array(ATTR_SIZE);
    const dv = new DataView(attr.buffer);
    dv.setUint32(0, BPF_PROG_TYPE_CGROUP_DEVICE, true);
    dv.setUint32(4, insns.length / 8, true);
    dv.setBigUint64(8, addr(insns), true);
    dv.setBigUint64(16, addr(license), true);
    if (log) {
      dv.setUint32(24, 1, true); // log_level
      dv.setUint32(28, log.length, true);
      dv.setBigUint64(32, addr(log), true);
    }
    attr.set(name, 48); // prog_name[16]
    return bpf(BPF_PROG_LOAD, attr);
  };
  const fd = load();
  if (fd >= 0) return fd;
  const log = new Uint8Array(LOG_SIZE);
  const again = load(log);
  if (again >= 0) return again;
  const end = log.indexOf(0);
  const text = new TextDecoder().decode(log.subarray(0, end < 0 ? log.length : end)).trim();
  throw fail("bpf(BPF_PROG_LOAD) of the device filter", -fd, text ? `\n${text}` : "");
}

/**
 * Compiles `rules` (config order, last match wins, default deny) and attaches the program to
 * the cgroup v2 directory `cgroupDir`. The attachment keeps the program alive; no fd stays open.
 */
export function attachDeviceFilter(cgroupDir: string, rules: LinuxDeviceCgroup[]): void {
  const prog = loadDeviceProgram(compileDeviceFilter(rules));
  try {
    const cg = openDir(cgroupDir);
    try {
      const attr = new Uint8Array(32);
      const dv = new DataView(attr.buffer);
      dv.setUint32(0, cg, true); // target_fd
      dv.setUint32(4, prog, true); // attach_bpf_fd
      dv.setUint32(8, BPF_CGROUP_DEVICE, true);
      dv.setUint32(12, BPF_F_ALLOW_MULTI, true);
      const rc = bpf(BPF_PROG_ATTACH, attr);
      if (rc < 0) throw fail(`bpf(BPF_PROG_ATTACH) of the device filter to ${cgroupDir}`, -rc);
    } finally {
      closeFd(cg);
    }
  } finally {
    closeFd(prog);
  }
}
