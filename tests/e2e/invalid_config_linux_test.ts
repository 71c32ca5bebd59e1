/**
 * Invalid `linux` settings (user namespace mappings, namespaces, seccomp, sysctl, masked paths,
 * devices) and a hostname without a uts namespace: each must fail with a one-line error naming
 * the offending field, and leave the state root, the host's mount table and the process list
 * exactly as they were.
 * @module
 */
import "./needs_root.ts";
import { join } from "node:path";
import {
  type Case,
  ID_MSG,
  longPath,
  nextNs,
  PATH_MAX_MSG,
  testCases,
  userNs,
} from "./invalid_config_helpers.ts";

/**
 * Hardening cases from issue #14 (items 3, 5 and 10 between the invalid-config suites). Each
 * of these failed before the fix: path lengths reached the init unchecked, and id 4294967295
 * went into the id mappings.
 */
const HARDENING_CASES: Case[] = [
  {
    name: "maskedPaths entry longer than PATH_MAX",
    setup: (s) => {
      const i = s.linux!.maskedPaths!.push(longPath(4096)) - 1;
      return { field: `linux.maskedPaths[${i}]: ${PATH_MAX_MSG}` };
    },
  },
  {
    name: "device path longer than PATH_MAX",
    setup: (s) => {
      s.linux!.devices = [{ type: "c", path: longPath(4096), major: 1, minor: 3 }];
      return { field: `linux.devices[0].path: ${PATH_MAX_MSG}` };
    },
  },
  {
    name: "namespace path longer than PATH_MAX",
    setup: (s) => {
      const i = nextNs(s);
      s.linux!.namespaces!.push({ type: "cgroup", path: longPath(4096) });
      return { field: `linux.namespaces[${i}].path: ${PATH_MAX_MSG}` };
    },
  },
  {
    name: "uidMappings hostID 4294967295",
    setup: (s) => {
      userNs(s);
      s.linux!.uidMappings = [{ containerID: 0, hostID: 4294967295, size: 1 }];
      return { field: `linux.uidMappings[0].hostID: ${ID_MSG}` };
    },
  },
  {
    name: "gidMappings containerID 4294967295",
    setup: (s) => {
      userNs(s);
      s.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      s.linux!.gidMappings = [{ containerID: 4294967295, hostID: 100000, size: 1 }];
      return { field: `linux.gidMappings[0].containerID: ${ID_MSG}` };
    },
  },
  {
    // Failed before the fix at `start` ("cannot start a container that is stopped"), found
    // by the fuzz test: the mask hid /proc from the init.
    name: "maskedPaths entry that is /proc in disguise",
    setup: (s) => {
      const i = s.linux!.maskedPaths!.push("/proc/acpi/..") - 1;
      return { field: `linux.maskedPaths[${i}]: cannot mask /proc` };
    },
  },
];

const CASES: Case[] = [
  {
    name: "user namespace without uidMappings",
    setup: (s) => {
      userNs(s);
      return { field: "linux.uidMappings" };
    },
  },
  {
    name: "uidMappings with size 0",
    setup: (s) => {
      userNs(s);
      s.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 0 }];
      return { field: "linux.uidMappings[0].size" };
    },
  },
  {
    name: "gidMappings with a negative hostID",
    setup: (s) => {
      userNs(s);
      s.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      s.linux!.gidMappings = [{ containerID: 0, hostID: -1, size: 65536 }];
      return { field: "linux.gidMappings[0].hostID" };
    },
  },
  {
    name: "uidMappings reaching id 4294967295 (refused by the kernel)",
    setup: (s) => {
      userNs(s);
      s.linux!.uidMappings = [{ containerID: 0, hostID: 4294967290, size: 10 }];
      return { field: "linux.uidMappings[0].size" };
    },
  },
  {
    name: "process.user.uid not mapped in the user namespace",
    setup: (s) => {
      userNs(s);
      s.linux!.uidMappings = [{ containerID: 1, hostID: 100000, size: 10 }];
      return { field: "process.user.uid" };
    },
  },
  {
    name: "unknown namespace type",
    setup: (s) => {
      const i = nextNs(s);
      s.linux!.namespaces!.push({ type: "bogus" as "pid" });
      return { field: `linux.namespaces[${i}].type` };
    },
  },
  {
    name: "duplicate namespace",
    setup: (s) => {
      const i = nextNs(s);
      s.linux!.namespaces!.push({ type: "pid" });
      return { field: `linux.namespaces[${i}].type` };
    },
  },
  {
    name: "namespace path that does not exist",
    setup: (s, b) => {
      const i = s.linux!.namespaces!.findIndex((n) => n.type === "ipc");
      s.linux!.namespaces![i].path = join(b.dir, "no-such-ns");
      return { field: `linux.namespaces[${i}].path` };
    },
  },
  {
    name: "unknown seccomp default action",
    setup: (s) => {
      s.linux!.seccomp = { defaultAction: "SCMP_ACT_NOSUCH" as "SCMP_ACT_ALLOW" };
      return { field: "linux.seccomp.defaultAction" };
    },
  },
  {
    name: "unknown seccomp rule action",
    setup: (s) => {
      s.linux!.seccomp = {
        defaultAction: "SCMP_ACT_ALLOW",
        syscalls: [{ names: ["getpid"], action: "SCMP_ACT_NOSUCH" as "SCMP_ACT_ALLOW" }],
      };
      return { field: "linux.seccomp.syscalls[0].action" };
    },
  },
  {
    name: "seccomp NOTIFY without listenerPath",
    setup: (s) => {
      s.linux!.seccomp = {
        defaultAction: "SCMP_ACT_ALLOW",
        syscalls: [{ names: ["getpid"], action: "SCMP_ACT_NOTIFY" }],
      };
      return { field: "linux.seccomp.listenerPath" };
    },
  },
  {
    name: "seccomp NOTIFY with no agent listening on listenerPath",
    setup: (s, b) => {
      s.linux!.seccomp = {
        defaultAction: "SCMP_ACT_ALLOW",
        listenerPath: join(b.dir, "no-agent.sock"),
        syscalls: [{ names: ["getpid"], action: "SCMP_ACT_NOTIFY" }],
      };
      return { field: "linux.seccomp.listenerPath" };
    },
  },
  {
    name: "host-wide sysctl",
    setup: (s) => {
      s.linux!.sysctl = { "kernel.panic": "1" };
      return { field: "linux.sysctl" };
    },
  },
  {
    // runc refuses it: the hostname field owns it (issue: drun wrote it).
    name: "kernel.hostname as a sysctl",
    setup: (s) => {
      s.linux!.sysctl = { "kernel.hostname": "x" };
      return { field: "linux.sysctl" };
    },
  },
  {
    name: "relative masked path",
    setup: (s) => {
      s.linux!.maskedPaths = ["proc/kcore"];
      return { field: "linux.maskedPaths[0]" };
    },
  },
  {
    name: "hostname without a uts namespace",
    setup: (s) => {
      s.hostname = "box";
      s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== "uts");
      return { field: "hostname" };
    },
  },
  ...HARDENING_CASES,
];

testCases(CASES);
