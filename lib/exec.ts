/**
 * `exec`: a new process in a running container, joining the init's namespaces and cgroups
 * and getting the container's filter (see buildExecPlan for the steps in the child).
 * @module
 */
import { join } from "./path.ts";
import type { Process, Spec } from "./spec/types.ts";
import { validatedSeccomp, validateSpec } from "./spec/validate.ts";
import { DrunError, LaunchError } from "./errors.ts";
import { buildExecPlan } from "./plan/build.ts";
import { encodePlan } from "./plan/encode.ts";
import {
  closeFd,
  type ExitStatus,
  killPid,
  launch,
  loadNative,
  MsgKind,
  recvMessage,
  sendMessage,
  waitPid,
} from "./native/ffi.ts";
import { containerDir, readState } from "./state/store.ts";
import { toOciState } from "./state/oci.ts";
import { compileSeccompCached } from "./seccomp/compile.ts";
import { connectListener, seccompTimeoutMs } from "./seccomp/listener.ts";
import { cgroupsFromPaths, isPaused } from "./cgroup/mod.ts";
import { execCapabilities } from "./caps.ts";
import { awaitReady, consoleHandler, launchError, seccompPayload } from "./launch.ts";
import { NS_FILES, writePidFile } from "./processes.ts";

/**
 * Options for `exec`.
 *
 * @example
 * ```ts
 * const opts: ExecOptions = { detach: true, pidFile: "/run/web-exec.pid" };
 * ```
 */
export interface ExecOptions {
  /** Return once the process has exec'd instead of waiting for it. */
  detach?: boolean;
  /** Write its host pid here. */
  pidFile?: string;
  /** Pass fds 3 .. 3+N-1. */
  preserveFds?: number;
  /** With process.terminal: a unix socket to send the pty master to. */
  consoleSocket?: string;
  /** With process.terminal and no consoleSocket: receives the pty master fd. */
  onConsole?: (fd: number) => void;
  /** The process's stdin, stdout and stderr as fds of this process (-1 or absent: ours). */
  stdioFds?: readonly number[];
  /** Capabilities to add to the bounding, effective and permitted sets (runc's `--cap`). */
  addCapabilities?: string[];
  /**
   * Exec even into a paused container (runc's `--ignore-paused`): the process joins the
   * frozen cgroup, so this waits until the container is resumed.
   */
  ignorePaused?: boolean;
}

/**
 * What `exec` returns.
 *
 * @example
 * ```ts
 * const c = new Runtime("/run/drun").get("web");
 * const r: ExecResult = await c.exec({ args: ["/bin/true"], cwd: "/", user: { uid: 0, gid: 0 } });
 * console.log(r.pid, r.status); // 1234 { code: 0 }
 * ```
 */
export interface ExecResult {
  /** Host pid of the new process. */
  pid: number;
  /** Its exit status, unless detached. */
  status?: ExitStatus;
}

