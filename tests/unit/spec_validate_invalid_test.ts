/**
 * validateSpec refuses a broken config.json, ociVersion, process, root, hostname, mounts, hooks
 * or annotations with a one-line SpecError naming the path of what is wrong.
 */
import { join } from "node:path";
import { type Invalid, testInvalid } from "./spec_validate_helpers.ts";

/** Each case breaks one thing in an otherwise valid default spec and names the expected path. */
const invalid: Invalid[] = [
  ["config is not an object", () => {}, "config.json"],
  ["ociVersion not a string", (s) => s.ociVersion = 1, "ociVersion"],
  ["ociVersion unsupported major", (s) => s.ociVersion = "2.0.0", "ociVersion"],
  ["process missing", (s) => delete s.process, "process"],
  ["process.args empty", (s) => s.process.args = [], "process.args"],
  ["process.args non-string", (s) => s.process.args = [1], "process.args[0]"],
  ["process.args with NUL", (s) => s.process.args = ["sh", "a\0b"], "process.args[1]"],
  ["process.cwd relative", (s) => s.process.cwd = "tmp", "process.cwd"],
  ["process.env without =", (s) => s.process.env.push("NOEQUALS"), "process.env[2]"],
  ["process.user missing", (s) => delete s.process.user, "process.user"],
  ["process.user.uid negative", (s) => s.process.user.uid = -1, "process.user.uid"],
  ["process.user.gid too big", (s) => s.process.user.gid = 2 ** 32, "process.user.gid"],
  ["process.user.umask too big", (s) => s.process.user.umask = 0o1000, "process.user.umask"],
  ["process.oomScoreAdj out of range", (s) => s.process.oomScoreAdj = 1001, "process.oomScoreAdj"],
  [
    "process.consoleSize without terminal",
    (s) => {
      s.process.terminal = false;
      s.process.consoleSize = { height: 1, width: 1 };
    },
    "process.consoleSize",
  ],
  [
    "unknown capability",
    (s) => s.process.capabilities.bounding.push("CAP_FOO"),
    "process.capabilities.bounding[3]",
  ],
  [
    "prototype name is not a capability",
    (s) => s.process.capabilities.ambient = ["constructor"],
    "process.capabilities.ambient[0]",
  ],
  ["unknown rlimit", (s) => s.process.rlimits[0].type = "RLIMIT_FOO", "process.rlimits[0].type"],
  ["rlimit soft above hard", (s) => s.process.rlimits[0].soft = 2048, "process.rlimits[0].soft"],
  [
    "duplicate rlimit",
    (s) => s.process.rlimits.push({ type: "RLIMIT_NOFILE", hard: 1, soft: 1 }),
    "process.rlimits[1].type",
  ],
  [
    "ioPriority class",
    (s) => s.process.ioPriority = { class: "X", priority: 0 },
    "process.ioPriority.class",
  ],
  [
    "scheduler priority for SCHED_OTHER",
    (s) => s.process.scheduler = { policy: "SCHED_OTHER", priority: 5 },
    "process.scheduler.priority",
  ],
  ["root missing", (s) => delete s.root, "root"],
  ["root.path missing", (s) => s.root = {}, "root.path"],
  ["root.path does not exist", (s) => s.root.path = "nope", "root.path"],
  [
    "root.path is a file",
    (s, dir) => {
      Deno.writeTextFileSync(join(dir, "file"), "");
      s.root.path = "file";
    },
    "root.path",
  ],
  ["hostname without uts namespace", (s) => s.linux.namespaces.splice(3, 1), "hostname"],
  ["hostname too long", (s) => s.hostname = "x".repeat(65), "hostname"],
  ["mount destination missing", (s) => delete s.mounts[0].destination, "mounts[0].destination"],
  ["unknown mount type", (s) => s.mounts[1].type = "foofs", "mounts[1].type"],
  ["mount type none without bind", (s) => s.mounts[1].type = "none", "mounts[1].type"],
  ["non-bind mount without type", (s) => delete s.mounts[0].type, "mounts[0].type"],
  [
    "unknown option on bind mount",
    (s) => s.mounts.push({ destination: "/x", source: "/", options: ["rbind", "ro", "foo"] }),
    "mounts[7].options[2]",
  ],
  [
    "bind mount source missing",
    (s) => s.mounts.push({ destination: "/x", source: "/nonexistent/x", type: "bind" }),
    "mounts[7].source",
  ],
  [
    "relative bind source missing in bundle",
    (s) => s.mounts.push({ destination: "/x", source: "nothere", options: ["bind"] }),
    "mounts[7].source",
  ],
  [
    "bind mount without source",
    (s) => s.mounts.push({ destination: "/x", type: "bind" }),
    "mounts[7].source",
  ],
  ["idmap on a non-bind mount", (s) => s.mounts[0].options = ["idmap"], "mounts[0].options[0]"],
  ["mount options not an array", (s) => s.mounts[2].options = "ro", "mounts[2].options"],
  [
    "hook path relative",
    (s) => s.hooks = { prestart: [{ path: "hook" }] },
    "hooks.prestart[0].path",
  ],
  [
    "hook timeout zero",
    (s) => s.hooks = { poststop: [{ path: "/bin/true", timeout: 0 }] },
    "hooks.poststop[0].timeout",
  ],
  ["annotation not a string", (s) => s.annotations = { a: 1 }, 'annotations["a"]'],
];

testInvalid(invalid);
