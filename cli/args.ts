/**
 * Parsers for the values the commands take: container ids, fd counts, byte sizes, integers
 * and Go-style durations. Each throws an ArgError naming the flag.
 * @module
 */
import { ArgError } from "../lib/errors.ts";
import { validateId } from "../lib/state/store.ts";

/**
 * A container id, checked as the state store will (letters, digits and `_+-.`).
 *
 * @example
 * ```ts
 * parseId("web-1"); // "web-1"
 * ```
 */
export function parseId(id: string): string {
  validateId(id);
  return id;
}

/**
 * `--preserve-fds N`: a count of fds from 3 on (absent is 0).
 *
 * @example
 * ```ts
 * parseFdCount("2"); // 2
 * parseFdCount(undefined); // 0
 * ```
 */
export function parseFdCount(s: string | undefined, flag = "--preserve-fds"): number {
  if (s === undefined) return 0;
  if (!/^\d+$/.test(s) || !Number.isSafeInteger(Number(s))) {
    throw new ArgError(`${flag}: must be a non-negative integer, not ${JSON.stringify(s)}`);
  }
  return Number(s);
}

/**
 * An integer of at least `min` (`-1` allowed when `min` is -1, as runc's "unlimited").
 *
 * @example
 * ```ts
 * parseInteger("-1", "--pids-limit", -1); // -1
 * ```
 */
export function parseInteger(s: string, flag: string, min: number): number {
  if (!/^-?\d+$/.test(s) || Number(s) < min || !Number.isSafeInteger(Number(s))) {
    throw new ArgError(
      `${flag}: must be ${min < 0 ? "-1 or " : ""}a non-negative integer, not ${JSON.stringify(s)}`,
    );
  }
  return Number(s);
}

/**
 * Parses a Go-style duration such as `5s`, `500ms`, `1m30s`; returns milliseconds.
 *
 * @example
 * ```ts
 * parseDuration("1m30s"); // 90000
 * ```
 */
export function parseDuration(s: string, flag = "--interval"): number {
  const unit: Record<string, number> = {
    ns: 1e-6,
    us: 1e-3,
    "µs": 1e-3,
    ms: 1,
    s: 1000,
    m: 60_000,
    h: 3_600_000,
  };
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/y;
  let ms = 0;
  let i = 0;
  if (s === "") throw new ArgError(`${flag}: empty duration`);
  while (i < s.length) {
    re.lastIndex = i;
    const m = re.exec(s);
    if (!m) throw new ArgError(`${flag}: invalid duration ${JSON.stringify(s)} (e.g. 5s, 500ms)`);
    ms += Number(m[1]) * unit[m[2]];
    i = re.lastIndex;
  }
  if (!(ms > 0)) throw new ArgError(`${flag}: must be positive`);
  return ms;
}

/**
 * Parses a byte size the way runc's update does: `-1`, a number, or `64m`, `1.5G`, `512KiB`.
 *
 * @example
 * ```ts
 * parseBytes("64m", "--memory"); // 67108864
 * ```
 */
export function parseBytes(s: string, flag: string): number {
  if (s === "-1") return -1;
  const m = /^(\d+(?:\.\d+)?) ?([kKmMgGtTpP])?[iI]?[bB]?$/.exec(s);
  if (!m) throw new ArgError(`${flag}: invalid size ${JSON.stringify(s)} (e.g. 1048576, 64m, 2g)`);
  const exp = m[2] ? "kmgtp".indexOf(m[2].toLowerCase()) + 1 : 0;
  return Math.floor(Number(m[1]) * 1024 ** exp);
}
