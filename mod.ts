/**
 * drun: an OCI container runtime as a typed library.
 *
 * `run` is `runc run` in the foreground: create, start, wait, delete, with the output.
 * `create` gives a handle to drive by hand, its stdio as Deno streams when piped.
 *
 * ```ts
 * import { defaultSpec, Runtime } from "jsr:@drun/drun";
 *
 * const rt = new Runtime("/run/drun");
 * // No terminal: the process's stdio is pipes to this program (or inherited).
 * const spec = defaultSpec({ args: ["/bin/echo", "hello"], terminal: false });
 * spec.root = { path: "/path/to/rootfs" };
 * console.log(await rt.run(spec, { text: true })); // { code: 0, stdout: "hello\n", stderr: "" }
 *
 * spec.process!.args = ["/bin/cat"];
 * await using c = await rt.create("demo", { spec, stdio: "pipe" });
 * await c.start();
 * const out = new Response(c.stdout).text();
 * const w = c.stdin!.getWriter();
 * await w.write(new TextEncoder().encode("fed through stdin\n"));
 * await w.close();
 * console.log(await out, await c.wait()); // "fed through stdin\n" { code: 0 }
 * // Leaving the block deletes the container.
 * ```
 * @module
 */
export {
  Container,
  type ContainerRuntime,
  type CreateOptions,
  type CreateResult,
  type ExecOptions,
  type ExecResult,
  type ExecStreams,
  type OciState,
  type RunOptions,
  type RunResult,
  Runtime,
  type StdioMode,
  type StdioOption,
  type StdioStreams,
  type WaitStatus,
  type Warn,
} from "./lib/runtime.ts";
export type { ContainerState, Status } from "./lib/state/store.ts";
export type { ExitStatus } from "./lib/native/ffi.ts";
export { HOOK_KINDS, type HookKind, type HookOutput } from "./lib/hooks.ts";
export {
  ArgError,
  DrunError,
  type DrunErrorCode,
  LaunchError,
  NativeError,
  SpecError,
} from "./lib/errors.ts";
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
export type { ContainerEvent, EventsOptions } from "./lib/runtime/cgroup_ops.ts";
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
