/**
 * The process part of a plan, shared by the init and exec: limits, ids, capabilities, the
 * seccomp op, READY, the exec fifo and execve, and the hooks the init runs itself.
 * @module
 */
import { join } from "../path.ts";
import type { Hook, Linux, Process } from "../spec/types.ts";
import { SpecError } from "../errors.ts";
import { capMask, lastCap } from "../caps.ts";
import { NONE, Op } from "./encode.ts";
import { resolveInRoot } from "./paths.ts";
import { parseCpuList } from "../spec/cpu_list.ts";
import { DEFAULT_SECCOMP_TIMEOUT_MS } from "../seccomp/listener.ts";
import { IOPRIO_CLASSES, RLIMITS, SCHED_FLAGS, SCHED_POLICIES } from "../spec/linux_constants.ts";
import type { Add, PlanInput } from "./input.ts";

export const PR_SET_PDEATHSIG = 1;

export const PR_SET_KEEPCAPS = 8;

export const PR_SET_DUMPABLE = 4;

export const PR_SET_NO_NEW_PRIVS = 38;

/** u64 from a JSON number; RLIM_INFINITY and friends arrive as 2^64 after float rounding. */
export function u64(n: number): bigint {
  if (n >= 2 ** 64 - 1 || n < 0) return NONE;
  return BigInt(Math.trunc(n));
}

/**
 * `process` with HOME set, when its env lacks one, to the home of `user.uid` in the image's
 * /etc/passwd (else `/`), as runc and crun set it.
 */
export function withHome(proc: Process, rootfs: string): Process {
  if ((proc.env ?? []).some((e) => e.startsWith("HOME="))) return proc;
  const uid = proc.user?.uid ?? 0;
  let home = "/";
  try {
    const path = join(rootfs, resolveInRoot(rootfs, "/etc/passwd", ""));
    // An image's file, so no fifo (it would block) and nothing huge.
    const st = Deno.lstatSync(path);
    if (!st.isFile || st.size > 1 << 20) throw new Error("not a plain passwd file");
    const passwd = Deno.readTextFileSync(path);
    for (const line of passwd.split("\n")) {
      const f = line.split(":");
      if (f.length >= 7 && Number(f[2]) === uid && f[2] !== "") {
        home = f[5] || "/";
        break;
      }
    }
  } catch { /* no passwd in the image: "/" */ }
  return { ...proc, env: [...(proc.env ?? []), `HOME=${home}`] };
}

/**
 * The init reopens its exec fifo after the rlimits apply, as its lowest free fd (3 plus the
 * preserved fds): a smaller RLIMIT_NOFILE would only fail after `create` had said yes.
 */
export function checkNofile(proc: Process, preserveFds: number): void {
  const i = (proc.rlimits ?? []).findIndex((r) => r.type === "RLIMIT_NOFILE");
  if (i < 0) return;
  const least = 4 + preserveFds;
  if (proc.rlimits![i].soft < least) {
    throw new SpecError(
      `process.rlimits[${i}].soft`,
      `RLIMIT_NOFILE must be at least ${least}: the init opens one more fd before exec`,
    );
  }
}

/**
 * The AFFINITY op for `process.execCPUAffinity.<which>` (a cpu list): the cpu_set_t bytes
 * sched_setaffinity takes, or nothing when the field is absent.
 */
export function affinityOp(add: Add, proc: Process, which: "initial" | "final"): void {
  const list = proc.execCPUAffinity?.[which];
  if (list === undefined) return;
  const cpus = parseCpuList(list);
  if (!cpus.length) return;
  const mask = new Uint8Array(Math.max(128, Math.ceil((Math.max(...cpus) + 1) / 64) * 8));
  for (const c of cpus) mask[c >> 3] |= 1 << (c & 7);
  add(Op.AFFINITY, `process.execCPUAffinity.${which}: run on cpus ${list}`, [], [mask]);
}

