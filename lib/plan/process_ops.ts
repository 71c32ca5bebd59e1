/**
 * The process part of a plan, shared by the init and exec: limits, ids, capabilities, the
 * seccomp op, READY, the exec fifo and execve, and the hooks the init runs itself.
 * @module
 */
import { join } from "../path.ts";
import type { Hook, Linux, Process } from "../spec/types.ts";
import { SpecError } from "../errors.ts";
import { capMask, lastCap } from "../linux/capabilities.ts";
import { NONE } from "./encode.ts";
import { ops } from "./ops.ts";
import { resolveInRoot } from "./paths.ts";
import { parseCpuList } from "../spec/cpu_list.ts";
import { DEFAULT_SECCOMP_TIMEOUT_MS } from "../seccomp/listener.ts";
import { IOPRIO_CLASSES, RLIMITS, SCHED_FLAGS, SCHED_POLICIES } from "../linux/process.ts";
import type { Add, PlanInput } from "./input.ts";

import { PR_SET_KEEPCAPS, PR_SET_NO_NEW_PRIVS, PR_SET_PDEATHSIG } from "../linux/prctl.ts";

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
  const field = `process.execCPUAffinity.${which}`;
  add(ops.affinity({ field, action: `run on cpus ${list}`, cpus }));
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
    add(ops.rlimit({
      field: `process.rlimits[${i}]`,
      action: `set ${r.type}`,
      resource: RLIMITS[r.type],
      soft: u64(r.soft),
      hard: u64(r.hard),
    }));
  }
  if (linux.personality) {
    const domain = linux.personality.domain;
    add(ops.personality({
      field: "linux.personality",
      action: `set personality ${domain}`,
      persona: domain === "LINUX32" ? 0x0008 : 0,
    }));
  }
  if (proc.ioPriority) {
    const io = proc.ioPriority;
    add(ops.ioprio({
      field: "process.ioPriority",
      action: `set ${io.class} priority ${io.priority}`,
      ioClass: IOPRIO_CLASSES[io.class],
      level: io.priority,
    }));
  }
  if (proc.scheduler) {
    const sc = proc.scheduler;
    add(ops.sched({
      field: "process.scheduler",
      action: `set ${sc.policy}`,
      policy: SCHED_POLICIES[sc.policy],
      flags: (sc.flags ?? []).reduce((f, n) => f | (SCHED_FLAGS[n] ?? 0), 0),
      nice: sc.nice ?? 0,
      priority: sc.priority ?? 0,
      runtime: sc.runtime ?? 0,
      deadline: sc.deadline ?? 0,
      period: sc.period ?? 0,
    }));
  }
  add(ops.setsid({ action: "start a new session" }));
  if (proc.terminal) {
    add(ops.console({
      field: "process.terminal",
      action: "set up the pty",
      rows: proc.consoleSize?.height ?? 0,
      cols: proc.consoleSize?.width ?? 0,
    }));
  }

  // Close what the init inherited from the runtime before any filter exists (a profile need
  // not allow close_range); what is opened after this is close-on-exec.
  const listener = input.seccomp?.listenerFd;
  add(ops.closeFds({
    action: "close inherited fds",
    from: 3 + (input.preserveFds ?? 0),
    keep: listener !== undefined && listener >= 0 ? [listener] : [],
  }));

  // Seccomp without no_new_privs must go in while we still hold CAP_SYS_ADMIN; with it, as
  // late as possible so the profile need not allow the runtime's own setup.
  const seccompOp = () => {
    const s = input.seccomp!;
    add(ops.seccomp({
      field: "linux.seccomp",
      action: "install the filter",
      program: s.program,
      flags: s.flags,
      listenerFd: s.listenerFd,
      timeoutMs: s.timeoutMs ?? DEFAULT_SECCOMP_TIMEOUT_MS,
    }));
  };
  if (input.seccomp && !proc.noNewPrivileges) seccompOp();

  const user = proc.user;
  // No capabilities object means no capabilities, as runc reads it: a process must never
  // keep the runtime's own full set (mount, module loading) because a field was left out.
  const caps = proc.capabilities ?? {};
  const last = lastCap();
  add(ops.capsBounding({
    field: "process.capabilities.bounding",
    action: "drop the capabilities not listed",
    keep: capMask(caps.bounding, "process.capabilities.bounding", last),
    lastCap: last,
  }));
  add(ops.prctl({
    action: "keep capabilities across setuid",
    option: PR_SET_KEEPCAPS,
    arg2: 1,
    arg3: 0,
  }));
  if (!input.setgroupsDenied) {
    const gids = user.additionalGids ?? [];
    const field = "process.user.additionalGids";
    add(ops.setgroups({ field, action: `set groups [${gids.join(",")}]`, gids }));
  } else if (user.additionalGids?.length) {
    throw new SpecError(
      "process.user.additionalGids",
      "cannot be set: with a single mapped gid setgroups is denied (map a range from " +
        "/etc/subgid to use them)",
    );
  }
  add(ops.setresgid({ field: "process.user.gid", action: `set gid ${user.gid}`, gid: user.gid }));
  add(ops.setresuid({ field: "process.user.uid", action: `set uid ${user.uid}`, uid: user.uid }));
  add(ops.prctl({
    action: "stop keeping capabilities",
    option: PR_SET_KEEPCAPS,
    arg2: 0,
    arg3: 0,
  }));
  const permitted = capMask(caps.permitted, "process.capabilities.permitted", last);
  const inheritable = capMask(caps.inheritable, "process.capabilities.inheritable", last);
  add(ops.capset({
    field: "process.capabilities",
    action: "set the capabilities",
    effective: capMask(caps.effective, "process.capabilities.effective", last),
    permitted,
    inheritable,
  }));
  // The kernel raises an ambient cap only if it is permitted and inheritable; like runc we
  // leave the others out rather than fail (`runc spec` itself lists ambient caps that way).
  const ambient = capMask(caps.ambient, "process.capabilities.ambient", last) & permitted &
    inheritable;
  if (ambient) {
    add(ops.capsAmbient({
      field: "process.capabilities.ambient",
      action: "raise the ambient capabilities",
      raise: ambient,
      lastCap: last,
    }));
  }
  const mask = user.umask ?? 0o022;
  const umask = `set umask 0${mask.toString(8).padStart(3, "0")}`;
  add(ops.umask({ field: "process.user.umask", action: umask, mask }));
  add(ops.chdir({ field: "process.cwd", action: `enter ${proc.cwd}`, dir: proc.cwd }));
  if (proc.noNewPrivileges) {
    add(ops.prctl({
      field: "process.noNewPrivileges",
      action: "set no_new_privs",
      option: PR_SET_NO_NEW_PRIVS,
      arg2: 1,
      arg3: 0,
    }));
  }

  // Resolved as the container's user in its cwd, and, with no_new_privs, before the filter.
  const env = proc.env ?? [];
  const pathVar = env.findLast((e) => e.startsWith("PATH="))?.slice(5) ??
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  const args = proc.args ?? [];
  const arg0 = { field: "process.args[0]" };
  add(ops.resolveExec({ ...arg0, action: `find ${args[0]}`, file: args[0], searchPath: pathVar }));
  // Nothing of ours after the filter but READY (a store the seccomp helper sends), the
  // exec fifo and execve: a profile may deny or notify any other syscall.
  const bind = waitForStart && input.bindUntilStart;
  const pdeath = {
    action: "clear parent-death signal",
    option: PR_SET_PDEATHSIG,
    arg2: 0,
    arg3: 0,
  };
  if (!bind) add(ops.prctl(pdeath));
  if (input.seccomp && proc.noNewPrivileges) seccompOp();
  add(ops.ready({ action: "report ready" }));
  if (waitForStart) add(ops.fifoWait({ action: "wait for start (exec fifo)", slot: 0 }));
  // Best effort: after the filter a profile may deny prctl; the container then only keeps
  // dying with its `run`.
  if (bind) add(ops.prctl({ ...pdeath, bestEffort: true }));
  addHookOps(add, "startContainer", startHooks, "created");
  add(ops.exec({ ...arg0, action: `exec ${args[0]}`, args, env }));
}

/** RUN_HOOK ops for hooks the init runs itself, given the state they are shown. */
export function addHookOps(
  add: Add,
  kind: string,
  hooks: Hook[] | undefined,
  state: "creating" | "created",
): void {
  for (const [i, h] of (hooks ?? []).entries()) {
    add(ops.runHook({
      field: `hooks.${kind}[${i}]`,
      action: `run ${h.path}`,
      path: h.path,
      args: h.args?.length ? h.args : [h.path],
      env: h.env ?? [],
      timeoutMs: (h.timeout ?? 0) * 1000,
      state,
    }));
  }
}
