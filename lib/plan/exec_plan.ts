/**
 * The plan of `exec`: join the container's namespaces, fork into its pid namespace, then the same
 * process setup as the init.
 * @module
 */
import type { Linux, LinuxNamespace, Process } from "../spec/types.ts";
import type { LaunchPlan, PlanOp } from "./encode.ts";
import { ops } from "./ops.ts";
import { inJoinOrder, NAMESPACE_FLAGS } from "../linux/namespaces.ts";
import { checkPreservedFds } from "../processes.ts";
import { addProcessOps, affinityOp } from "./process_ops.ts";
import { PR_SET_DUMPABLE } from "../linux/prctl.ts";
import type { Add, PlanInput } from "./input.ts";

/** What an exec'd process needs besides its Process. */
export interface ExecPlanInput {
  /** The process to run (already merged with the container's defaults). */
  process: Process;
  /** The container's linux section (personality, seccomp source). */
  linux: Linux;
  /** Namespaces to join, with /proc/<init>/ns/* paths; those equal to ours are left out. */
  namespaces: LinuxNamespace[];
  /** Pass fds 3 .. 3+N-1. */
  preserveFds?: number;
  /** The container's filter, and the listener socket when it notifies. */
  seccomp?: PlanInput["seccomp"];
  /** The container's user namespace denies setgroups (see PlanInput). */
  setgroupsDenied?: boolean;
  /**
   * A container in the runtime's own mount namespace has only a chroot for a root: the
   * process chroots to this path (`/proc/<init>/root`), since setns gives it nothing.
   */
  chrootTo?: string;
}

/**
 * The plan of `exec`: become non-dumpable (so nothing in the container can reach the
 * runtime through /proc/<pid>/exe), join the container's namespaces, fork into its pid
 * namespace, wait for the runtime (cgroup join), then the same process setup as the init.
 */
export function buildExecPlan(input: ExecPlanInput): LaunchPlan {
  checkPreservedFds(input.preserveFds ?? 0);
  const steps: PlanOp[] = [];
  const add: Add = (op) => steps.push(op);
  add(ops.signalsReset({ action: "reset signal handlers" }));
  affinityOp(add, input.process, "initial");
  add(ops.prctl({ action: "mark non-dumpable", option: PR_SET_DUMPABLE, arg2: 0, arg3: 0 }));
  const joins = inJoinOrder(input.namespaces);
  for (const ns of joins) {
    const action = `join ${ns.type} namespace`;
    add(ops.setns({ action, nsFlag: NAMESPACE_FLAGS[ns.type], path: ns.path! }));
  }
  if (input.chrootTo) {
    add(ops.openRoot({ action: "open the container's root", path: input.chrootTo }));
    add(ops.chroot({ action: "chroot into the container's root" }));
  }
  add(ops.forkPid({ action: "fork into the container's pid namespace", cloneFlags: 0 }));
  add(ops.waitParent({ action: "wait for the runtime (cgroups)" }));
  affinityOp(add, input.process, "final");
  addProcessOps(add, input.process, input.linux, input, false);
  return { cloneFlags: 0, ops: steps };
}