/** Runs `process` in container `id` under the state root `root`. */
export async function execInContainer(
  root: string,
  id: string,
  process: Process,
  opts: ExecOptions = {},
): Promise<ExecResult> {
  await loadNative();
  const st = readState(root, id, isPaused);
  // A process joining a frozen cgroup would wait for a resume that may never come.
  if (st.status === "paused" && !opts.ignorePaused) {
    throw new DrunError(
      "EBADSTATE",
      "cannot exec in a paused container (use --ignore-paused to override)",
    );
  }
  if (st.status !== "running" && st.status !== "created" && st.status !== "paused") {
    throw new DrunError("EBADSTATE", `cannot exec in a container that is ${st.status}`);
  }
  const spec = JSON.parse(
    Deno.readTextFileSync(join(containerDir(root, id), "config.json")),
  ) as Spec;
  const capabilities = execCapabilities(
    process.capabilities,
    spec.process?.capabilities,
    opts.addCapabilities,
  );
  const checkedSpec = validateSpec({ ...spec, process: { ...process, capabilities } }, {
    bundle: st.bundle,
  });
  const checked = checkedSpec.process!;
  const onConsole = consoleHandler(checked.terminal, opts);
  const profile = checkedSpec.linux?.seccomp;
  const seccomp = profile
    ? compileSeccompCached(profile, { path: "linux.seccomp", valid: validatedSeccomp(profile) })
    : undefined;
  const namespaces = (spec.linux?.namespaces ?? [])
    .map((ns) => ({ type: ns.type, path: `/proc/${st.pid}/ns/${NS_FILES[ns.type]}` }))
    .filter((ns) => {
      try {
        return Deno.readLinkSync(ns.path) !==
          Deno.readLinkSync(`/proc/self/ns/${NS_FILES[ns.type]}`);
      } catch {
        throw new DrunError("EBADSTATE", `container ${id} init is gone`);
      }
    });
  let listenerFd = -1;
  let syncFd = -1;
  let pid = 0;
  try {
    if (seccomp?.usesNotify) {
      listenerFd = connectListener(spec.linux!.seccomp!.listenerPath!);
    }
    const plan = buildExecPlan({
      process: checked,
      linux: spec.linux ?? {},
      namespaces,
      preserveFds: opts.preserveFds,
      // A rootless container that maps one gid cannot call setgroups (lib/id_maps.ts).
      setgroupsDenied: readSetgroups(st.pid) === "deny",
      chrootTo: spec.linux?.namespaces?.some((ns) => ns.type === "mount")
        ? undefined
        : `/proc/${st.pid}/root`,
      seccomp: seccomp
        ? {
          program: seccomp.program,
          flags: seccomp.flags,
          listenerFd: listenerFd >= 0 ? listenerFd : undefined,
          timeoutMs: seccompTimeoutMs(spec.annotations),
        }
        : undefined,
    });
    let intermediate: number;
    ({ pid: intermediate, syncFd } = launch(encodePlan(plan), opts.stdioFds));
    if (listenerFd >= 0) {
      closeFd(listenerFd);
      listenerFd = -1;
    }
    const m = await recvMessage(syncFd, 10_000);
    await waitPid(intermediate).catch(() => {});
    if (m?.kind === MsgKind.ERROR) throw launchError(plan, m);
    if (m?.kind !== MsgKind.PID) throw new LaunchError("exec: joining the container failed", 0);
    pid = Number(m.value);
    cgroupsFromPaths(st.cgroupPaths)?.join(pid);
    const payload = seccomp?.usesNotify
      ? seccompPayload(spec, pid, {
        ...toOciState(st),
        status: "running",
        annotations: spec.annotations ?? {},
      })
      : undefined;
    sendMessage(syncFd, MsgKind.GO, payload);
    await awaitReady(
      plan,
      syncFd,
      pid,
      {
        timeoutMs: 60_000,
        agentTimeoutMs: seccomp ? seccompTimeoutMs(spec.annotations) : undefined,
      },
      undefined,
      onConsole,
    );
    if (opts.pidFile) await writePidFile(opts.pidFile, pid);
    const m2 = await recvMessage(syncFd, -1);
    if (m2?.kind === MsgKind.ERROR) throw launchError(plan, m2);
    if (opts.detach) return { pid };
    return { pid, status: await waitPid(pid) };
  } catch (e) {
    if (pid > 0) {
      killPid(pid, 9);
      await waitPid(pid).catch(() => {});
    }
    throw e;
  } finally {
    if (listenerFd >= 0) closeFd(listenerFd);
    if (syncFd >= 0) closeFd(syncFd);
  }
}

/** /proc/<pid>/setgroups ("allow" or "deny"), or undefined when unreadable. */
function readSetgroups(pid: number): string | undefined {
  try {
    return Deno.readTextFileSync(`/proc/${pid}/setgroups`).trim();
  } catch {
    return undefined;
  }
}
