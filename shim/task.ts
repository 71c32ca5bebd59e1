/**
 * What the Task service keeps per container and per process, and how drun's errors become
 * the gRPC status codes containerd understands.
 * @module
 */
import { DrunError } from "../lib/errors.ts";
import type { Process } from "../lib/spec/types.ts";
import type { CgroupManager } from "../lib/cgroup/types.ts";
import { Code, RpcError } from "./ttrpc.ts";
import type { ProcessIO, StdioPaths } from "./stdio.ts";
import type { OomWatch } from "./oom.ts";

/** One process of a task: its init or an exec. */
export interface Proc {
  execId: string;
  pid: number;
  status: "created" | "running" | "stopped";
  exitStatus: number;
  exitedAt?: number;
  paths: StdioPaths;
  io?: ProcessIO;
  /** The exec's process spec (execs only). */
  spec?: Process;
  /** Resolves once the exit is recorded and published. */
  exited: Promise<void>;
  markExited: () => void;
}

/** One container. */
export interface Task {
  id: string;
  bundle: string;
  rootfsMounted: boolean;
  init: Proc;
  execs: Map<string, Proc>;
  oom?: OomWatch;
  /** The container's cgroups, when it shares a pid namespace (its init's exit kills them). */
  sharedPidCgroups?: CgroupManager;
}

/**
 * A process record before its launch; `exited` resolves once `markExited` is called.
 *
 * @example
 * ```ts ignore
 * const init = newProc("", { stdin: "", stdout: "/run/out", stderr: "", terminal: false });
 * ```
 */
export function newProc(execId: string, paths: StdioPaths): Proc {
  let markExited = () => {};
  const exited = new Promise<void>((r) => markExited = r);
  return { execId, pid: 0, status: "created", exitStatus: 0, paths, exited, markExited };
}

/**
 * A drun error as the gRPC status containerd turns back into its own error kinds.
 *
 * @example
 * ```ts ignore
 * throw rpcError(new DrunError("ENOTFOUND", "container web does not exist"));
 * ```
 */
export function rpcError(e: unknown): RpcError {
  if (e instanceof RpcError) return e;
  const msg = (e as Error)?.message ?? String(e);
  if (e instanceof DrunError) {
    const code = {
      ENOTFOUND: Code.NOT_FOUND,
      EEXISTS: Code.ALREADY_EXISTS,
      EBADSTATE: Code.FAILED_PRECONDITION,
      EINVALID_SPEC: Code.INVALID_ARGUMENT,
      EINVALID_ARG: Code.INVALID_ARGUMENT,
    }[e.code as string];
    return new RpcError(code ?? Code.UNKNOWN, msg);
  }
  return new RpcError(Code.UNKNOWN, msg);
}
