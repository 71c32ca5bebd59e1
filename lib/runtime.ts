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
  waitPid,
} from "./native/ffi.ts";
import {
  containerDir,
  type ContainerState,
  fifoPath,
  listIds,
  makeContainerDir,
  procStartTime,
  readState,
  type Status,
  validateId,
  withLock,
  writeContainerConfig,
  writeState,
} from "./state/store.ts";
import { permissionProblem } from "./permissions.ts";
import { signalNumber } from "./signals.ts";
import { concatBytes } from "./bytes.ts";
import { OCI_VERSION, type OciState, toOciState } from "./state/oci.ts";
import { mark } from "./timing.ts";
import { type ContainerStdio, openStdio, type StdioOption, wantsPipes } from "./stdio.ts";
import { waitInit, type WaitStatus } from "./wait.ts";
import { containerPids, waitGone, writePidFile } from "./processes.ts";
import type { ExecOptions, ExecResult } from "./exec.ts";

export { containerPids, type ExecOptions, type ExecResult, OCI_VERSION, type OciState, toOciState };
export type { StdioMode, StdioOption, StdioStreams } from "./stdio.ts";
export type { WaitStatus } from "./wait.ts";

/**
 * What only `create` and `exec` use: the validator, the plan builder and encoder, the seccomp
 * compiler and the launch conversation. Loaded on first use so that `start`, `kill`, `delete`
 * and `list`, which engines call several times per container, do not load them.
 */
async function createModules() {
  const [validate, build, encode, compile, plan, listener, launch] = await Promise.all([
    import("./spec/validate.ts"),
    import("./plan/build.ts"),
    import("./plan/encode.ts"),
    import("./seccomp/compile.ts"),
    import("./seccomp/plan.ts"),
    import("./seccomp/listener.ts"),
    import("./launch.ts"),
  ]);
  return { ...validate, ...build, ...encode, ...compile, ...plan, ...listener, ...launch };
}
import { type HookOutput, runHooks } from "./hooks.ts";
import { idMapMethod, writeIdMaps } from "./id_maps.ts";
import { checkRootless, rootlessMode } from "./rootless.ts";
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

/**
 * Options for `create`.
 *
 * @example
 * ```ts
 * const opts: CreateOptions = {
 *   bundle: "/srv/web",
 *   stdio: { stdin: "null", stdout: "pipe", stderr: "inherit" },
 *   signal: AbortSignal.timeout(30_000),
 * };
 * const c = await new Runtime("/run/drun").create("web", opts);
 * ```
 */
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
   * The container process's stdin, stdout and stderr (all three, or one mode per stream):
   * `"inherit"` (default), `"pipe"` (then `Container.stdin`, `.stdout`, `.stderr` are
   * streams), `"null"`, or an fd of this process. The init holds them until `start` hands
   * them to the process. Only `Runtime.create` and `run` read it; excludes `stdioFds`.
   */
  stdio?: StdioOption;
  /**
   * Aborting it during the call kills the init and leaves nothing behind (no state dir,
   * cgroup or process); the call rejects with the signal's reason.
   */
  signal?: AbortSignal;
  /**
   * Keep the sync socket so `CreateResult.execDone` can report a failure between `start`
   * and execve (only meaningful when this process also starts the container).
   */
  watchExec?: boolean;
}

/**
 * What `create` learned on the way (for benchmarks and tests).
 *
 * @example
 * ```ts
 * const r: CreateResult = await new Runtime("/run/drun").createWithResult("web", {
 *   bundle: "/srv/web",
 * });
 * console.log(r.state.pid, r.handoffNs);
 * ```
 */
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

/**
 * Logger hook used for warnings (unknown seccomp syscalls etc.).
 *
 * @example
 * ```ts
 * const rt = new Runtime("/run/drun", (msg) => console.warn(`drun: ${msg}`));
 * ```
 */
