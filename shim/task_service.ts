/**
 * containerd's Task service (containerd.task.v2.Task) over drun's library: every container
 * of a pod lives in this one process, which created its init and so waits for it directly.
 * Each process's exit is recorded once, published once (/tasks/exit) and then handed to
 * every Wait, as the runc shim does.
 * @module
 */
import { join } from "node:path";
import { Runtime } from "../lib/runtime.ts";
import { DrunError } from "../lib/errors.ts";
import { killPid, waitPid } from "../lib/native/ffi.ts";
import { VERSION } from "../lib/features.ts";
import { decode, encode, type Message, type Schema } from "./protobuf.ts";
import * as M from "./messages.ts";
import { Code, type Method, RpcError } from "./ttrpc.ts";
import type { Publisher } from "./events.ts";
import { ProcessIO, type StdioPaths } from "./stdio.ts";
import { mountRootfs, unmountRootfs } from "./mounts.ts";
import { encodeMetricsV1, METRICS_V1_TYPE } from "./metrics.ts";
import { resizePty } from "./pty.ts";
import { OomWatch } from "./oom.ts";
import { cgroupsFromPaths } from "../lib/cgroup/mod.ts";
import { newProc, type Proc, rpcError, type Task } from "./task.ts";
import { killCgroup } from "../lib/runtime/cgroup_ops.ts";

const PROCESS_TYPE = "types.containerd.io/opencontainers/runtime-spec/1/Process";
const dec = new TextDecoder();

/** The Task service of one shim process. */
export class TaskService {
  readonly #rt: Runtime;
  readonly #tasks = new Map<string, Task>();
  readonly #events: Publisher;
  readonly #onShutdown: () => void;

  /**
   * The service over drun state root `root`, publishing to `events`; `onShutdown` ends the shim.
   *
   * @example
   * ```ts ignore
   * import { TaskService } from "./task_service.ts";
   * import { Publisher } from "./events.ts";
   * const svc = new TaskService("/run/containerd/drun/default", new Publisher("", "default"), () => {});
   * ```
   */
  constructor(root: string, events: Publisher, onShutdown: () => void) {
    this.#rt = new Runtime(root, (m) => console.error(`warning: ${m}`));
    this.#events = events;
    this.#onShutdown = onShutdown;
  }

  /** The ttrpc methods, by name. */
  methods(): Record<string, Method> {
    const rpc = (req: Schema, res: Schema, fn: (m: Message) => Promise<Message>): Method =>
    async (
      payload,
    ) => {
      try {
        return encode(res, await fn(decode(req, payload)));
      } catch (e) {
        throw rpcError(e);
      }
    };
    const empty = (req: Schema, fn: (m: Message) => Promise<void>) =>
      rpc(req, M.Empty, async (m) => {
        await fn(m);
        return {};
      });
    return {
      Create: rpc(M.CreateTaskRequest, M.PidResponse, (m) => this.create(m)),
      Start: rpc(M.ProcessRequest, M.PidResponse, (m) => this.start(m.id, m.execId)),
      Delete: rpc(M.ProcessRequest, M.DeleteResponse, (m) => this.delete(m.id, m.execId)),
      State: rpc(M.ProcessRequest, M.StateResponse, (m) => Promise.resolve(this.state(m))),
      Wait: rpc(M.ProcessRequest, M.WaitResponse, (m) => this.wait(m.id, m.execId)),
      Exec: empty(M.ExecProcessRequest, (m) => this.exec(m)),
      Kill: empty(M.KillRequest, (m) => this.kill(m)),
      Pids: rpc(M.TaskRequest, M.PidsResponse, (m) => this.pids(m.id)),
      Pause: empty(M.TaskRequest, (m) => this.pause(m.id)),
      Resume: empty(M.TaskRequest, (m) => this.resume(m.id)),
      Stats: rpc(M.TaskRequest, M.StatsResponse, (m) => this.stats(m.id)),
      Update: empty(M.UpdateTaskRequest, (m) => this.update(m)),
      ResizePty: empty(M.ResizePtyRequest, (m) => this.resize(m)),
      CloseIO: empty(M.CloseIORequest, (m) => {
        if (m.stdin) this.#proc(m.id, m.execId).io?.closeStdin();
        return Promise.resolve();
      }),
      Connect: rpc(M.TaskRequest, M.ConnectResponse, (m) =>
        Promise.resolve({
          shimPid: Deno.pid,
          taskPid: this.#tasks.get(m.id)?.init.pid ?? 0,
          version: VERSION,
        })),
      Shutdown: empty(M.ShutdownRequest, () => {
        // One shim serves a whole pod: it goes only with its last container.
        if (this.#tasks.size === 0) this.#onShutdown();
        return Promise.resolve();
      }),
      Checkpoint: () =>
        Promise.reject(new RpcError(Code.UNIMPLEMENTED, "checkpoint is not supported by drun")),
    };
  }

  /** Whether pid is a process this service waits for (the orphan reaper leaves it). */
  tracks(pid: number): boolean {
    for (const t of this.#tasks.values()) {
      if (t.init.pid === pid) return true;
      for (const e of t.execs.values()) if (e.pid === pid) return true;
    }
    return false;
  }

  /** How many containers this shim serves. */
  get size(): number {
    return this.#tasks.size;
  }

  #task(id: string): Task {
    const t = this.#tasks.get(id);
    if (!t) throw new RpcError(Code.NOT_FOUND, `container ${id}: not found`);
    return t;
  }

