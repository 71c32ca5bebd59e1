/**
 * The starter configuration written by `drun spec`, equivalent to what `runc spec` produces so
 * bundles prepared for either runtime behave the same.
 * @module
 */

import type { Mount, Spec } from "./types.ts";

/**
 * Options of {@link defaultSpec}.
 *
 * @example
 * ```ts
 * const opts: DefaultSpecOptions = { args: ["/bin/echo", "hi"], terminal: false };
 * ```
 */
export interface DefaultSpecOptions {
  /** Produce a configuration usable without root: own user namespace, no network namespace. */
  rootless?: boolean;
  /** Command to run instead of `sh`. */
  args?: string[];
  /**
   * Give the process a terminal (`process.terminal`), as `runc spec` does: the default. A
   * library caller without a console socket, or one that wants stdio pipes, passes false.
   */
  terminal?: boolean;
  /** Host uid mapped to root in rootless mode; defaults to the calling user's. */
  hostUid?: number;
  /** Host gid mapped to root in rootless mode; defaults to the calling user's. */
  hostGid?: number;
}

const CAPS = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"];

/**
 * Returns a fresh default {@link Spec}: `sh` on a terminal as root, read-only `rootfs` in the
 * bundle, the usual /proc, /dev, /sys mounts, and pid/ipc/uts/mount (plus network, or user when
 * rootless) namespaces. Callers may mutate the result freely.
 *
 * @example
 * ```ts
 * const spec = defaultSpec({ args: ["/bin/echo", "hi"], terminal: false });
 * spec.root = { path: "/srv/rootfs", readonly: true };
 * ```
 */
export function defaultSpec(opts: DefaultSpecOptions = {}): Spec {
  const rootless = opts.rootless ?? false;
  const mounts: Mount[] = [
    { destination: "/proc", type: "proc", source: "proc" },
    {
      destination: "/dev",
      type: "tmpfs",
      source: "tmpfs",
      options: ["nosuid", "strictatime", "mode=755", "size=65536k"],
    },
    {
      destination: "/dev/pts",
      type: "devpts",
      source: "devpts",
      // gid=5 (tty) only exists in the container when we control all of its gids.
      options: [
        "nosuid",
        "noexec",
        "newinstance",
        "ptmxmode=0666",
        "mode=0620",
        ...(rootless ? [] : ["gid=5"]),
      ],
    },
    {
      destination: "/dev/shm",
      type: "tmpfs",
      source: "shm",
      options: ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"],
    },
    {
      destination: "/dev/mqueue",
      type: "mqueue",
      source: "mqueue",
      options: ["nosuid", "noexec", "nodev"],
    },
    // Without a network namespace of its own the container may not mount a fresh sysfs, so
    // rootless containers get a read-only view of the host's instead.
    rootless
      ? {
        destination: "/sys",
        type: "none",
        source: "/sys",
        options: ["rbind", "nosuid", "noexec", "nodev", "ro"],
      }
      : {
        destination: "/sys",
        type: "sysfs",
        source: "sysfs",
        options: ["nosuid", "noexec", "nodev", "ro"],
      },
    {
      destination: "/sys/fs/cgroup",
      type: "cgroup",
      source: "cgroup",
      options: ["nosuid", "noexec", "nodev", "relatime", "ro"],
    },
  ];

  const spec: Spec = {
    ociVersion: "1.2.0",
    process: {
      terminal: opts.terminal ?? true,
      user: { uid: 0, gid: 0 },
      args: opts.args ? [...opts.args] : ["sh"],
      env: [
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "TERM=xterm",
      ],
      cwd: "/",
      capabilities: {
        bounding: [...CAPS],
        effective: [...CAPS],
        permitted: [...CAPS],
        ambient: [...CAPS],
      },
      rlimits: [{ type: "RLIMIT_NOFILE", hard: 1024, soft: 1024 }],
      noNewPrivileges: true,
    },
    root: { path: "rootfs", readonly: true },
    hostname: "drun",
    mounts,
    linux: {
      namespaces: rootless
        ? [{ type: "pid" }, { type: "ipc" }, { type: "uts" }, { type: "mount" }, { type: "user" }]
        : [
          { type: "pid" },
          { type: "network" },
          { type: "ipc" },
          { type: "uts" },
          { type: "mount" },
        ],
      maskedPaths: [
        "/proc/acpi",
        "/proc/asound",
        "/proc/kcore",
        "/proc/keys",
        "/proc/latency_stats",
        "/proc/timer_list",
        "/proc/timer_stats",
        "/proc/sched_debug",
        "/sys/firmware",
        "/proc/scsi",
        // RAPL energy counters leak information across containers (CVE-2020-8694).
        "/sys/devices/virtual/powercap",
      ],
      readonlyPaths: [
        "/proc/bus",
        "/proc/fs",
        "/proc/irq",
        "/proc/sys",
        "/proc/sysrq-trigger",
      ],
    },
  };

  if (rootless) {
    // An unprivileged user can map only its own ids, and cannot program the device cgroup.
    const uid = opts.hostUid ?? Deno.uid() ?? 0;
    const gid = opts.hostGid ?? Deno.gid() ?? 0;
    spec.linux!.uidMappings = [{ containerID: 0, hostID: uid, size: 1 }];
    spec.linux!.gidMappings = [{ containerID: 0, hostID: gid, size: 1 }];
  } else {
    spec.linux!.resources = { devices: [{ allow: false, access: "rwm" }] };
  }
  return spec;
}
