/**
 * `create`: validate and plan, make the state and the init, join cgroups, hand over GO,
 * wait for READY; on any failure, undo all of it. The steps in order, each marked for
 * DRUN_TIMING (lib/timing.ts): spec, seccomp, plan, clone, cgroups, go, ready, created.
 * @module
 */
import { isAbsolute, join, resolve } from "../path.ts";
import type { Spec } from "../spec/types.ts";
import { DrunError } from "../errors.ts";
import type { PlanInput } from "../plan/build.ts";
import type { LaunchPlan } from "../plan/encode.ts";
import { closeFd, killPid, loadNative, mkfifo } from "../native/ffi.ts";
import {
  type ContainerState,
  fifoPath,
  makeContainerDir,
  procStartTime,
  type Status,
  validateId,
  writeContainerConfig,
  writeState,
} from "../state/store.ts";
import { permissionProblem } from "../permissions.ts";
import { concatBytes } from "../bytes.ts";
import { OCI_VERSION, type OciState, toOciState } from "../state/oci.ts";
import { mark } from "../timing.ts";
import { writePidFile } from "../processes.ts";
import { type HookOutput, runHooks } from "../hooks.ts";
import { idMapMethod, writeIdMaps } from "../id_maps.ts";
import { checkRootless, rootlessMode } from "../rootless.ts";
import { openCgroups } from "../cgroup/mod.ts";
import type { CreateOptions, CreateResult, Warn } from "./options.ts";
import { recordRootBind, removeRootBind } from "./root_bind.ts";

/**
 * What only `create` and `exec` use: the validator, the plan builder, and the launch steps
 * (the plan encoder, the seccomp compiler, the conversation). Loaded on first use so that
 * `start`, `kill`, `delete` and `list`, which engines call several times per container, do
 * not load them.
 */
async function createModules() {
  const [validate, build, encode, launch, steps] = await Promise.all([
    import("../spec/validate.ts"),
    import("../plan/build.ts"),
    import("../plan/encode.ts"),
    import("../launch.ts"),
    import("./steps.ts"),
  ]);
  return { ...validate, ...build, ...encode, ...launch, ...steps };
}

/** What create needs of its Runtime. */
export interface CreateHost {
  /** The state root. */
  readonly root: string;
  /** Where warnings go. */
  warn: Warn;
  /** Where debug notes go. */
  debug: Warn;
  /** Where hook output goes. */
  hookOutput: HookOutput;
  /** Rootless mode (undefined: auto). */
  rootless?: boolean;
  /** Runs poststop hooks (after a failed create too). */
  poststop(spec: Spec, state: OciState): Promise<void>;
}

/**
 * Creates container `id` under `rt`'s root and returns what the launch learned.
 *
 * @example
 * ```ts ignore
 * const r = await createContainer(new Runtime("/run/drun"), "web", { bundle: "/srv/web" });
 * console.log(r.state.pid);
 * ```
 */
