/**
 * `exec`: a new process in a running container, joining the init's namespaces and cgroups
 * and getting the container's filter (see buildExecPlan for the steps in the child).
 * @module
 */
import { join } from "../path.ts";
import type { Process, Spec } from "../spec/types.ts";
import { validateSpec } from "../spec/validate.ts";
import { DrunError } from "../errors.ts";
import { buildExecPlan } from "../plan/build.ts";
import { type ExitStatus, loadNative, waitPid } from "../native/ffi.ts";
import { containerDir, readState } from "../state/store.ts";
import { toOciState } from "../state/oci.ts";
import { cgroupsFromPaths, isPaused } from "../cgroup/mod.ts";
import { execCapabilities } from "../linux/capabilities.ts";
import { consoleHandler } from "../launch.ts";
import { NS_FILES, writePidFile } from "../processes.ts";
import { agentMessage, LaunchHandle, prepareSeccomp } from "./steps.ts";
import type { StdioOption } from "../stdio.ts";

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
  /**
   * Library stdio, as `create`'s: pipes, /dev/null, fds or ours (excludes `stdioFds`). Piped
   * stdout and stderr come back in the result (captured to the end), or as streams with
   * `detach`.
   */
  stdio?: StdioOption;
  /** Written to the process's stdin, then closed (stdin becomes a pipe). */
  input?: string | Uint8Array;
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
  /** What it wrote to a piped stdout, to its end (not detached). */
  stdout?: Uint8Array;
  /** What it wrote to a piped stderr, to its end (not detached). */
  stderr?: Uint8Array;
  /** With `detach`: the parent's ends of its pipes, the caller's to read and close. */
  streams?: ExecStreams;
  /**
   * With `detach`: waits for the process and reaps it. It is a child of this process, so
   * until then it stays a zombie in the container's cgroups once it exits.
   */
  wait?: () => Promise<ExitStatus>;
}

/**
 * The parent's ends of a detached exec's pipes.
 *
 * @example
 * ```ts
 * const c = new Runtime("/run/drun").get("web");
 * const r = await c.exec({ args: ["/bin/date"], cwd: "/" }, { stdio: { stdout: "pipe" }, detach: true });
 * const s: ExecStreams | undefined = r.streams;
 * console.log(await new Response(s?.stdout).text());
 * ```
 */
export interface ExecStreams {
  /** Writes to its stdin; closing it gives the process EOF. */
  stdin?: WritableStream<Uint8Array>;
  /** Reads its stdout. */
  stdout?: ReadableStream<Uint8Array>;
  /** Reads its stderr. */
  stderr?: ReadableStream<Uint8Array>;
}

/**
 * Runs `process` in container `id` under the state root `root`: the shared launch steps
 * (./steps.ts) with the plan of a process that joins the init's namespaces.
 *
 * @example
 * ```ts ignore
 * const r = await execInContainer("/run/drun", "web", { args: ["/bin/true"], cwd: "/" });
 * console.log(r.status); // { code: 0 }
 * ```
 */
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
  // The validated copy: its profile is compiled as validateSpec checked it.
  const seccomp = prepareSeccomp(checkedSpec);
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
  const launched = new LaunchHandle();
  try {
    launched.connectNotifyListener(seccomp);
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
      seccomp: seccomp?.input,
    });
    const pid = await launched.launch(plan, opts.stdioFds, "exec: joining the container failed");
    cgroupsFromPaths(st.cgroupPaths)?.join(pid);
    await launched.handshake({
      payload: agentMessage(seccomp, spec, pid, {
        ...toOciState(st),
        status: "running",
        annotations: spec.annotations ?? {},
      }),
      timeouts: { timeoutMs: 60_000, agentTimeoutMs: seccomp?.input.timeoutMs },
      onConsole,
    });
    if (opts.pidFile) await writePidFile(opts.pidFile, pid);
    await launched.awaitExec();
    if (opts.detach) return { pid, wait: () => waitPid(pid) };
    return { pid, status: await waitPid(pid) };
  } catch (e) {
    await launched.abort();
    throw e;
  } finally {
    launched.close();
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
