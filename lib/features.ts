/**
 * The OCI features document (`drun features`): what this build of drun supports, so engines
 * can decide before they ask.
 * @module
 */
import { CAPABILITIES } from "./caps.ts";
import { HOOK_KINDS } from "./hooks.ts";
import { KNOWN_MOUNT_OPTIONS } from "./spec/validate.ts";
import { seccompFeatures } from "./seccomp/compile.ts";
import { OCI_VERSION } from "./runtime.ts";
import { VERSION } from "./version.ts";

/** Builds the features document. */
export function features(): Record<string, unknown> {
  const sc = seccompFeatures();
  return {
    ociVersionMin: "1.0.0",
    ociVersionMax: OCI_VERSION,
    hooks: [...HOOK_KINDS],
    mountOptions: [...KNOWN_MOUNT_OPTIONS].sort(),
    linux: {
      namespaces: ["cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts"],
      capabilities: [...CAPABILITIES],
      cgroup: { v1: true, v2: true, systemd: false, systemdUser: false, rdma: false },
      seccomp: {
        enabled: true,
        actions: sc.actions,
        operators: sc.operators,
        archs: sc.archs,
        knownFlags: sc.flags,
        supportedFlags: sc.flags,
      },
      apparmor: { enabled: false },
      selinux: { enabled: false },
      intelRdt: { enabled: false },
      mountExtensions: { idmap: { enabled: false } },
    },
    annotations: { "org.drun.version": VERSION },
  };
}

export { VERSION };