export async function createContainer(
  rt: CreateHost,
  id: string,
  opts: CreateOptions = {},
): Promise<CreateResult> {
  // A library caller with less than -A would get as far as an init that can never be
  // watched (Deno hides /proc): refuse before anything exists.
  const denied = permissionProblem();
  if (denied) throw new DrunError("EPERMISSION", denied);
  opts.signal?.throwIfAborted();
  const {
    agentMessage,
    awaitExec,
    buildPlan,
    consoleHandler,
    encodeJson,
    LaunchHandle,
    loadSpec,
    Op,
    prepareSeccomp,
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
  const seccomp = prepareSeccomp(spec, rt);
  mark("seccomp");
  const fifo = fifoPath(rt.root, id);
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
    seccomp: seccomp?.input,
  };
  const rootless = rt.rootless ?? rootlessMode(undefined);
  const idMaps = idMapMethod(spec);
  planInput.setgroupsDenied = idMaps?.denySetgroups;
  planInput.rootless = rootless;
  checkRootless(spec, rootless);
  // Validates resources and cgroupsPath against this host; creates nothing yet.
  const cgroups = openCgroups(spec, id, { warn: rt.warn, rootless });
  planInput.cgroupPaths = cgroups?.paths;
  let plan: LaunchPlan = buildPlan(planInput);
  // In the runtime's mount namespace: where the init's root bind will go, for delete.
  const rootBind = plan.ops.some((o) => o.kind === Op.CHROOT) ? recordRootBind(rootfs) : undefined;
  mark("plan");
  const dir = makeContainerDir(rt.root, id);
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
    rootBind,
  };
  writeState(rt.root, state);
  const launched = new LaunchHandle();
  // Once the init is known, an abort kills it: whatever step create is at then fails, and
  // the cleanup below removes what exists.
  const onAbort = () => killPid(launched.pid, 9);
  try {
    mkfifo(fifo, 0o622);
    // umask trimmed the mode; the init may write it after dropping to a non-root uid.
    Deno.chmodSync(fifo, 0o622);
    // The plan carries the listener's fd number: build it again with the real one.
    if (launched.connectNotifyListener(seccomp)) plan = buildPlan(planInput);
    // Each fork of the plan's head (new namespaces, a joined pid namespace) hands the
    // runtime its child's pid and exits: the last one is the container's init.
    const pid = await launched.launch(plan, opts.stdioFds);
    mark("clone");
    opts.signal?.addEventListener("abort", onAbort, { once: true });
    opts.signal?.throwIfAborted();
    state.pid = pid;
    state.startTime = procStartTime(pid) ?? 0;
    writeState(rt.root, state);
    if (idMaps) writeIdMaps(pid, spec, idMaps);
    // Into its cgroups before it runs a single op of the plan (it waits for GO).
    if (cgroups) {
      cgroups.create();
      cgroups.apply(spec.linux?.resources);
      cgroups.join(pid);
      // Now with the parents create() made for a nested cgroupsPath, for delete to remove.
      state.cgroupPaths = cgroups.paths;
      writeState(rt.root, state);
    }
    mark("cgroups");
    writeContainerConfig(rt.root, id, spec);
    // GO carries the two states the init's own hooks read, then the seccomp agent's message.
    const ociState = (status: Status) => ({
      ...toOciState({ ...state, status }),
      annotations: spec.annotations ?? {},
    });
    const creating = encodeJson(ociState("creating"));
    const created = encodeJson(ociState("created"));
    const notifyMsg = agentMessage(seccomp, spec, pid, { ...ociState("creating"), pid });
    const handoffNs = await launched.handshake({
      payload: concatBytes([creating, created, notifyMsg]),
      value: BigInt(creating.length) | (BigInt(created.length) << 32n),
      onGo: () => mark("go"),
      timeouts: { timeoutMs: opts.timeoutMs ?? 60_000, agentTimeoutMs: seccomp?.input.timeoutMs },
      onHooks: async () => {
        // The mounts exist and the init waits before pivot_root: the runtime's hooks now.
        // prestart sees "created", as crun shows it (the legacy hook of the start step).
        const st = ociState("creating");
        await runHooks("prestart", spec.hooks?.prestart, ociState("created"), rt.hookOutput);
        await runHooks("createRuntime", spec.hooks?.createRuntime, st, rt.hookOutput);
      },
      onConsole,
    });
    mark("ready");
    opts.signal?.throwIfAborted();
    state.status = "created";
    delete state.creator;
    writeState(rt.root, state);
    mark("created");
    if (opts.pidFile) await writePidFile(opts.pidFile, pid);
    if (!opts.watchExec) return { state, handoffNs };
    const fd = launched.takeSyncFd();
    const execDone = async () => {
      try {
        await awaitExec(plan, fd);
      } finally {
        closeFd(fd);
      }
    };
    return { state, handoffNs, execDone };
  } catch (e) {
    await launched.abort();
    try {
      cgroups?.destroy();
      if (state.rootBind) removeRootBind(state.rootBind, rt.warn);
    } catch { /* best effort: the error that brought us here matters more */ }
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    if (launched.pid > 0) {
      await rt.poststop(spec, {
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
    launched.close();
  }
}
