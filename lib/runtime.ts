/**
 * The runtime: create / start / kill / delete / state / list / run, orchestrated from the
 * parent side. This is the library API the CLI is a thin layer over.
 * @module
 */
import { isAbsolute, join, resolve } from "./path.ts";
import type { LinuxResources, Process, Spec } from "./spec/types.ts";
import { DrunError } from "./errors.ts";
import type { PlanInput } from "./plan/build.ts";
import type { LaunchPlan } from "./plan/encode.ts";
import {
  closeFd,
  errnoText,
  type ExitStatus,
  killPid,
  launch,
  loadNative,
  mkfifo,
  MsgKind,
  recvMessage,
  releaseFifo,
  sendMessage,
  unixConnect,
  waitPid,
} from "./native/ffi.ts";
import {
  containerDir,
  type ContainerState,
  fifoPath,
  listIds,
  procStartTime,
  readState,
  type Status,
  validateId,
  withLock,
  writeState,
} from "./state/store.ts";
import { signalNumber } from "./signals.ts";
import { concatBytes } from "./bytes.ts";
import { OCI_VERSION, type OciState, toOciState } from "./state/oci.ts";
import { mark } from "./timing.ts";
import { containerPids, waitGone, writePidFile } from "./processes.ts";
import type { ExecOptions, ExecResult } from "./exec.ts";

export { containerPids, type ExecOptions, type ExecResult, OCI_VERSION, type OciState, toOciState };

/**
 * What only `create` and `exec` use: the validator, the plan builder and encoder, the seccomp
 * compiler and the launch conversation. Loaded on first use so that `start`, `kill`, `delete`
 * and `list`, which engines call several times per container, do not load them.
 */
async function createModules() {
  const [validate, build, encode, compile, launch] = await Promise.all([
    import("./spec/validate.ts"),
    import("./plan/build.ts"),
    import("./plan/encode.ts"),
    import("./seccomp/compile.ts"),
    import("./launch.ts"),
  ]);
  return { ...validate, ...build, ...encode, ...compile, ...launch };
}
import { type HookOutput, runHooks } from "./hooks.ts";
import { cgroupsFromPaths, isPaused, openCgroups } from "./cgroup/mod.ts";
import {
  containerCgroupPids,
  type ContainerEvent,
  containerEvents,
  type EventsOptions,
  killCgroup,
  pauseContainer,
  resumeContainer,
  updateContainer,
} from "./cgroup/ops.ts";

/** Default state root, as runc's /run/runc. */
export const DEFAULT_ROOT = "/run/drun";

/** Options for `create`. */
export interface CreateOptions {
  /** Bundle directory (config.json and, usually, the rootfs). Defaults to the cwd. */
  bundle?: string;
  /** An in-memory spec to use instead of `<bundle>/config.json`. */
  spec?: Spec;
  /** Write the init's host pid here. */
  pidFile?: string;
  /** Use MS_MOVE + chroot instead of pivot_root. */
  noPivot?: boolean;
  /** Pass fds 3 .. 3+N-1 to the container process. */
  preserveFds?: number;
  /** Keep the caller's session keyring instead of a new one (runc's --no-new-keyring). */
  noNewKeyring?: boolean;
  /**
   * Socket-activation fds (systemd's LISTEN_FDS): fds 3 .. 3+N-1 are passed and the process
   * gets LISTEN_FDS=N and LISTEN_PID=1, as runc does.
   */
  listenFds?: number;
  /** With process.terminal: a unix socket to send the pty master to (as runc/crun do). */
  consoleSocket?: string;
  /** With process.terminal and no consoleSocket: receives the pty master fd. */
  onConsole?: (fd: number) => void;
  /** How long to wait for the init to finish its setup (ms). */
  timeoutMs?: number;
  /**
   * The container process's stdin, stdout and stderr as fds of this process (each is dup'ed
   * into the init; -1 or absent: this process's own). The caller keeps and closes its fds.
   */
  stdioFds?: readonly number[];
  /**
   * Keep the sync socket so `CreateResult.execDone` can report a failure between `start`
   * and execve (only meaningful when this process also starts the container).
   */
  watchExec?: boolean;
}

/** What `create` learned on the way (for benchmarks and tests). */
export interface CreateResult {
  /** The stored state. */
  state: ContainerState;
  /** Nanoseconds from seccomp filter install to the listener fd sent, when notifying. */
  handoffNs?: number;
  /**
   * With `watchExec`: resolves once the process has exec'd, rejects with the failing step
   * when it could not (after `start`).
   */
  execDone?: () => Promise<void>;
}

