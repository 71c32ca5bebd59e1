/**
 * The runtime: create / start / kill / delete / state / list / run, orchestrated from the
 * parent side. This is the library API the CLI is a thin layer over.
 * @module
 */
import { join, resolve } from "./path.ts";
import type { LinuxResources, Process, Spec } from "./spec/types.ts";
import { DrunError } from "./errors.ts";
import { errnoText, killPid, loadNative } from "./native/ffi.ts";
import { containerDir, type ContainerState, listIds, readState, withLock } from "./state/store.ts";
import { signalNumber } from "./linux/signals.ts";
import { OCI_VERSION, type OciState, toOciState } from "./state/oci.ts";
import { mark } from "./timing.ts";
import { waitInit, type WaitStatus } from "./wait.ts";
import { containerPids, waitGone } from "./processes.ts";
import type { ExecOptions, ExecResult, ExecStreams } from "./runtime/exec.ts";

import { createContainer } from "./runtime/create.ts";
import { createWithStdio, runContainer } from "./runtime/run.ts";
import { startContainer } from "./runtime/start.ts";
import { Container } from "./runtime/container.ts";
import { removeRootBind } from "./runtime/root_bind.ts";
import {
  type CreateOptions,
  type CreateResult,
  DEFAULT_ROOT,
  type RunOptions,
  type RunResult,
  type Warn,
} from "./runtime/options.ts";

export {
  containerPids,
  type ExecOptions,
  type ExecResult,
  type ExecStreams,
  OCI_VERSION,
  type OciState,
  toOciState,
};
export { Container, type ContainerRuntime } from "./runtime/container.ts";
// The options and results, imported above for the Runtime's own use, are the API too.
export {
  type CreateOptions,
  type CreateResult,
  DEFAULT_ROOT,
  type RunOptions,
  type RunResult,
  type Warn,
};
export type { StdioMode, StdioOption, StdioStreams } from "./stdio.ts";
export type { WaitStatus } from "./wait.ts";

import { type HookOutput, runHooks } from "./hooks.ts";
import { rootlessMode } from "./rootless.ts";
import { cgroupsFromPaths, isPaused } from "./cgroup/mod.ts";
import {
  containerCgroupPids,
  type ContainerEvent,
  containerEvents,
  type EventsOptions,
  killCgroup,
  pauseContainer,
  resumeContainer,
  updateContainer,
} from "./runtime/cgroup_ops.ts";

/**
 * A runtime rooted at one state directory.
 *
 * @example
 * ```ts
 * const rt = new Runtime("/run/drun");
 * const spec = defaultSpec({ args: ["/bin/echo", "hi"], terminal: false });
 * spec.root = { path: "/srv/rootfs" };
 * const { code, stdout } = await rt.run(spec, { text: true });
 * console.log(code, stdout); // 0 "hi\n"
 * console.log(rt.list().map((s) => `${s.id} ${s.status}`));
 * ```
 */
export class Runtime {
  /** The state root. */
  readonly root: string;
  /** Where warnings go. */
  warn: Warn;
  /**
   * Where debug notes go (nowhere by default): what engines should not show as a warning,
   * such as syscall names a profile lists that this kernel's tables do not know (podman's
   * default profile has several).
   */
  debug: Warn = () => {};
  /** Where hook output goes (the CLI sends it to the runtime's log). */
  hookOutput: HookOutput = (kind, i, stream, text) =>
    this.warn(`hooks.${kind}[${i}] ${stream}: ${text.trimEnd()}`);
  /**
   * Run as a rootless runtime (runc's `--rootless`): cgroups only where a writable hierarchy
   * exists, a user namespace required when unprivileged. Undefined is `auto`: rootless when the
   * effective uid is not 0 or this process is in a user namespace (decided at each create, so
   * that a caller without --allow-sys gets the permission error, not Deno's).
   */
  rootless?: boolean;

  /** Creates a runtime over `root` (default /run/drun). */
  constructor(root: string = DEFAULT_ROOT, warn: Warn = (m) => console.error(`warning: ${m}`)) {
    this.root = resolve(root);
    this.warn = warn;
  }

  /**
   * Creates a container whose init waits for `start`, and returns a handle on it.
   * Cleans up fully (process, state dir, fds) on any failure.
   */
  async create(id: string, opts: CreateOptions = {}): Promise<Container> {
    return await createWithStdio(this, id, opts);
  }

  /**
   * Runs a container in the foreground, as `runc run` does: creates it from a spec or a
   * bundle directory, starts it, waits for it and deletes it. stdout and stderr are captured
   * by default (`stdio: { stdin: "null", stdout: "pipe", stderr: "pipe" }`); `input` feeds
   * stdin. Aborting `signal` kills the container and deletes it.
   */
  async run(source: Spec | string, opts: RunOptions & { text: true }): Promise<RunResult<string>>;
  /** `run`, the output as bytes. */
  async run(source: Spec | string, opts?: RunOptions): Promise<RunResult<Uint8Array>>;
  async run(source: Spec | string, opts: RunOptions = {}): Promise<RunResult<string | Uint8Array>> {
    return await runContainer(this, source, opts);
  }

  /** A handle on an existing container (throws ENOTFOUND when there is none). */
  get(id: string): Container {
    readState(this.root, id);
    return new Container(this, id);
  }

  /** `create`, returning what the launch learned (handoff timing, exec watch). */
  async createWithResult(id: string, opts: CreateOptions = {}): Promise<CreateResult> {
    return await createContainer(this, id, opts);
  }

  /** Runs poststop hooks; the spec makes their failure a warning (also for a failed create). */
  async poststop(spec: Spec, state: OciState): Promise<void> {
    if (!spec.hooks?.poststop?.length) return;
    await runHooks(
      "poststop",
      spec.hooks.poststop,
      state,
      this.hookOutput,
      (e) => this.warn(e.message),
    );
  }