export type Warn = (msg: string) => void;

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
    if (opts.stdio !== undefined && opts.stdioFds) {
      throw new DrunError("EINVALID_ARG", "give stdio or stdioFds, not both", "stdio");
    }
    if (wantsPipes(opts.stdio) && this.wantsTerminal(opts)) {
      throw new DrunError(
        "EINVALID_ARG",
        "no pipes with process.terminal (the process's stdio is its terminal)",
        "stdio",
      );
    }
    const io = openStdio(opts.stdio);
    try {
      const stdioFds = opts.stdio === undefined ? opts.stdioFds : io.childFds;
      const r = await this.createWithResult(id, { ...opts, stdioFds });
      return new Container(this, id, r, io);
    } catch (e) {
      io.close();
      throw e;
    } finally {
      // The init has its own copies now: ours would keep the pipes open past its exit.
      io.closeChildEnds();
    }
  }

  /** Whether the spec `create` will use asks for a terminal (false when it cannot be read). */
  private wantsTerminal(opts: CreateOptions): boolean {
    if (opts.spec) return opts.spec.process?.terminal === true;
    try {
      const path = join(resolve(opts.bundle ?? Deno.cwd()), "config.json");
      return JSON.parse(Deno.readTextFileSync(path))?.process?.terminal === true;
    } catch {
      return false; // create reports the unreadable config itself
    }
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
    const { id = `run-${crypto.randomUUID()}`, input, text, ...rest } = opts;
    const stdio: StdioOption = opts.stdio ?? {
      stdin: input !== undefined ? "pipe" : "null",
      stdout: "pipe",
      stderr: "pipe",
    };
    // watchExec: a process that cannot exec fails `start` with the step, not a bare code.
    const create: CreateOptions = typeof source === "string"
      ? { ...rest, bundle: source, stdio, watchExec: true }
      : { ...rest, spec: source, stdio, watchExec: true };
    await using c = await this.create(id, create);
    const stdout = collect(c.stdout);
    const stderr = collect(c.stderr);
    const fed = feed(c.stdin, input);
    await c.start({ signal: opts.signal });
    let status: WaitStatus;
    const kill = () => killPid(c.created!.state.pid, 9);
    opts.signal?.addEventListener("abort", kill, { once: true });
    try {
      // Our own child: the status is known.
      status = await c.wait();
    } finally {
      opts.signal?.removeEventListener("abort", kill);
    }
    opts.signal?.throwIfAborted();
    const [out, err] = await Promise.all([stdout, stderr, fed]);
    const dec = (b: Uint8Array) => text ? new TextDecoder().decode(b) : b;
    return { ...status, code: status.code!, stdout: dec(out), stderr: dec(err) };
  }

  /** A handle on an existing container (throws ENOTFOUND when there is none). */
  get(id: string): Container {
    readState(this.root, id);
    return new Container(this, id);
  }

  /** `create`, returning what the launch learned (handoff timing, exec watch). */
  async createWithResult(id: string, opts: CreateOptions = {}): Promise<CreateResult> {
    // A library caller with less than -A would get as far as an init that can never be
    // watched (Deno hides /proc): refuse before anything exists.
    const denied = permissionProblem();
    if (denied) throw new DrunError("EPERMISSION", denied);
    opts.signal?.throwIfAborted();
    const {
      awaitReady,
      buildPlan,
      compileSeccompCached,
      connectListener,
      consoleHandler,
      encodeJson,
      encodePlan,
      initFromFork,
      launchError,
      loadSpec,
      Op,
      seccompPayload,
      seccompTimeoutMs,
      UNKNOWN_SYSCALL,
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
    for (const w of seccomp?.warnings ?? []) {
      (w.includes(UNKNOWN_SYSCALL) ? this.debug : this.warn)(w);
    }
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
      // The same process starts it (run, the library): the init dies with us until then.
      bindUntilStart: opts.watchExec,
      seccomp: seccomp
        ? {
          program: seccomp.program,
          flags: seccomp.flags,
          listenerFd: seccomp.usesNotify ? -1 : undefined,
          timeoutMs: seccompTimeoutMs(spec.annotations),
        }
        : undefined,
    };
    const rootless = this.rootless ?? rootlessMode(undefined);
    const idMaps = idMapMethod(spec);
    planInput.setgroupsDenied = idMaps?.denySetgroups;
    planInput.rootless = rootless;
    checkRootless(spec, rootless);
    // Validates resources and cgroupsPath against this host; creates nothing yet.
    const cgroups = openCgroups(spec, id, { warn: this.warn, rootless });
    planInput.cgroupPaths = cgroups?.paths;
    let plan: LaunchPlan = buildPlan(planInput);
    mark("plan");
    const dir = makeContainerDir(this.root, id);
    // Written before anything else exists, and again at each step that adds something: a
    // runtime killed at any point leaves a state that names what to remove (its cgroups
    // before they exist too) and reads as stopped once we are gone, so `delete --force`
    // cleans it and the id can be used again.
    const state: ContainerState = {
      ociVersion: OCI_VERSION,
      id,
      status: "creating",
      pid: 0,
      bundle,
      annotations: spec.annotations,
      rootfs,
      created: new Date().toISOString(),
      startTime: 0,
      owner: "root",
      ownPidNamespace: (plan.cloneFlags & 0x20000000) !== 0,
      cgroupPaths: cgroups?.paths,
      creator: { pid: Deno.pid, startTime: procStartTime(Deno.pid) ?? 0 },
    };
    writeState(this.root, state);
    let pid = 0;
    let syncFd = -1;
    let listenerFd = -1;
    // Once the init is known, an abort kills it: whatever step create is at then fails, and
    // the cleanup below removes what exists.
    const onAbort = () => killPid(pid, 9);
    try {
      mkfifo(fifo, 0o622);
      // umask trimmed the mode; the init may write it after dropping to a non-root uid.
      Deno.chmodSync(fifo, 0o622);
      if (seccomp?.usesNotify) {
        const lp = spec.linux!.seccomp!.listenerPath!;
        listenerFd = connectListener(lp);
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
      opts.signal?.addEventListener("abort", onAbort, { once: true });
      opts.signal?.throwIfAborted();
      state.pid = pid;
      state.startTime = procStartTime(pid) ?? 0;
      writeState(this.root, state);
      if (listenerFd >= 0) {
        closeFd(listenerFd);
        listenerFd = -1;
      }
      if (idMaps) writeIdMaps(pid, spec, idMaps);
      // Into its cgroups before it runs a single op of the plan (it waits for GO).
      if (cgroups) {
        cgroups.create();
        cgroups.apply(spec.linux?.resources);
        cgroups.join(pid);
        // Now with the parents create() made for a nested cgroupsPath, for delete to remove.
        state.cgroupPaths = cgroups.paths;
        writeState(this.root, state);
      }
      mark("cgroups");
      writeContainerConfig(this.root, id, spec);
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
        { timeoutMs: opts.timeoutMs ?? 60_000, agentTimeoutMs: planInput.seccomp?.timeoutMs },
        async () => {
          // The mounts exist and the init waits before pivot_root: the runtime's hooks now.
          // prestart sees "created", as crun shows it (the legacy hook of the start step).
          const st = ociState("creating");
          await runHooks("prestart", spec.hooks?.prestart, ociState("created"), this.hookOutput);
          await runHooks("createRuntime", spec.hooks?.createRuntime, st, this.hookOutput);
        },
        onConsole,
      );
      mark("ready");
      opts.signal?.throwIfAborted();
      state.status = "created";
      delete state.creator;
      writeState(this.root, state);
      mark("created");
      if (opts.pidFile) await writePidFile(opts.pidFile, pid);
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
      throw opts.signal?.aborted ? opts.signal.reason : e;
    } finally {
      opts.signal?.removeEventListener("abort", onAbort);
      if (syncFd >= 0) closeFd(syncFd);
    }
  }

  /** Runs poststop hooks; the spec makes their failure a warning. */
  private async poststop(spec: Spec, state: OciState): Promise<void> {
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
        await runHooks(
          "poststart",
          spec.hooks.poststart,
          running,
          this.hookOutput,
          (e) => this.warn(e.message),
        );
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
  async exec(id: string, process: Process, opts: ExecOptions = {}): Promise<ExecResult> {
    const { execInContainer } = await import("./exec.ts");
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

/**
 * One container of a Runtime. With `await using`, it is deleted (with force) when the scope
 * ends, and the parent's ends of its stdio pipes are closed.
 *
 * @example
 * ```ts ignore
 * import { defaultSpec, Runtime } from "jsr:@drun/drun";
 * const rt = new Runtime("/run/drun");
 * const spec = defaultSpec({ args: ["/bin/echo", "hi"], terminal: false });
 * spec.root = { path: "/srv/rootfs" };
 * await using c = await rt.create("demo", { spec, stdio: { stdout: "pipe" } });
 * await c.start();
 * console.log(await new Response(c.stdout).text()); // "hi\n"
 * console.log(await c.wait()); // { code: 0 }
 * ```
 */
export class Container implements AsyncDisposable {
  /** The runtime it belongs to. */
  readonly runtime: Runtime;
  /** Its id. */
  readonly id: string;
  /** What `create` learned, when this handle came from `create`. */
  readonly created?: CreateResult;
  /** Writes to the process's stdin, when `create` had `stdio` `"pipe"` for it. */
  readonly stdin?: WritableStream<Uint8Array>;
  /** The process's stdout, when `create` had `stdio` `"pipe"` for it. */
  readonly stdout?: ReadableStream<Uint8Array>;
  /** The process's stderr, when `create` had `stdio` `"pipe"` for it. */
  readonly stderr?: ReadableStream<Uint8Array>;
  #stdio?: ContainerStdio;
  #exit?: Promise<WaitStatus>;

  /** A handle; prefer Runtime.create / Runtime.get. */
  constructor(runtime: Runtime, id: string, created?: CreateResult, stdio?: ContainerStdio) {
    this.runtime = runtime;
    this.id = id;
    this.created = created;
    this.#stdio = stdio;
    this.stdin = stdio?.stdin;
    this.stdout = stdio?.stdout;
    this.stderr = stdio?.stderr;
  }

  /**
   * Releases the process (runs `execve`). Aborting `signal` before it has exec'd deletes the
   * container (with force) and rejects with the signal's reason.
   */
  async start(opts: { signal?: AbortSignal } = {}): Promise<void> {
    await this.undoOnAbort(opts.signal, async () => {
      await this.runtime.start(this.id);
      if (this.created?.execDone) await this.created.execDone();
    }, () => this.delete({ force: true }));
  }

  /** The OCI state. */
  state(): OciState {
    return this.runtime.state(this.id);
  }

  /** Sends a signal to the init, or with `all` to every process of the container. */
  async kill(signal: string | number = "SIGTERM", all = false): Promise<void> {
    await this.runtime.kill(this.id, signal, all);
  }

  /**
   * Waits for the init to exit. In the process that created the container it resolves to the
   * exit status (the same one on every call); in any other process to `{}`: the kernel gives
   * a status only to the parent. Aborting `signal` stops the wait, not the container.
   */
  async wait(opts: { signal?: AbortSignal } = {}): Promise<WaitStatus> {
    await loadNative();
    if (!this.#exit) {
      const st = this.created?.state ?? readState(this.runtime.root, this.id);
      const exit = waitInit(st, opts.signal);
      this.#exit = exit;
      // An aborted wait must not stick: the next call waits afresh.
      exit.catch(() => this.#exit === exit && (this.#exit = undefined));
      return await exit;
    }
    const exit = this.#exit;
    const signal = opts.signal;
    if (!signal) return await exit;
    signal.throwIfAborted();
    let onAbort = () => {};
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(signal.reason);
      signal.addEventListener("abort", onAbort, { once: true });
    });
    try {
      return await Promise.race([exit, aborted]);
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
  }

  /**
   * Runs another process in the container (see Runtime.exec). Aborting `signal` kills that
   * process (SIGKILL) and rejects with the signal's reason; with `detach`, the signal covers
   * the call only (until the process has exec'd).
   */
  async exec(
    process: Process,
    opts: ExecOptions & { signal?: AbortSignal } = {},
  ): Promise<ExecResult> {
    const { signal, ...rest } = opts;
    if (!signal) return await this.runtime.exec(this.id, process, rest);
    signal.throwIfAborted();
    // Detached, so the pid is known before the wait an abort must cut short.
    const { pid } = await this.runtime.exec(this.id, process, { ...rest, detach: true });
    const kill = async () => {
      killPid(pid, 9);
      await waitPid(pid).catch(() => {});
    };
    if (signal.aborted) {
      await kill();
      throw signal.reason;
    }
    if (opts.detach) return { pid };
    try {
      const st = await waitInit({ pid }, signal);
      // The exec'd process is a child of this one: its status is known.
      return { pid, status: st.code === undefined ? undefined : st as ExitStatus };
    } catch (e) {
      if (signal.aborted) await kill();
      throw e;
    }
  }

  /** Deletes the container; `force` kills it first if it runs. */
  async delete(opts: { force?: boolean } = {}): Promise<void> {
    await this.runtime.delete(this.id, opts);
  }

  /** `await using`: deletes the container with force (if it still exists), closes its pipes. */
  async [Symbol.asyncDispose](): Promise<void> {
    try {
      await this.delete({ force: true });
    } catch (e) {
      if (!(e instanceof DrunError && e.code === "ENOTFOUND")) throw e;
    } finally {
      this.#stdio?.close();
    }
  }

  /** Runs `work`; when `signal` aborts meanwhile, runs `undo` and rejects with its reason. */
  private async undoOnAbort(
    signal: AbortSignal | undefined,
    work: () => Promise<void>,
    undo: () => Promise<void>,
  ): Promise<void> {
    signal?.throwIfAborted();
    try {
      await work();
    } catch (e) {
      if (!signal?.aborted) throw e;
    }
    if (signal?.aborted) {
      await undo();
      throw signal.reason;
    }
  }
}

/**
 * Options of `Runtime.run`: those of `create`, and what to feed and capture.
 *
 * @example
 * ```ts
 * const opts: RunOptions = { id: "job1", input: "data for stdin", text: true };
 * const r = await new Runtime("/run/drun").run("/srv/job", opts);
 * ```
 */
export interface RunOptions extends Omit<CreateOptions, "spec" | "bundle" | "watchExec"> {
  /** The container id (default `run-<uuid>`). */
  id?: string;
  /** With a Spec as the source: the bundle directory its relative paths are under (cwd). */
  bundle?: string;
  /** Written to the process's stdin, then closed (stdin becomes a pipe). */
  input?: string | Uint8Array;
  /** Decode the captured stdout and stderr as UTF-8 text. */
  text?: boolean;
}

/**
 * What `Runtime.run` returns.
 *
 * @example
 * ```ts
 * const r: RunResult<string> = await new Runtime("/run/drun").run("/srv/job", { text: true });
 * if (r.code !== 0) console.error(`failed (${r.code}): ${r.stderr}`);
 * ```
 */
export interface RunResult<T extends string | Uint8Array = Uint8Array> {
  /** Exit code (128+signal when killed). */
  code: number;
  /** The signal that ended the process, if any. */
  signal?: number;
  /** Everything the process wrote to stdout (empty unless it was a pipe). */
  stdout: T;
  /** Everything the process wrote to stderr (empty unless it was a pipe). */
  stderr: T;
}

/** Reads a stream (if any) to its end. */
async function collect(stream: ReadableStream<Uint8Array> | undefined): Promise<Uint8Array> {
  if (!stream) return new Uint8Array();
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** Writes `input` (if any) to stdin and closes it. */
async function feed(
  stdin: WritableStream<Uint8Array> | undefined,
  input: string | Uint8Array | undefined,
): Promise<void> {
  if (!stdin) return;
  const w = stdin.getWriter();
  try {
    if (input !== undefined) {
      await w.write(typeof input === "string" ? new TextEncoder().encode(input) : input);
    }
  } catch { /* the process closed its stdin early: what it read is what it got */ }
  await w.close().catch(() => {});
}

/**
 * DRUN_TIMING=1: `drun-timing <phase> <epoch ms> <ms since timeOrigin>` lines on stderr, read
 * by bench/ (docs/performance.md).
 */