/** Logger hook used for warnings (unknown seccomp syscalls etc.). */
export type Warn = (msg: string) => void;

/** A runtime rooted at one state directory. */
export class Runtime {
  /** The state root. */
  readonly root: string;
  /** Where warnings go. */
  warn: Warn;
  /** Where hook output goes (the CLI sends it to the runtime's log). */
  hookOutput: HookOutput = (kind, i, stream, text) =>
    this.warn(`hooks.${kind}[${i}] ${stream}: ${text.trimEnd()}`);

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
    const r = await this.createWithResult(id, opts);
    return new Container(this, id, r);
  }

  /** A handle on an existing container (throws ENOTFOUND when there is none). */
  get(id: string): Container {
    readState(this.root, id);
    return new Container(this, id);
  }

  /** `create`, returning what the launch learned (handoff timing, exec watch). */
  async createWithResult(id: string, opts: CreateOptions = {}): Promise<CreateResult> {
    const {
      awaitReady,
      buildPlan,
      compileSeccompCached,
      consoleHandler,
      encodeJson,
      encodePlan,
      initFromFork,
      launchError,
      loadSpec,
      Op,
      seccompPayload,
      validateSpec,
    } = await createModules();
    await loadNative();
    mark("create");
    validateId(id);
    const bundle = resolve(opts.bundle ?? Deno.cwd());
    const spec = opts.spec
      ? validateSpec(structuredClone(opts.spec), { bundle, checkFs: true })
      : await loadSpec(bundle);
    mark("spec");
    if (opts.listenFds && spec.process) {
      spec.process.env = [
        ...(spec.process.env ?? []).filter((e) => !/^LISTEN_(FDS|PID)=/.test(e)),
        `LISTEN_FDS=${opts.listenFds}`,
        "LISTEN_PID=1",
      ];
    }
    const rootPath = spec.root!.path;
    const rootfs = isAbsolute(rootPath) ? rootPath : join(bundle, rootPath);
    const onConsole = consoleHandler(spec.process?.terminal, opts);
    const seccomp = spec.linux?.seccomp
      // A cold compile of Docker's profile costs ~10 ms per CLI process; from the per-user
      // cache (keyed by profile, compiler and table hashes) under 1 ms.
      ? compileSeccompCached(spec.linux.seccomp, { path: "linux.seccomp" })
      : undefined;
    for (const w of seccomp?.warnings ?? []) this.warn(w);
    mark("seccomp");
    const fifo = fifoPath(this.root, id);
    // Plan first: every config error must surface before anything exists on the host.
    const planInput: PlanInput = {
      spec,
      rootfs,
      fifoPath: fifo,
      noPivot: opts.noPivot,
      preserveFds: Math.max(opts.preserveFds ?? 0, opts.listenFds ?? 0),
      id,
      noNewKeyring: opts.noNewKeyring,
      seccomp: seccomp
        ? {
          program: seccomp.program,
          flags: seccomp.flags,
          listenerFd: seccomp.usesNotify ? -1 : undefined,
        }
        : undefined,
    };
    // Validates resources and cgroupsPath against this host; creates nothing yet.
    const cgroups = openCgroups(spec, id, { warn: this.warn });
    planInput.cgroupPaths = cgroups?.paths;
    let plan: LaunchPlan = buildPlan(planInput);
    mark("plan");
    Deno.mkdirSync(this.root, { recursive: true, mode: 0o711 });
    const dir = containerDir(this.root, id);
    try {
      Deno.mkdirSync(dir, { mode: 0o711 });
    } catch (e) {
      if (e instanceof Deno.errors.AlreadyExists) {
        throw new DrunError("EEXISTS", `container with id ${id} already exists`, "id");
      }
      throw e;
    }
    let pid = 0;
    let syncFd = -1;
    let listenerFd = -1;
    try {
      mkfifo(fifo, 0o622);
      // umask trimmed the mode; the init may write it after dropping to a non-root uid.
      Deno.chmodSync(fifo, 0o622);
      if (seccomp?.usesNotify) {
        const lp = spec.linux!.seccomp!.listenerPath!;
        try {
          listenerFd = unixConnect(lp);
        } catch (e) {
          throw new DrunError("ESECCOMP", (e as Error).message, "linux.seccomp.listenerPath");
        }
        planInput.seccomp!.listenerFd = listenerFd;
        plan = buildPlan(planInput);
      }
      ({ pid, syncFd } = launch(encodePlan(plan), opts.stdioFds));
      // Each fork of the plan's head (new namespaces, a joined pid namespace) hands the
      // runtime its child's pid and exits: the last one is the container's init.
      for (const _ of plan.ops.filter((o) => o.kind === Op.FORK_PID)) {
        pid = await initFromFork(plan, syncFd, pid);
      }
      mark("clone");
      if (listenerFd >= 0) {
        closeFd(listenerFd);
        listenerFd = -1;
      }
      this.writeIdMaps(pid, spec);
      // Into its cgroups before it runs a single op of the plan (it waits for GO).
      if (cgroups) {
        cgroups.create();
        cgroups.apply(spec.linux?.resources);
        cgroups.join(pid);
      }
      mark("cgroups");
      const state: ContainerState = {
        ociVersion: OCI_VERSION,
        id,
        status: "creating",
        pid,
        bundle,
        annotations: spec.annotations,
        rootfs,
        created: new Date().toISOString(),
        startTime: procStartTime(pid) ?? 0,
        owner: "root",
        ownPidNamespace: (plan.cloneFlags & 0x20000000) !== 0,
        cgroupPaths: cgroups?.paths,
      };
      writeState(this.root, state);
      // exec needs the container's process defaults and filter, whatever the bundle becomes.
      Deno.writeTextFileSync(join(dir, "config.json"), JSON.stringify(spec));
      // GO carries the two states the init's own hooks read, then the seccomp agent's message.
      const ociState = (status: Status) => ({
        ...toOciState({ ...state, status }),
        annotations: spec.annotations ?? {},
      });
      const creating = encodeJson(ociState("creating"));
      const created = encodeJson(ociState("created"));
      const notifyMsg = seccomp?.usesNotify
        ? seccompPayload(spec, pid, { ...ociState("creating"), pid })
        : new Uint8Array();
      const payload = concatBytes([creating, created, notifyMsg]);
      const lengths = BigInt(creating.length) | (BigInt(created.length) << 32n);
      sendMessage(syncFd, MsgKind.GO, payload, lengths);
      mark("go");
      const handoffNs = await awaitReady(
        plan,
        syncFd,
        pid,
        opts.timeoutMs ?? 60_000,
        async () => {
          // The mounts exist and the init waits before pivot_root: the runtime's hooks now.
          const st = ociState("creating");
          await runHooks("prestart", spec.hooks?.prestart, st, this.hookOutput);
          await runHooks("createRuntime", spec.hooks?.createRuntime, st, this.hookOutput);
        },
        onConsole,
      );
      mark("ready");
      state.status = "created";
      writeState(this.root, state);
      mark("created");
      if (opts.pidFile) {
        await writePidFile(opts.pidFile, pid).catch((e) => {
          throw new DrunError("EINVALID_ARG", (e as Error).message, "--pid-file");
        });
      }
      if (!opts.watchExec) return { state, handoffNs };
      const fd = syncFd;
      syncFd = -1;
      const execDone = async () => {
        try {
          const m = await recvMessage(fd, -1);
          if (m?.kind === MsgKind.ERROR) throw launchError(plan, m);
        } finally {
          closeFd(fd);
        }
      };
      return { state, handoffNs, execDone };
    } catch (e) {
      if (pid > 0) {
        killPid(pid, 9);
        await waitPid(pid).catch(() => {});
      }
      if (listenerFd >= 0) closeFd(listenerFd);
      try {
        cgroups?.destroy();
      } catch { /* best effort: the error that brought us here matters more */ }
      await Deno.remove(dir, { recursive: true }).catch(() => {});
      if (pid > 0) {
        await this.poststop(spec, {
          ociVersion: OCI_VERSION,
          id,
          pid: 0,
          status: "stopped",
          bundle,
          rootfs,
          created: "",
          owner: "root",
        });
      }
      throw e;
    } finally {
      if (syncFd >= 0) closeFd(syncFd);
    }
  }

  /** Writes the user namespace's id maps for the child (it waits for GO meanwhile). */
  private writeIdMaps(pid: number, spec: Spec): void {
    const ns = spec.linux?.namespaces ?? [];
    if (!ns.some((n) => n.type === "user" && !n.path)) return;
    for (
      const [file, maps, field] of [
        ["uid_map", spec.linux?.uidMappings, "linux.uidMappings"],
        ["gid_map", spec.linux?.gidMappings, "linux.gidMappings"],
      ] as const
    ) {
      const text = (maps ?? []).map((m) => `${m.containerID} ${m.hostID} ${m.size}\n`).join("");
      try {
        Deno.writeTextFileSync(`/proc/${pid}/${file}`, text);
      } catch (e) {
        throw new DrunError("ELAUNCH", `writing ${file}: ${(e as Error).message}`, field);
      }
    }
  }

  /** Runs poststop hooks; the spec makes their failure a warning. */
  private async poststop(spec: Spec, state: OciState): Promise<void> {
    if (!spec.hooks?.poststop?.length) return;
    await runHooks("poststop", spec.hooks.poststop, state, this.hookOutput)
      .catch((e) => this.warn((e as Error).message));
  }

  /** Releases a created container's process. */
  async start(id: string): Promise<void> {
    await loadNative();
    mark("start");
    await withLock(this.root, id, async () => {
      const st = readState(this.root, id);
      if (st.status !== "created") {
        throw new DrunError("EBADSTATE", `cannot start a container that is ${st.status}`);
      }
      const fifo = fifoPath(this.root, id);
      // Poll in slices so an init that dies meanwhile does not leave us waiting forever.
      while (!(await releaseFifo(fifo, 200))) {
        if (procStartTime(st.pid) !== st.startTime) {
          throw new DrunError("EBADSTATE", `container ${id} init exited before start`);
        }
      }
      await Deno.remove(fifo).catch(() => {});
      const spec = this.containerSpec(id);
      if (spec.hooks?.poststart?.length) {
        // The spec: a failing poststart hook is only a warning.
        const running = {
          ...toOciState({ ...st, status: "running" }),
          annotations: spec.annotations ?? {},
        };
        await runHooks("poststart", spec.hooks.poststart, running, this.hookOutput)
          .catch((e) => this.warn((e as Error).message));
      }
    });
    mark("started");
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
      const st = readState(this.root, id, isPaused);
      if ((st.status === "running" || st.status === "paused") && !opts.force) {
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
      await Deno.remove(containerDir(this.root, id), { recursive: true });
      await this.poststop(spec, { ...toOciState(st), status: "stopped" });
    });
    mark("deleted");
  }

  /**
   * Runs a new process in a running container: it joins every namespace and the cgroups of
   * the init and gets the container's filter. Resolves once it has exec'd (with `detach`)
   * or when it exits (with its status).
   */
  async exec(id: string, process: Process, opts: ExecOptions = {}): Promise<ExecResult> {
    const { execInContainer } = await import("./exec.ts");
    return await execInContainer(this.root, id, process, opts);
  }

  /**
   * Waits for the init of a container this process created, and returns its exit status.
   * Only the creating process can wait (it is the init's parent).
   */
  async wait(id: string): Promise<ExitStatus> {
    await loadNative();
    const st = readState(this.root, id);
    return await waitPid(st.pid);
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

/** One container of a Runtime. */
export class Container {
  /** The runtime it belongs to. */
  readonly runtime: Runtime;
  /** Its id. */
  readonly id: string;
  /** What `create` learned, when this handle came from `create`. */
  readonly created?: CreateResult;

  /** A handle; prefer Runtime.create / Runtime.get. */
  constructor(runtime: Runtime, id: string, created?: CreateResult) {
    this.runtime = runtime;
    this.id = id;
    this.created = created;
  }

  /** Releases the process (runs `execve`). */
  async start(): Promise<void> {
    await this.runtime.start(this.id);
    if (this.created?.execDone) await this.created.execDone();
  }

  /** The OCI state. */
  state(): OciState {
    return this.runtime.state(this.id);
  }

  /** Sends a signal to the init, or with `all` to every process of the container. */
  async kill(signal: string | number = "SIGTERM", all = false): Promise<void> {
    await this.runtime.kill(this.id, signal, all);
  }

  /** Waits for the init to exit (only from the process that created it). */
  async wait(): Promise<ExitStatus> {
    await loadNative();
    return await waitPid(this.created?.state.pid ?? this.runtime.state(this.id).pid);
  }

  /** Runs another process in the container (see Runtime.exec). */
  async exec(process: Process, opts: ExecOptions = {}): Promise<ExecResult> {
    return await this.runtime.exec(this.id, process, opts);
  }

  /** Deletes the container; `force` kills it first if it runs. */
  async delete(opts: { force?: boolean } = {}): Promise<void> {
    await this.runtime.delete(this.id, opts);
  }
}

/**
 * DRUN_TIMING=1: `drun-timing <phase> <epoch ms> <ms since timeOrigin>` lines on stderr, read
 * by bench/ (docs/performance.md).
 */
