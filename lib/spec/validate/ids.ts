/**
 * Validation of id mappings (`linux.uidMappings`/`gidMappings` and the same on mounts).
 * @module
 */
import { asObject, fail, id32, intIn, type Json, need } from "./json.ts";

export function checkIdMapping(raw: unknown, p: string): void {
  const m = asObject(raw, p);
  const c = id32(need(m, "containerID", p), `${p}.containerID`);
  const h = id32(need(m, "hostID", p), `${p}.hostID`);
  const size = intIn(need(m, "size", p), `${p}.size`, 1, 2 ** 32, "must be a positive integer");
  // The kernel refuses a range that reaches id 4294967295 ((uid_t)-1, "no id") on either side.
  if (c + size > 2 ** 32 - 1 || h + size > 2 ** 32 - 1) {
    fail(`${p}.size`, "range reaches id 4294967295, which cannot be mapped");
  }
}

export function checkMappingOverlap(maps: Json[], base: string): void {
  // The kernel refuses a map whose ranges overlap on either side.
  for (let i = 0; i < maps.length; i++) {
    for (let j = 0; j < i; j++) {
      const a = maps[i], b = maps[j];
      const overlaps = (k: "containerID" | "hostID") =>
        (a[k] as number) < (b[k] as number) + (b.size as number) &&
        (b[k] as number) < (a[k] as number) + (a.size as number);
      if (overlaps("containerID") || overlaps("hostID")) {
        fail(`${base}[${i}]`, `overlaps ${base}[${j}]`);
      }
    }
  }
}