  #proc(id: string, execId: string): Proc {
    const t = this.#task(id);
    if (!execId) return t.init;
    const p = t.execs.get(execId);
    if (!p) throw new RpcError(Code.NOT_FOUND, `process ${execId}: not found`);
    return p;
  }

  /** Create: mounts the rootfs, creates the container (its init waits for Start). */
  async create(m: Message): Promise<Message> {
    const id = m.id as string;
    if (this.#tasks.has(id)) {
      throw new RpcError(Code.ALREADY_EXISTS, `container ${id}: already exists`);
    }
    const bundle = m.bundle as string;
    const paths: StdioPaths = {
      stdin: m.stdin,
      stdout: m.stdout,
      stderr: m.stderr,
      terminal: m.terminal,
    };
    const init = newProc("", paths);
    const task: Task = { id, bundle, rootfsMounted: false, init, execs: new Map() };
    await mountRootfs(bundle, m.rootfs);
    task.rootfsMounted = m.rootfs.length > 0;
    try {
      init.io = ProcessIO.open(paths);
      const c = await this.#rt.create(id, {
        bundle,
        stdioFds: init.io.stdioFds,
        onConsole: paths.terminal ? (fd) => init.io!.attachConsole(fd) : undefined,
        pidFile: join(bundle, "init.pid"),
      });
      init.pid = c.created!.state.pid;
      const st = c.created!.state;
      if (!st.ownPidNamespace) task.sharedPidCgroups = cgroupsFromPaths(st.cgroupPaths);
      task.oom = new OomWatch(st.cgroupPaths, () => {
        this.#events.publish("containerd.events.TaskOOM", { containerId: id });
      });
    } catch (e) {
      init.io?.close();
      if (task.rootfsMounted) await unmountRootfs(bundle);
      throw e;
    }
    init.io.afterStart();
    this.#tasks.set(id, task);
    this.#reap(task, init);
    await this.#events.publish("containerd.events.TaskCreate", {
      containerId: id,
      bundle,
      rootfs: m.rootfs,
      io: { stdin: m.stdin, stdout: m.stdout, stderr: m.stderr, terminal: m.terminal },
      pid: init.pid,
    });
    return { pid: init.pid };
  }

  /** Waits for a process of this shim and records its exit, once. */
  #reap(task: Task, p: Proc): void {
    waitPid(p.pid).then(
      (st) => st.code,
      () => 255, // not ours to wait for: nothing better to report
    ).then(async (code) => {
      p.status = "stopped";
      p.exitStatus = code;
      p.exitedAt = Date.now();
      if (!p.execId) {
        // Without its own pid namespace the container's other processes outlive the init;
        // as the runc shim, the shim ends them with it.
        if (task.sharedPidCgroups) await killCgroup(task.sharedPidCgroups).catch(() => {});
        // An OOM kill is published before the exit it caused.
        task.oom?.stop();
      }
      await p.io?.exited();
      await this.#events.publish("containerd.events.TaskExit", {
        containerId: task.id,
        id: p.execId || task.id,
        pid: p.pid,
        exitStatus: p.exitStatus,
        exitedAt: M.timestamp(p.exitedAt),
      });
      p.markExited();
    });
  }

  /** Start: releases the init, or runs an exec added before. */
  async start(id: string, execId: string): Promise<Message> {
    const task = this.#task(id);
    const p = this.#proc(id, execId);
    if (p.status !== "created") {
      throw new RpcError(Code.FAILED_PRECONDITION, `process ${execId || id} is ${p.status}`);
    }
    if (!execId) {
      await this.#rt.start(id);
      // A process that exits at once may be reaped before start returns.
      if (p.status === "created") p.status = "running";
      task.oom?.start();
      await this.#events.publish("containerd.events.TaskStart", { containerId: id, pid: p.pid });
      return { pid: p.pid };
    }
    p.io = ProcessIO.open(p.paths);
    try {
      const r = await this.#rt.exec(id, p.spec!, {
        stdioFds: p.io.stdioFds,
        detach: true,
        onConsole: p.paths.terminal ? (fd) => p.io!.attachConsole(fd) : undefined,
      });
      p.pid = r.pid;
    } catch (e) {
      p.io.close();
      p.io = undefined;
      throw e;
    }
    p.io.afterStart();
    p.status = "running";
    this.#reap(task, p);
    await this.#events.publish("containerd.events.TaskExecStarted", {
      containerId: id,
      execId,
      pid: p.pid,
    });
    return { pid: p.pid };
  }

  /** Exec: records an exec process (Start runs it). */
  async exec(m: Message): Promise<void> {
    const task = this.#task(m.id);
    if (task.execs.has(m.execId)) {
      throw new RpcError(Code.ALREADY_EXISTS, `id ${m.execId}: already exists`);
    }
    if (task.init.status === "stopped") {
      throw new RpcError(Code.FAILED_PRECONDITION, `container ${m.id} is stopped`);
    }
    const spec = m.spec as Message | undefined;
    if (!spec || spec.typeUrl !== PROCESS_TYPE) {
      throw new RpcError(Code.INVALID_ARGUMENT, `spec: must be a ${PROCESS_TYPE}`);
    }
    const p = newProc(m.execId, {
      stdin: m.stdin,
      stdout: m.stdout,
      stderr: m.stderr,
      terminal: m.terminal,
    });
    p.spec = JSON.parse(dec.decode(spec.value));
    task.execs.set(m.execId, p);
    await this.#events.publish("containerd.events.TaskExecAdded", {
      containerId: m.id,
      execId: m.execId,
    });
  }

  /** Wait: the exit status, once the exit was recorded and published. */
  async wait(id: string, execId: string): Promise<Message> {
    const p = this.#proc(id, execId);
    await p.exited;
    return { exitStatus: p.exitStatus, exitedAt: M.timestamp(p.exitedAt!) };
  }

  /** Delete: an exec's record, or the container with its rootfs mount. */
  async delete(id: string, execId: string): Promise<Message> {
    const task = this.#task(id);
    const p = this.#proc(id, execId);
    if (p.status === "running") {
      throw new RpcError(Code.FAILED_PRECONDITION, `process ${execId || id} must be stopped`);
    }
    if (execId) {
      task.execs.delete(execId);
      p.io?.close();
      return this.#exitOf(p);
    }
    // A created init that never ran is killed by the delete; its exit is recorded as usual.
    await this.#rt.delete(id, { force: true }).catch((e) => {
      // A delete that failed later on (the rootfs) may be tried again.
      if (!(e instanceof DrunError && e.code === "ENOTFOUND")) throw e;
    });
    if (p.pid) await Promise.race([p.exited, new Promise((r) => setTimeout(r, 5000))]);
    task.oom?.stop();
    for (const e of task.execs.values()) e.io?.close();
    p.io?.close();
    if (task.rootfsMounted) await unmountRootfs(task.bundle);
    this.#tasks.delete(id);
    const r = this.#exitOf(p);
    await this.#events.publish("containerd.events.TaskDelete", {
      containerId: id,
      pid: r.pid,
      exitStatus: r.exitStatus,
      exitedAt: r.exitedAt,
    });
    return r;
  }

  #exitOf(p: Proc): Message {
    return {
      pid: p.pid,
      exitStatus: p.exitStatus,
      exitedAt: M.timestamp(p.exitedAt ?? Date.now()),
    };
  }

  /** State of a process. */
  state(m: Message): Message {
    const task = this.#task(m.id);
    const p = this.#proc(m.id, m.execId);
    let status: number = M.Status[p.status.toUpperCase() as "RUNNING"];
    if (!m.execId && p.status === "running") {
      try {
        if (this.#rt.state(m.id).status === "paused") status = M.Status.PAUSED;
      } catch { /* deleted meanwhile */ }
    }
    return {
      id: m.id,
      bundle: task.bundle,
      pid: p.pid,
      status,
      stdin: p.paths.stdin,
      stdout: p.paths.stdout,
      stderr: p.paths.stderr,
      terminal: p.paths.terminal,
      exitStatus: p.exitStatus,
      exitedAt: p.exitedAt ? M.timestamp(p.exitedAt) : undefined,
      execId: m.execId,
    };
  }

  /** Kill: a signal to the init (with `all`, to every process) or to an exec. */
  async kill(m: Message): Promise<void> {
    const task = this.#task(m.id);
    const p = this.#proc(m.id, m.execId);
    if (p.status === "stopped") throw new RpcError(Code.NOT_FOUND, "process already finished");
    if (m.execId) {
      if (p.pid && killPid(p.pid, m.signal) === -3) {
        throw new RpcError(Code.NOT_FOUND, "process already finished");
      }
      return;
    }
    await this.#rt.kill(task.id, m.signal, m.all);
  }

  /** Pids: every process in the container's cgroup. */
  async pids(id: string): Promise<Message> {
    this.#task(id);
    const pids = await this.#rt.ps(id);
    return { processes: pids.map((pid) => ({ pid })) };
  }

  /** Pause: freezes the container. */
  async pause(id: string): Promise<void> {
    this.#task(id);
    await this.#rt.pause(id);
    await this.#events.publish("containerd.events.TaskPaused", { containerId: id });
  }

  /** Resume: thaws it. */
  async resume(id: string): Promise<void> {
    this.#task(id);
    await this.#rt.resume(id);
    await this.#events.publish("containerd.events.TaskResumed", { containerId: id });
  }

  /** Stats: cgroup v1 metrics as an Any. */
  async stats(id: string): Promise<Message> {
    this.#task(id);
    for await (const ev of this.#rt.events(id, { stats: true })) {
      if (ev.data) return { stats: { typeUrl: METRICS_V1_TYPE, value: encodeMetricsV1(ev.data) } };
    }
    throw new RpcError(Code.NOT_FOUND, `container ${id}: no statistics`);
  }

  /** Update: new resource limits (an OCI LinuxResources as JSON in an Any). */
  async update(m: Message): Promise<void> {
    this.#task(m.id);
    const value = (m.resources as Message | undefined)?.value;
    if (!value) throw new RpcError(Code.INVALID_ARGUMENT, "resources: required");
    await this.#rt.update(m.id, JSON.parse(dec.decode(value)));
  }

  /** ResizePty: the terminal size of a process with a terminal. */
  resize(m: Message): Promise<void> {
    const p = this.#proc(m.id, m.execId);
    if (!p.io || p.io.master < 0) {
      throw new RpcError(Code.FAILED_PRECONDITION, `process ${m.execId || m.id} has no terminal`);
    }
    resizePty(p.io.master, m.height, m.width);
    return Promise.resolve();
  }
}
