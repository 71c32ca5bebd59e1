/**
 * The messages of containerd's shim v2 protocol, ttrpc and events, as schemas for
 * shim/protobuf.ts. Field numbers follow the vendored .proto files in shim/proto/.
 * @module
 */
import type { Field, FieldType, Schema } from "./protobuf.ts";

const s = (no: number): Field => ({ no, type: "string" });
const u32 = (no: number): Field => ({ no, type: "uint32" });
const u64 = (no: number): Field => ({ no, type: "uint64" });
const b = (no: number): Field => ({ no, type: "bool" });
const m = (no: number, type: FieldType, repeated = false): Field => ({ no, type, repeated });

/** google.protobuf.Any. */
export const Any: Schema = { typeUrl: s(1), value: { no: 2, type: "bytes" } };
/** google.protobuf.Timestamp. */
export const Timestamp: Schema = {
  seconds: { no: 1, type: "int64" },
  nanos: { no: 2, type: "int32" },
};
/** google.protobuf.Empty. */
export const Empty: Schema = {};

/** A Timestamp message of a time in ms since the epoch. */
export function timestamp(ms: number): { seconds: number; nanos: number } {
  return { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1_000_000 };
}

// ttrpc (github.com/containerd/ttrpc request.proto)
const KeyValue: Schema = { key: s(1), value: s(2) };
/** ttrpc.Request. */
export const TtrpcRequest: Schema = {
  service: s(1),
  method: s(2),
  payload: { no: 3, type: "bytes" },
  timeoutNano: { no: 4, type: "int64" },
  metadata: m(5, KeyValue, true),
};
/** google.rpc.Status. */
export const RpcStatus: Schema = {
  code: { no: 1, type: "int32" },
  message: s(2),
  details: m(3, Any, true),
};
/** ttrpc.Response. */
export const TtrpcResponse: Schema = { status: m(1, RpcStatus), payload: { no: 2, type: "bytes" } };

// containerd.types
/** containerd.types.Mount. */
export const Mount: Schema = {
  type: s(1),
  source: s(2),
  target: s(3),
  options: m(4, "string", true),
};
/** containerd.v1.types.Status. */
export const Status = { UNKNOWN: 0, CREATED: 1, RUNNING: 2, STOPPED: 3, PAUSED: 4 } as const;
/** containerd.v1.types.ProcessInfo. */
export const ProcessInfo: Schema = { pid: u32(1), info: m(2, Any) };

// containerd.task.v2
/** CreateTaskRequest. */
export const CreateTaskRequest: Schema = {
  id: s(1),
  bundle: s(2),
  rootfs: m(3, Mount, true),
  terminal: b(4),
  stdin: s(5),
  stdout: s(6),
  stderr: s(7),
  checkpoint: s(8),
  parentCheckpoint: s(9),
  options: m(10, Any),
};
/** A response carrying only a pid (CreateTaskResponse, StartResponse). */
export const PidResponse: Schema = { pid: u32(1) };
/** A request naming a process (Delete, State, Start, Wait). */
export const ProcessRequest: Schema = { id: s(1), execId: s(2) };
/** A request naming a task (Pids, Pause, Resume, Stats, Connect). */
export const TaskRequest: Schema = { id: s(1) };
/** DeleteResponse. */
export const DeleteResponse: Schema = {
  pid: u32(1),
  exitStatus: u32(2),
  exitedAt: m(3, Timestamp),
};
/** ExecProcessRequest. */
export const ExecProcessRequest: Schema = {
  id: s(1),
  execId: s(2),
  terminal: b(3),
  stdin: s(4),
  stdout: s(5),
  stderr: s(6),
  spec: m(7, Any),
};
/** ResizePtyRequest. */
export const ResizePtyRequest: Schema = { id: s(1), execId: s(2), width: u32(3), height: u32(4) };
/** StateResponse. */
export const StateResponse: Schema = {
  id: s(1),
  bundle: s(2),
  pid: u32(3),
  status: u32(4),
  stdin: s(5),
  stdout: s(6),
  stderr: s(7),
  terminal: b(8),
  exitStatus: u32(9),
  exitedAt: m(10, Timestamp),
  execId: s(11),
};
/** KillRequest. */
export const KillRequest: Schema = { id: s(1), execId: s(2), signal: u32(3), all: b(4) };
/** CloseIORequest. */
export const CloseIORequest: Schema = { id: s(1), execId: s(2), stdin: b(3) };
/** PidsResponse. */
export const PidsResponse: Schema = { processes: m(1, ProcessInfo, true) };
/** UpdateTaskRequest (annotations are not read). */
export const UpdateTaskRequest: Schema = { id: s(1), resources: m(2, Any) };
/** WaitResponse. */
export const WaitResponse: Schema = { exitStatus: u32(1), exitedAt: m(2, Timestamp) };
/** StatsResponse. */
export const StatsResponse: Schema = { stats: m(1, Any) };
/** ConnectResponse. */
export const ConnectResponse: Schema = { shimPid: u32(1), taskPid: u32(2), version: s(3) };
/** ShutdownRequest. */
export const ShutdownRequest: Schema = { id: s(1), now: b(2) };

