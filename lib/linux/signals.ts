/**
 * Signal names and numbers (x86_64 Linux), for `kill` and `run`'s forwarding.
 * @module
 */
import { ArgError } from "../errors.ts";

/** Standard signals by name without the SIG prefix. */
export const SIGNALS: Record<string, number> = {
  HUP: 1,
  INT: 2,
  QUIT: 3,
  ILL: 4,
  TRAP: 5,
  ABRT: 6,
  IOT: 6,
  BUS: 7,
  FPE: 8,
  KILL: 9,
  USR1: 10,
  SEGV: 11,
  USR2: 12,
  PIPE: 13,
  ALRM: 14,
  TERM: 15,
  STKFLT: 16,
  CHLD: 17,
  CONT: 18,
  STOP: 19,
  TSTP: 20,
  TTIN: 21,
  TTOU: 22,
  URG: 23,
  XCPU: 24,
  XFSZ: 25,
  VTALRM: 26,
  PROF: 27,
  WINCH: 28,
  IO: 29,
  POLL: 29,
  PWR: 30,
  SYS: 31,
};

/** Parses `9`, `KILL`, `SIGKILL`, `sigkill`, `RTMIN+2` into a signal number. */
export function signalNumber(s: string | number): number {
  if (typeof s === "number") {
    if (Number.isInteger(s) && s > 0 && s <= 64) return s;
    throw new ArgError(`invalid signal ${s}`, "signal");
  }
  if (/^\d+$/.test(s)) return signalNumber(Number(s));
  const name = s.toUpperCase().replace(/^SIG/, "");
  if (name in SIGNALS) return SIGNALS[name];
  const rt = /^RTMIN(?:\+(\d+))?$/.exec(name) ?? /^RTMAX(?:-(\d+))?$/.exec(name);
  if (rt) {
    const n = name.startsWith("RTMIN") ? 34 + Number(rt[1] ?? 0) : 64 - Number(rt[1] ?? 0);
    if (n >= 34 && n <= 64) return n;
  }
  throw new ArgError(`unknown signal ${JSON.stringify(s)}`, "signal");
}