/** What both the init and an exec'd process do last: limits, ids, caps, filter, exec. */
export function addProcessOps(
  add: Add,
  proc: Process,
  linux: Linux,
  input: Pick<PlanInput, "seccomp" | "preserveFds" | "bindUntilStart" | "setgroupsDenied">,
  waitForStart: boolean,
  startHooks?: Hook[],
): void {
  for (const [i, r] of (proc.rlimits ?? []).entries()) {
    add(Op.RLIMIT, `process.rlimits[${i}]: ${r.type}`, [RLIMITS[r.type], u64(r.soft), u64(r.hard)]);
  }
  if (linux.personality) {
    add(Op.PERSONALITY, "linux.personality", [linux.personality.domain === "LINUX32" ? 0x0008 : 0]);
  }
  if (proc.ioPriority) {
    add(Op.IOPRIO, "process.ioPriority", [
      IOPRIO_CLASSES[proc.ioPriority.class],
      proc.ioPriority.priority,
    ]);
  }
  if (proc.scheduler) {
    const sc = proc.scheduler;
    const flags = (sc.flags ?? []).reduce((f, n) => f | (SCHED_FLAGS[n] ?? 0), 0);
    add(Op.SCHED, "process.scheduler", [
      SCHED_POLICIES[sc.policy],
      flags,
      BigInt.asUintN(32, BigInt(sc.nice ?? 0)),
      sc.priority ?? 0,
      sc.runtime ?? 0,
      sc.deadline ?? 0,
      sc.period ?? 0,
    ]);
  }
  add(Op.SETSID, "setsid");
  if (proc.terminal) {
    add(Op.CONSOLE, "process.terminal: set up the pty", [
      proc.consoleSize?.height ?? 0,
      proc.consoleSize?.width ?? 0,
    ]);
  }

  // Close what the init inherited from the runtime before any filter exists (a profile need
  // not allow close_range); what is opened after this is close-on-exec.
  add(Op.CLOSE_FDS, "close inherited fds", [
    3 + (input.preserveFds ?? 0),
    ...(input.seccomp?.listenerFd !== undefined && input.seccomp.listenerFd >= 0
      ? [input.seccomp.listenerFd]
      : []),
  ]);

  // Seccomp without no_new_privs must go in while we still hold CAP_SYS_ADMIN; with it, as
  // late as possible so the profile need not allow the runtime's own setup.
  const seccompOp = () => {
    const s = input.seccomp!;
    add(Op.SECCOMP, "linux.seccomp", [
      s.flags,
      s.listenerFd ?? NONE,
      s.timeoutMs ?? DEFAULT_SECCOMP_TIMEOUT_MS,
    ], [
      s.program,
    ]);
  };
  if (input.seccomp && !proc.noNewPrivileges) seccompOp();

  const user = proc.user;
  // No capabilities object means no capabilities, as runc reads it: a process must never
  // keep the runtime's own full set (mount, module loading) because a field was left out.
  const caps = proc.capabilities ?? {};
  const last = lastCap();
  add(Op.CAPS_BOUNDING, "process.capabilities.bounding", [
    capMask(caps.bounding, "process.capabilities.bounding", last),
    last,
  ]);
  add(Op.PRCTL, "keep capabilities across setuid", [PR_SET_KEEPCAPS, 1, 0]);
  if (!input.setgroupsDenied) {
    const groups = new Uint8Array(4 * (user.additionalGids?.length ?? 0));
    (user.additionalGids ?? []).forEach((g, i) =>
      new DataView(groups.buffer).setUint32(i * 4, g, true)
    );
    add(Op.SETGROUPS, "process.user.additionalGids", [], [groups]);
  } else if (user.additionalGids?.length) {
    throw new SpecError(
      "process.user.additionalGids",
      "cannot be set: with a single mapped gid setgroups is denied (map a range from " +
        "/etc/subgid to use them)",
    );
  }
  add(Op.SETRESGID, "process.user.gid", [user.gid, user.gid, user.gid]);
  add(Op.SETRESUID, "process.user.uid", [user.uid, user.uid, user.uid]);
  add(Op.PRCTL, "stop keeping capabilities", [PR_SET_KEEPCAPS, 0, 0]);
  const permitted = capMask(caps.permitted, "process.capabilities.permitted", last);
  const inheritable = capMask(caps.inheritable, "process.capabilities.inheritable", last);
  add(Op.CAPSET, "process.capabilities", [
    capMask(caps.effective, "process.capabilities.effective", last),
    permitted,
    inheritable,
  ]);
  // The kernel raises an ambient cap only if it is permitted and inheritable; like runc we
  // leave the others out rather than fail (`runc spec` itself lists ambient caps that way).
  const ambient = capMask(caps.ambient, "process.capabilities.ambient", last) & permitted &
    inheritable;
  if (ambient) add(Op.CAPS_AMBIENT, "process.capabilities.ambient", [ambient, last]);
  add(Op.UMASK, "process.user.umask", [user.umask ?? 0o022]);
  add(Op.CHDIR, "process.cwd", [], [proc.cwd]);
  if (proc.noNewPrivileges) add(Op.PRCTL, "process.noNewPrivileges", [PR_SET_NO_NEW_PRIVS, 1, 0]);

  // Resolved as the container's user in its cwd, and, with no_new_privs, before the filter.
  const env = proc.env ?? [];
  const pathVar = env.findLast((e) => e.startsWith("PATH="))?.slice(5) ??
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  const args = proc.args ?? [];
  add(Op.RESOLVE_EXEC, `process.args[0]: ${args[0]}`, [], [args[0], pathVar]);
  // Nothing of ours after the filter but READY (a store the seccomp helper sends), the
  // exec fifo and execve: a profile may deny or notify any other syscall.
  const bind = waitForStart && input.bindUntilStart;
  if (!bind) add(Op.PRCTL, "clear parent-death signal", [PR_SET_PDEATHSIG, 0, 0]);
  if (input.seccomp && proc.noNewPrivileges) seccompOp();
  add(Op.READY, "report ready");
  if (waitForStart) add(Op.FIFO_WAIT, "wait for start (exec fifo)", [0]);
  // Best effort (num 3): after the filter a profile may deny prctl; the container then only
  // keeps dying with its `run`.
  if (bind) add(Op.PRCTL, "clear parent-death signal", [PR_SET_PDEATHSIG, 0, 0, 1]);
  addHookOps(add, "startContainer", startHooks, 1);
  add(Op.EXEC, `process.args[0]: exec ${args[0]}`, [args.length], [...args, ...env]);
}

/** RUN_HOOK ops for hooks the init runs itself; `state` 0 = creating, 1 = created. */
export function addHookOps(add: Add, kind: string, hooks: Hook[] | undefined, state: number): void {
  for (const [i, h] of (hooks ?? []).entries()) {
    const args = h.args?.length ? h.args : [h.path];
    add(Op.RUN_HOOK, `hooks.${kind}[${i}]: run ${h.path}`, [
      args.length,
      (h.timeout ?? 0) * 1000,
      state,
    ], [
      h.path,
      ...args,
      ...(h.env ?? []),
    ]);
  }
}
