/**
 * `exec`: a new process in a running container, joining the init's namespaces and cgroups
 * and getting the container's filter (see buildExecPlan for the steps in the child).
 * @module
 */
import { join } from "./path.ts";
import type { Process, Spec } from "./spec/types.ts";
import { validateSpec } from "./spec/validate.ts";
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
  unixConnect,
  waitPid,
} from "./native/ffi.ts";
import { containerDir, readState } from "./state/store.ts";
import { toOciState } from "./state/oci.ts";
import { compileSeccompCached } from "./seccomp/compile.ts";
import { cgroupsFromPaths } from "./cgroup/mod.ts";
import { awaitReady, consoleHandler, launchError, seccompPayload } from "./launch.ts";
import { NS_FILES, writePidFile } from "./processes.ts";

/** Options for `exec`. */
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
}

/** What `exec` returns. */
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
  const st = readState(root, id);
  if (st.status !== "running" && st.status !== "created") {
    throw new DrunError("EBADSTATE", `cannot exec in a container that is ${st.status}`);
  }
  const spec = JSON.parse(
    Deno.readTextFileSync(join(containerDir(root, id), "config.json")),
  ) as Spec;
  const checked = validateSpec({ ...spec, process }, { bundle: st.bundle }).process!;
  const onConsole = consoleHandler(checked.terminal, opts);
  const seccomp = spec.linux?.seccomp
    ? compileSeccompCached(spec.linux.seccomp, { path: "linux.seccomp" })
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
      try {
        listenerFd = unixConnect(spec.linux!.seccomp!.listenerPath!);
      } catch (e) {
        throw new DrunError("ESECCOMP", (e as Error).message, "linux.seccomp.listenerPath");
      }
    }
    const plan = buildExecPlan({
      process: checked,
      linux: spec.linux ?? {},
      namespaces,
      preserveFds: opts.preserveFds,
      seccomp: seccomp
        ? {
          program: seccomp.program,
          flags: seccomp.flags,
          listenerFd: listenerFd >= 0 ? listenerFd : undefined,
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
    await awaitReady(plan, syncFd, pid, 60_000, undefined, onConsole);
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