  /** Releases a created container's process. */
  async start(id: string): Promise<void> {
    await startContainer(this, id);
  }

  /** The validated spec a container was created with. */
  containerSpec(id: string): Spec {
    readState(this.root, id);
    return JSON.parse(Deno.readTextFileSync(join(containerDir(this.root, id), "config.json")));
  }

  /** The OCI state of a container. */
  state(id: string): OciState {
    const st = readState(this.root, id, isPaused);
    return toOciState(st);
  }

  /** All containers under the root. */
  list(): OciState[] {
    const out: OciState[] = [];
    for (const id of listIds(this.root)) {
      try {
        out.push(this.state(id));
      } catch { /* half-deleted or foreign directory: skip, as runc does */ }
    }
    return out;
  }

  /** Sends a signal (name or number) to the init, or with `all` to every process in it. */
  async kill(id: string, signal: string | number = "SIGTERM", all = false): Promise<void> {
    await loadNative();
    const sig = signalNumber(signal);
    await withLock(this.root, id, () => {
      const st = readState(this.root, id);
      if (st.status === "stopped") throw new DrunError("EBADSTATE", "container not running");
      const pids = all ? containerPids(st) : [st.pid];
      for (const p of pids) {
        const rc = killPid(p, sig);
        if (rc < 0 && rc !== -3) throw new DrunError("EBADSTATE", `kill ${p}: ${errnoText(-rc)}`);
      }
    });
  }

  /** Deletes a stopped (or created) container; `force` kills a running one first. */
  async delete(id: string, opts: { force?: boolean } = {}): Promise<void> {
    await loadNative();
    mark("delete");
    await withLock(this.root, id, async () => {
      let st: ContainerState;
      try {
        st = readState(this.root, id, isPaused);
      } catch (e) {
        // A directory with no state at all (a runtime killed between the two): nothing else
        // can exist yet, so force removes the directory and frees the id.
        if (!opts.force || !(e instanceof DrunError)) throw e;
        const gone = await Deno.remove(containerDir(this.root, id), { recursive: true })
          .then(() => false, (err) => {
            if (err instanceof Deno.errors.NotFound) return true;
            throw err;
          });
        if (gone) throw e;
        return;
      }
      const busy = ["running", "paused", "creating"];
      if (busy.includes(st.status) && !opts.force) {
        throw new DrunError(
          "EBADSTATE",
          `cannot delete container ${id} that is not stopped: ${st.status}`,
        );
      }
      if (st.status !== "stopped") {
        for (const p of containerPids(st)) killPid(p, 9);
        // Frozen tasks only act on SIGKILL once thawed.
        if (st.status === "paused") cgroupsFromPaths(st.cgroupPaths)?.thaw();
        await waitGone(st.pid, st.startTime);
      }
      let spec: Spec = { ociVersion: OCI_VERSION };
      try {
        spec = this.containerSpec(id);
      } catch { /* a half-created container: nothing to run */ }
      const cgroups = cgroupsFromPaths(st.cgroupPaths);
      if (cgroups) {
        await killCgroup(cgroups);
        cgroups.destroy();
      }
      if (st.rootBind) removeRootBind(st.rootBind, this.warn);
      await Deno.remove(containerDir(this.root, id), { recursive: true });
      await this.poststop(spec, { ...toOciState(st), status: "stopped" });
    });
    // A user's $XDG_RUNTIME_DIR is a small tmpfs of its own: leave no empty drun/ there.
    if (this.rootless ?? rootlessMode(undefined)) await Deno.remove(this.root).catch(() => {});
    mark("deleted");
  }

  /**
   * Runs a new process in a running container: it joins every namespace and the cgroups of
   * the init and gets the container's filter. Resolves once it has exec'd (with `detach`)
   * or when it exits (with its status).
   */
  async exec(
    id: string,
    process: Process,
    opts: ExecOptions & { signal?: AbortSignal } = {},
  ): Promise<ExecResult> {
    if (opts.stdio !== undefined || opts.input !== undefined) {
      const { execWithStdio } = await import("./runtime/exec_stdio.ts");
      return await execWithStdio(this.root, id, process, opts);
    }
    const { execInContainer } = await import("./runtime/exec.ts");
    return await execInContainer(this.root, id, process, opts);
  }

  /**
   * Waits for the init of a container to exit, from any process. The process that created
   * it gets the exit status; any other gets `{}` (only the init's parent can read a status).
   * Aborting `signal` stops the wait and leaves the container alone.
   */
  async wait(id: string, opts: { signal?: AbortSignal } = {}): Promise<WaitStatus> {
    await loadNative();
    return await waitInit(readState(this.root, id), opts.signal);
  }

  /** Freezes every process of a created or running container; its status becomes `paused`. */
  async pause(id: string): Promise<void> {
    await pauseContainer(this.root, id);
  }

  /** Thaws a paused container. */
  async resume(id: string): Promise<void> {
    await resumeContainer(this.root, id);
  }

  /** Host pids of every process in the container's cgroup. */
  ps(id: string): Promise<number[]> {
    return Promise.resolve(containerCgroupPids(this.root, id));
  }

  /**
   * runc's `events`: with `stats`, one stats event; otherwise stats every interval and an
   * `oom` event for each OOM kill, until the container stops or `signal` aborts.
   */
  events(id: string, opts: EventsOptions = {}): AsyncGenerator<ContainerEvent> {
    return containerEvents(this.root, id, opts);
  }

  /** Changes the resource limits of a container that is not stopped (runc's `update`). */
  async update(id: string, resources: LinuxResources): Promise<void> {
    await updateContainer(this.root, id, resources, this.warn);
  }
}
