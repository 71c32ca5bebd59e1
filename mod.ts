/**
 * drun: an OCI container runtime as a typed library.
 *
 * ```ts
 * import { Runtime, defaultSpec } from "jsr:@drun/drun";
 *
 * const rt = new Runtime("/run/drun");
 * const spec = defaultSpec({ args: ["/bin/true"] });
 * spec.root = { path: "/path/to/rootfs" };
 * const c = await rt.create("demo", { spec, bundle: "/path/to" });
 * await c.start();
 * console.log(await c.wait()); // { code: 0 }
 * await c.delete();
 * ```
 * @module
 */
export {
  Container,
  type CreateOptions,
  type CreateResult,
  type ExecOptions,
  type ExecResult,
  type OciState,
  Runtime,
  type Warn,
} from "./lib/runtime.ts";
export type { ContainerState, Status } from "./lib/state/store.ts";
export type { ExitStatus } from "./lib/native/ffi.ts";
export { HOOK_KINDS, type HookKind, type HookOutput } from "./lib/hooks.ts";
export { ArgError, DrunError, type DrunErrorCode, LaunchError, SpecError } from "./lib/errors.ts";
export { loadSpec, type ValidateOptions, validateSpec } from "./lib/spec/validate.ts";
export { defaultSpec, type DefaultSpecOptions } from "./lib/spec/default.ts";
export type * from "./lib/spec/types.ts";
export {
  type CompiledSeccomp,
  type CompileOptions,
  compileSeccomp,
  type HostArch,
  type SeccompFeatures,
  seccompFeatures,
} from "./lib/seccomp/compile.ts";
export { features, VERSION } from "./lib/features.ts";
export type { ContainerEvent, EventsOptions } from "./lib/cgroup/ops.ts";
export type {
  BlkioEntry,
  BlkioStats,
  CgroupStats,
  CpuStats,
  CpuUsage,
  HugetlbStats,
  MemoryEntry,
  MemoryStats,
  PidsStats,
  Throttling,
} from "./lib/cgroup/types.ts";
export { validateResources } from "./lib/cgroup/validate.ts";
export {
  type AgentEvent,
  type AgentOptions,
  type ContainerProcessState,
  type Notification,
  type NotificationContext,
  type NotificationHandler,
  type OciStateSnapshot,
  type Response as SeccompResponse,
  SeccompAgent,
} from "./lib/agent/mod.ts";
