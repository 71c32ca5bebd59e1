/**
 * validateSpec refuses broken `linux` settings (namespaces, id mappings, time offsets, devices,
 * sysctl, masked paths, personality, resources, seccomp) with a one-line SpecError naming the
 * path of what is wrong.
 */
import { type Invalid, testInvalid } from "./spec_validate_helpers.ts";

/** Each case breaks one thing in an otherwise valid default spec and names the expected path. */
const invalid: Invalid[] = [
  [
    "unknown namespace type",
    (s) => s.linux.namespaces.push({ type: "foo" }),
    "linux.namespaces[5].type",
  ],
  [
    "duplicate namespace type",
    (s) => s.linux.namespaces.push({ type: "pid" }),
    "linux.namespaces[5].type",
  ],
  [
    "namespace path does not exist",
    (s) => s.linux.namespaces[1].path = "/proc/999999999/ns/net",
    "linux.namespaces[1].path",
  ],
  [
    "user namespace without uidMappings",
    (s) => s.linux.namespaces.push({ type: "user" }),
    "linux.uidMappings",
  ],
  [
    "uidMappings without user namespace",
    (s) => s.linux.uidMappings = [{ containerID: 0, hostID: 1000, size: 1 }],
    "linux.uidMappings",
  ],
  [
    "uidMappings size zero",
    (s) => s.linux.uidMappings = [{ containerID: 0, hostID: 1000, size: 0 }],
    "linux.uidMappings[0].size",
  ],
  [
    "overlapping uidMappings",
    (s) => {
      s.linux.namespaces.push({ type: "user" });
      s.linux.uidMappings = [
        { containerID: 0, hostID: 1000, size: 10 },
        { containerID: 5, hostID: 5000, size: 10 },
      ];
    },
    "linux.uidMappings[1]",
  ],
  [
    "process uid not mapped",
    (s) => {
      s.linux.namespaces.push({ type: "user" });
      s.linux.uidMappings = [{ containerID: 0, hostID: 1000, size: 1 }];
      s.linux.gidMappings = [{ containerID: 0, hostID: 1000, size: 1 }];
      s.process.user.uid = 5;
    },
    "process.user.uid",
  ],
  [
    "time namespace path with timeOffsets",
    (s, dir) => {
      // Any existing file will do: only the combination with timeOffsets is under test.
      s.linux.namespaces.push({ type: "time", path: dir });
      s.linux.timeOffsets = { boottime: { secs: 1 } };
    },
    "linux.timeOffsets",
  ],
  [
    "timeOffsets without time namespace",
    (s) => s.linux.timeOffsets = { monotonic: { secs: 1 } },
    "linux.timeOffsets",
  ],
  [
    "timeOffsets nanosecs too big",
    (s) => s.linux.timeOffsets = { monotonic: { nanosecs: 1e9 } },
    "linux.timeOffsets.monotonic.nanosecs",
  ],
  [
    "unknown device type",
    (s) => s.linux.devices = [{ type: "x", path: "/dev/x" }],
    "linux.devices[0].type",
  ],
  [
    "char device without major",
    (s) => s.linux.devices = [{ type: "c", path: "/dev/x", minor: 1 }],
    "linux.devices[0].major",
  ],
  ["cgroupsPath not a string", (s) => s.linux.cgroupsPath = 5, "linux.cgroupsPath"],
  [
    "unknown rootfsPropagation",
    (s) => s.linux.rootfsPropagation = "bogus",
    "linux.rootfsPropagation",
  ],
  [
    "net sysctl without network namespace",
    (s) => {
      s.linux.namespaces.splice(1, 1);
      s.linux.sysctl = { "net.ipv4.ip_forward": "1" };
    },
    'linux.sysctl["net.ipv4.ip_forward"]',
  ],
  [
    "host-wide sysctl",
    (s) => s.linux.sysctl = { "kernel.panic": "1" },
    'linux.sysctl["kernel.panic"]',
  ],
  [
    "sysctl escaping /proc/sys",
    (s) => s.linux.sysctl = { "net/../../etc": "1" },
    'linux.sysctl["net/../../etc"]',
  ],
  ["sysctl value not a string", (s) => s.linux.sysctl = { "net.x": 1 }, 'linux.sysctl["net.x"]'],
  ["maskedPaths relative", (s) => s.linux.maskedPaths[0] = "proc/kcore", "linux.maskedPaths[0]"],
  [
    "unknown personality domain",
    (s) => s.linux.personality = { domain: "BSD" },
    "linux.personality.domain",
  ],
  [
    "memory limit below -1",
    (s) => s.linux.resources.memory = { limit: -2 },
    "linux.resources.memory.limit",
  ],
  [
    "memory swap below limit",
    (s) => s.linux.resources.memory = { limit: 2000, swap: 1000 },
    "linux.resources.memory.swap",
  ],
  ["bad cpu list", (s) => s.linux.resources.cpu = { cpus: "2-1" }, "linux.resources.cpu.cpus"],
  ["bad mems list", (s) => s.linux.resources.cpu = { mems: "x" }, "linux.resources.cpu.mems"],
  ["pids without limit", (s) => s.linux.resources.pids = {}, "linux.resources.pids.limit"],
  [
    "device cgroup access",
    (s) => s.linux.resources.devices[0].access = "rwx",
    "linux.resources.devices[0].access",
  ],
  [
    "device cgroup type",
    (s) => s.linux.resources.devices[0].type = "z",
    "linux.resources.devices[0].type",
  ],
  [
    "unified key escaping the cgroup",
    (s) => s.linux.resources.unified = { "../escape": "1" },
    'linux.resources.unified["../escape"]',
  ],
  [
    "hugepage size",
    (s) => s.linux.resources.hugepageLimits = [{ pageSize: "2M", limit: 1 }],
    "linux.resources.hugepageLimits[0].pageSize",
  ],
  [
    "seccomp unknown action",
    (s) => s.linux.seccomp = { defaultAction: "SCMP_ACT_NOPE" },
    "linux.seccomp.defaultAction",
  ],
  [
    "seccomp notify without listener",
    (s) =>
      s.linux.seccomp = {
        defaultAction: "SCMP_ACT_ALLOW",
        syscalls: [{ names: ["mkdir"], action: "SCMP_ACT_NOTIFY" }],
      },
    "linux.seccomp.listenerPath",
  ],
  [
    "seccomp arg index",
    (s) =>
      s.linux.seccomp = {
        defaultAction: "SCMP_ACT_ALLOW",
        syscalls: [{
          names: ["read"],
          action: "SCMP_ACT_ERRNO",
          args: [{ index: 6, value: 0, op: "SCMP_CMP_EQ" }],
        }],
      },
    "linux.seccomp.syscalls[0].args[0].index",
  ],
];

testInvalid(invalid);
