/**
 * Invalid `process` settings (missing, args, cwd, env, user ids, capabilities, rlimits, an
 * args[0] the rootfs lacks): each must fail with a one-line error naming the offending
 * field, and leave the state root, the host's mount table and the process list exactly as
 * they were.
 * @module
 */
import "./needs_root.ts";
import {
  type Case,
  ID_MSG,
  longPath,
  NAME_MAX_MSG,
  PATH_MAX_MSG,
  testCases,
} from "./invalid_config_helpers.ts";

/**
 * Hardening cases from issue #14 (items 3, 5 and 10 between the invalid-config suites). Each
 * of these failed before the fix: path lengths reached the init unchecked, and id 4294967295
 * ran the process as root.
 */
const HARDENING_CASES: Case[] = [
  {
    name: "process.cwd longer than PATH_MAX",
    setup: (s) => {
      s.process!.cwd = longPath(4096);
      return { field: `process.cwd: ${PATH_MAX_MSG}` };
    },
  },
  {
    name: "process.args[0] with a component longer than NAME_MAX",
    setup: (s) => {
      s.process!.args = ["x".repeat(300)];
      return { field: `process.args[0]: ${NAME_MAX_MSG}` };
    },
  },
  {
    name: "process.env entry longer than the kernel's argument limit",
    setup: (s) => {
      const i = s.process!.env!.push("BIG=" + "v".repeat(131072)) - 1;
      return { field: `process.env[${i}]: longer than 131071 bytes` };
    },
  },
  {
    name: "process.user.uid 4294967295",
    setup: (s) => {
      s.process!.user.uid = 4294967295;
      return { field: `process.user.uid: ${ID_MSG}` };
    },
  },
  {
    name: "process.user.gid 4294967295",
    setup: (s) => {
      s.process!.user.gid = 4294967295;
      return { field: `process.user.gid: ${ID_MSG}` };
    },
  },
  {
    name: "process.user.additionalGids entry 4294967295",
    setup: (s) => {
      s.process!.user.additionalGids = [10, 4294967295];
      return { field: `process.user.additionalGids[1]: ${ID_MSG}` };
    },
  },
  {
    // Failed before the fix at `start` ("cannot start a container that is stopped"), since
    // the init could not reopen its exec fifo; runc fails too, with EMFILE.
    name: "RLIMIT_NOFILE too small for the init to reopen its exec fifo",
    setup: (s) => {
      s.process!.rlimits = [{ type: "RLIMIT_NOFILE", soft: 0, hard: 0 }];
      return { field: "process.rlimits[0].soft: RLIMIT_NOFILE must be at least 4" };
    },
  },
];

const CASES: Case[] = [
  {
    name: "process missing",
    setup: (s) => {
      delete s.process;
      return { field: "process: required" };
    },
  },
  {
    name: "process.args empty",
    setup: (s) => {
      s.process!.args = [];
      return { field: "process.args" };
    },
  },
  {
    name: "process.cwd relative",
    setup: (s) => {
      s.process!.cwd = "tmp";
      return { field: "process.cwd" };
    },
  },
  {
    name: "process.env entry without '='",
    setup: (s) => {
      const i = (s.process!.env ??= []).push("NOEQUALS") - 1;
      return { field: `process.env[${i}]` };
    },
  },
  {
    name: "unknown capability name",
    setup: (s) => {
      const i = s.process!.capabilities!.bounding!.push("CAP_NO_SUCH_THING") - 1;
      return { field: `process.capabilities.bounding[${i}]` };
    },
  },
  {
    name: "rlimit of unknown type",
    setup: (s) => {
      s.process!.rlimits = [{ type: "RLIMIT_NOSUCH", hard: 10, soft: 10 }];
      return { field: "process.rlimits[0].type" };
    },
  },
  {
    name: "rlimit soft above hard",
    setup: (s) => {
      s.process!.rlimits = [
        { type: "RLIMIT_NOFILE", hard: 1024, soft: 1024 },
        { type: "RLIMIT_CORE", hard: 10, soft: 20 },
      ];
      return { field: "process.rlimits[1].soft" };
    },
  },
  // The two below fail inside the container's init, after clone.
  {
    name: "process.args[0] missing from the rootfs (create)",
    setup: (s) => {
      s.process!.args = ["/nonexistent"];
      return { field: "process.args[0]" };
    },
  },
  {
    name: "process.args[0] missing from the rootfs (run)",
    setup: (s, b, id) => {
      s.process!.args = ["/nonexistent"];
      return { field: "process.args[0]", args: ["run", "--bundle", b.dir, id] };
    },
  },
  ...HARDENING_CASES,
];

testCases(CASES);
