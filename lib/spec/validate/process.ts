/**
 * Validation of `process`: args, env, user, capabilities, rlimits, scheduler, I/O priority.
 * @module
 */
import { CAPABILITIES } from "../../linux/capabilities.ts";
import { IOPRIO_CLASSES, RLIMITS, SCHED_FLAGS, SCHED_POLICIES } from "../../linux/process.ts";
import {
  argLimit,
  asCString,
  asObject,
  asString,
  cpuList,
  fail,
  get,
  id32,
  intIn,
  type Json,
  need,
  optArray,
  optBool,
  optObject,
  optString,
  pathLimits,
  uint32,
  uint64,
} from "./json.ts";

// The capability table lives in lib/caps.ts so validation and the cap masks cannot disagree.
export const KNOWN_CAPS: ReadonlySet<string> = new Set(CAPABILITIES);

export const CAP_SETS = ["bounding", "effective", "inheritable", "permitted", "ambient"] as const;

export function checkProcess(proc: Json): void {
  const base = "process";
  const terminal = optBool(proc, "terminal", base);
  const consoleSize = optObject(proc, "consoleSize", base);
  if (consoleSize) {
    uint32(need(consoleSize, "height", "process.consoleSize"), "process.consoleSize.height");
    uint32(need(consoleSize, "width", "process.consoleSize"), "process.consoleSize.width");
    if (!terminal) fail("process.consoleSize", "requires process.terminal to be true");
  }

  const user = asObject(need(proc, "user", base), "process.user");
  id32(need(user, "uid", "process.user"), "process.user.uid");
  id32(need(user, "gid", "process.user"), "process.user.gid");
  const umask = get(user, "umask");
  if (umask !== undefined) intIn(umask, "process.user.umask", 0, 0o777, "must be in 0..0o777");
  optArray(user, "additionalGids", "process.user")?.forEach((g, i) =>
    id32(g, `process.user.additionalGids[${i}]`)
  );
  optString(user, "username", "process.user");

  const args = get(proc, "args");
  if (!Array.isArray(args) || args.length === 0) fail("process.args", "must be a non-empty array");
  checkArgv(args, "process.args");
  if (args[0] === "") fail("process.args[0]", "must not be empty");
  optString(proc, "commandLine", base);
  checkEnv(proc, base);
  const cwd = asCString(need(proc, "cwd", base), "process.cwd");
  if (!cwd.startsWith("/")) fail("process.cwd", "must be an absolute path");
  pathLimits(cwd, "process.cwd");

  const caps = optObject(proc, "capabilities", base);
  if (caps) {
    for (const set of CAP_SETS) {
      optArray(caps, set, "process.capabilities")?.forEach((c, i) => {
        const p = `process.capabilities.${set}[${i}]`;
        const name = asString(c, p);
        if (!KNOWN_CAPS.has(name)) fail(p, `unknown capability "${name}"`);
      });
    }
    // capset(2) refuses an effective capability that is not also permitted.
    const permitted = new Set((caps.permitted ?? []) as string[]);
    ((caps.effective ?? []) as string[]).forEach((name, i) => {
      if (!permitted.has(name)) {
        fail(`process.capabilities.effective[${i}]`, `${name} is not in the permitted set`);
      }
    });
  }

  const seen = new Set<string>();
  optArray(proc, "rlimits", base)?.forEach((r, i) => {
    const p = `process.rlimits[${i}]`;
    const rl = asObject(r, p);
    const type = asString(need(rl, "type", p), `${p}.type`);
    if (!Object.hasOwn(RLIMITS, type)) fail(`${p}.type`, `unknown rlimit type "${type}"`);
    if (seen.has(type)) fail(`${p}.type`, `duplicate rlimit type "${type}"`);
    seen.add(type);
    const hard = uint64(need(rl, "hard", p), `${p}.hard`);
    const soft = uint64(need(rl, "soft", p), `${p}.soft`);
    if (soft > hard) fail(`${p}.soft`, `must not exceed hard (${soft} > ${hard})`);
  });

  optBool(proc, "noNewPrivileges", base);
  optString(proc, "apparmorProfile", base);
  const oom = get(proc, "oomScoreAdj");
  if (oom !== undefined) intIn(oom, "process.oomScoreAdj", -1000, 1000);
  optString(proc, "selinuxLabel", base);

  const io = optObject(proc, "ioPriority", base);
  if (io) {
    const cls = asString(need(io, "class", "process.ioPriority"), "process.ioPriority.class");
    if (!Object.hasOwn(IOPRIO_CLASSES, cls)) {
      fail("process.ioPriority.class", `unknown class "${cls}"`);
    }
    intIn(need(io, "priority", "process.ioPriority"), "process.ioPriority.priority", 0, 7);
  }

  const sched = optObject(proc, "scheduler", base);
  if (sched) checkScheduler(sched);

  const aff = optObject(proc, "execCPUAffinity", base);
  if (aff) {
    for (const k of ["initial", "final"]) {
      const v = optString(aff, k, "process.execCPUAffinity");
      if (v !== undefined) cpuList(v, `process.execCPUAffinity.${k}`);
    }
  }
}

export function checkScheduler(s: Json): void {
  const base = "process.scheduler";
  const policy = asString(need(s, "policy", base), `${base}.policy`);
  if (!Object.hasOwn(SCHED_POLICIES, policy)) fail(`${base}.policy`, `unknown policy "${policy}"`);
  const nice = get(s, "nice");
  if (nice !== undefined) intIn(nice, `${base}.nice`, -20, 19);
  const prio = get(s, "priority");
  if (prio !== undefined) {
    // sched_setattr rejects a static priority outside 1..99 for the real-time policies and
    // anything but 0 for the others; say so here rather than as an EINVAL at start.
    if (policy === "SCHED_FIFO" || policy === "SCHED_RR") {
      intIn(prio, `${base}.priority`, 1, 99);
    } else {
      intIn(prio, `${base}.priority`, 0, 0, `must be 0 for ${policy}`);
    }
  }
  optArray(s, "flags", base)?.forEach((f, i) => {
    const name = asString(f, `${base}.flags[${i}]`);
    if (!Object.hasOwn(SCHED_FLAGS, name)) fail(`${base}.flags[${i}]`, `unknown flag "${name}"`);
  });
  for (const k of ["runtime", "deadline", "period"]) {
    const v = get(s, k);
    if (v !== undefined) uint64(v, `${base}.${k}`);
  }
}

export function checkEnv(o: Json, base: string): void {
  optArray(o, "env", base)?.forEach((e, i) => {
    const p = `${base}.env[${i}]`;
    const s = asCString(e, p);
    if (s.indexOf("=") < 1) fail(p, "must be of the form KEY=value");
    argLimit(s, p);
  });
}

/** An argv for execve: C strings within the kernel's limit, the first one a path. */
export function checkArgv(args: unknown[], base: string): void {
  args.forEach((a, i) => argLimit(asCString(a, `${base}[${i}]`), `${base}[${i}]`));
  // execve takes args[0] (or each PATH entry joined with it) as a file name.
  pathLimits(args[0] as string, `${base}[0]`);
}
