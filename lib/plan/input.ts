/**
 * What the plan builders take: the spec, the rootfs and the runtime's choices (PlanInput), and
 * the `add` callback every builder appends ops (made by ops.ts) through.
 * @module
 */
import type { Spec } from "../spec/types.ts";
import type { PlanOp } from "./encode.ts";

/** What the plan needs besides the spec. */
export interface PlanInput {
  /** A validated spec. */
  spec: Spec;
  /** Absolute host path of the rootfs. */
  rootfs: string;
  /** Absolute host path of the exec fifo the init blocks on until `start`. */
  fifoPath: string;
  /** Use MS_MOVE + chroot instead of pivot_root (for a rootfs on ramfs/initramfs). */
  noPivot?: boolean;
  /** Extra fds (from 3) the process keeps. */
  preserveFds?: number;
  /** The compiled filter, and the connected listener socket when it notifies. */
  seccomp?: {
    program: Uint8Array;
    flags: number;
    listenerFd?: number;
    /** How long the agent gets to accept and read the state (ms); default 10 s. */
    timeoutMs?: number;
  };
  /** The container id (names its session keyring). */
  id?: string;
  /** Do not give the container a session keyring of its own (runc's --no-new-keyring). */
  noNewKeyring?: boolean;
  /**
   * Keep the parent-death signal until `start` (the creating process also starts it, as
   * `run` does): a runtime killed before then takes the waiting init with it.
   */
  bindUntilStart?: boolean;
  /** The container's cgroup directory per controller, when the runtime made them. */
  cgroupPaths?: Record<string, string>;
  /** Lines of /proc/self/cgroup of the caller; tests may inject them. */
  cgroupLines?: string[];
  /**
   * The runtime denies setgroups in the new user namespace (an unprivileged user mapping its
   * own gid): the init cannot call it, so additional gids are refused and none are set.
   */
  setgroupsDenied?: boolean;
  /**
   * The runtime is rootless (unprivileged, or root in a user namespace, rootless podman's
   * case): even a container without a user namespace of its own cannot mount a cgroupfs.
   */
  rootless?: boolean;
}

/** Appends one op to the plan being built. */
export type Add = (op: PlanOp) => void;
