/**
 * The v1 blkio controller: weights (CFQ or BFQ files, whichever the kernel has) and throttles.
 * @module
 */
import type { LinuxResources } from "../spec/types.ts";
import { hasKnob, writeKnob } from "./fs.ts";

/**
 * Writes `linux.resources.blockIO` into the blkio cgroup `d`; `p` is its JSON path.
 *
 * @example
 * ```ts ignore
 * writeV1Blkio("/sys/fs/cgroup/blkio/drun-c1", { weight: 500 }, "linux.resources.blockIO", console.warn);
 * ```
 */
export function writeV1Blkio(
  d: string,
  b: NonNullable<LinuxResources["blockIO"]>,
  p: string,
  warn: (msg: string) => void,
): void {
  const bfq = !hasKnob(d, "blkio.weight") && hasKnob(d, "blkio.bfq.weight");
  const wfile = bfq ? "blkio.bfq.weight" : "blkio.weight";
  if (b.weight) writeKnob(d, wfile, String(b.weight), `${p}.weight`);
  if (b.leafWeight) {
    if (hasKnob(d, "blkio.leaf_weight")) {
      writeKnob(d, "blkio.leaf_weight", String(b.leafWeight), `${p}.leafWeight`);
    } else warn(`${p}.leafWeight: not supported by this kernel (CFQ only); ignored`);
  }
  b.weightDevice?.forEach((w, i) => {
    const q = `${p}.weightDevice[${i}]`;
    if (w.weight) writeKnob(d, `${wfile}_device`, `${w.major}:${w.minor} ${w.weight}`, q);
    if (w.leafWeight) {
      if (hasKnob(d, "blkio.leaf_weight_device")) {
        writeKnob(d, "blkio.leaf_weight_device", `${w.major}:${w.minor} ${w.leafWeight}`, q);
      } else warn(`${q}.leafWeight: not supported by this kernel (CFQ only); ignored`);
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