// containerd.events
const TaskIO: Schema = { stdin: s(1), stdout: s(2), stderr: s(3), terminal: b(4) };
/** The events the shim publishes, by type URL. */
export const Events: Record<string, Schema> = {
  "containerd.events.TaskCreate": {
    containerId: s(1),
    bundle: s(2),
    rootfs: m(3, Mount, true),
    io: m(4, TaskIO),
    checkpoint: s(5),
    pid: u32(6),
  },
  "containerd.events.TaskStart": { containerId: s(1), pid: u32(2) },
  "containerd.events.TaskDelete": {
    containerId: s(1),
    pid: u32(2),
    exitStatus: u32(3),
    exitedAt: m(4, Timestamp),
    id: s(5),
  },
  "containerd.events.TaskExit": {
    containerId: s(1),
    id: s(2),
    pid: u32(3),
    exitStatus: u32(4),
    exitedAt: m(5, Timestamp),
  },
  "containerd.events.TaskOOM": { containerId: s(1) },
  "containerd.events.TaskExecAdded": { containerId: s(1), execId: s(2) },
  "containerd.events.TaskExecStarted": { containerId: s(1), execId: s(2), pid: u32(3) },
  "containerd.events.TaskPaused": { containerId: s(1) },
  "containerd.events.TaskResumed": { containerId: s(1) },
};
/** containerd.services.events.ttrpc.v1.ForwardRequest. */
export const ForwardRequest: Schema = {
  envelope: m(1, { timestamp: m(1, Timestamp), namespace: s(2), topic: s(3), event: m(4, Any) }),
};

// io.containerd.cgroups.v1 (what `ctr task metrics` and the CRI read on a v1 host)
const MemoryEntry: Schema = { limit: u64(1), usage: u64(2), max: u64(3), failcnt: u64(4) };
/** io.containerd.cgroups.v1.Metrics (the fields drun measures). */
export const CgroupV1Metrics: Schema = {
  hugetlb: m(1, { usage: u64(1), max: u64(2), failcnt: u64(3), pagesize: s(4) }, true),
  pids: m(2, { current: u64(1), limit: u64(2) }),
  cpu: m(3, {
    usage: m(1, { total: u64(1), kernel: u64(2), user: u64(3), perCpu: m(4, "uint64", true) }),
    throttling: m(2, { periods: u64(1), throttledPeriods: u64(2), throttledTime: u64(3) }),
  }),
  memory: m(4, {
    cache: u64(1),
    rss: u64(2),
    rssHuge: u64(3),
    mappedFile: u64(4),
    totalCache: u64(18),
    totalRss: u64(19),
    usage: m(33, MemoryEntry),
    swap: m(34, MemoryEntry),
    kernel: m(35, MemoryEntry),
    kernelTcp: m(36, MemoryEntry),
  }),
  memoryOomControl: m(9, { oomKillDisable: u64(1), underOom: u64(2), oomKill: u64(3) }),
};
