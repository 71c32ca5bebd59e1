/**
 * Invalid `mounts` (types, sources, options, destinations: empty, too long, escaping the
 * rootfs, on or inside /proc, a file onto a directory): each must fail with a one-line error
 * naming the offending field, and leave the state root, the host's mount table and the process
 * list exactly as they were.
 * @module
 */
import "./needs_root.ts";
import { join } from "node:path";
import {
  type Case,
  longPath,
  NAME_MAX_MSG,
  nextMount,
  PATH_MAX_MSG,
  testCases,
} from "./invalid_config_helpers.ts";

/**
 * Hardening cases from issue #14 (items 3, 5 and 10 between the invalid-config suites). Each
 * of these failed before the fix: path lengths reached the init unchecked (a 5 KB mount
 * destination overflowed a buffer in the child, 20 KB crashed it), and mounts over /proc were
 * accepted.
 */
const HARDENING_CASES: Case[] = [
  {
    name: "mount destination longer than PATH_MAX",
    setup: (s) => {
      const i = nextMount(s);
      s.mounts!.push({ destination: longPath(5000), type: "tmpfs", source: "tmpfs" });
      return { field: `mounts[${i}].destination: ${PATH_MAX_MSG}` };
    },
  },
  {
    name: "mount destination of 20 KB",
    setup: (s) => {
      const i = nextMount(s);
      s.mounts!.push({ destination: longPath(20_000), type: "tmpfs", source: "tmpfs" });
      return { field: `mounts[${i}].destination: ${PATH_MAX_MSG}` };
    },
  },
  {
    name: "mount destination with a component longer than NAME_MAX",
    setup: (s) => {
      const i = nextMount(s);
      s.mounts!.push({ destination: "/" + "n".repeat(256), type: "tmpfs", source: "tmpfs" });
      return { field: `mounts[${i}].destination: ${NAME_MAX_MSG}` };
    },
  },
  {
    name: "bind source longer than PATH_MAX",
    setup: (s) => {
      const i = nextMount(s);
      s.mounts!.push({ destination: "/mnt", type: "bind", source: longPath(4096) });
      return { field: `mounts[${i}].source: ${PATH_MAX_MSG}` };
    },
  },
  {
    name: "tmpfs mounted over /proc",
    setup: (s) => {
      const i = nextMount(s);
      s.mounts!.push({ destination: "/proc", type: "tmpfs", source: "tmpfs" });
      return { field: `mounts[${i}].destination: only a proc filesystem may be mounted on /proc` };
    },
  },
  {
    name: "bind mount of a host directory over /proc",
    setup: (s, b) => {
      const i = nextMount(s);
      s.mounts!.push({ destination: "/proc", type: "bind", source: b.rootfs });
      return { field: `mounts[${i}].destination: only a proc filesystem may be mounted on /proc` };
    },
  },
  {
    name: "mount inside /proc",
    setup: (s) => {
      const i = nextMount(s);
      s.mounts!.push({ destination: "/proc/sys", type: "tmpfs", source: "tmpfs" });
      return { field: `mounts[${i}].destination: mounts inside /proc are refused` };
    },
  },
  {
    name: "mount inside /proc through a symlink in the rootfs",
    setup: (s, b) => {
      Deno.symlinkSync("/proc/sys/kernel", join(b.rootfs, "kern"));
      const i = nextMount(s);
      s.mounts!.push({ destination: "/kern", type: "tmpfs", source: "tmpfs" });
      return { field: `mounts[${i}].destination: mounts inside /proc are refused` };
    },
  },
];

const CASES: Case[] = [
  {
    name: "unknown mount type",
    setup: (s) => {
      const i = nextMount(s);
      s.mounts!.push({ destination: "/mnt", type: "nosuchfs", source: "none" });
      return { field: `mounts[${i}].type` };
    },
  },
  {
    name: "bind mount with a missing source",
    setup: (s, b) => {
      const i = nextMount(s);
      s.mounts!.push({ destination: "/mnt", type: "bind", source: join(b.dir, "nope") });
      return { field: `mounts[${i}].source` };
    },
  },
  {
    name: "unknown bind mount option",
    setup: (s, b) => {
      const i = nextMount(s);
      s.mounts!.push({
        destination: "/mnt",
        type: "bind",
        source: b.dir,
        options: ["rbind", "nosuchoption"],
      });
      return { field: `mounts[${i}].options[1]` };
    },
  },
  {
    name: "empty mount destination",
    setup: (s) => {
      const i = nextMount(s);
      s.mounts!.push({ destination: "", type: "tmpfs", source: "tmpfs" });
      return { field: `mounts[${i}].destination` };
    },
  },
  {
    name: "mount destination through a symlink pointing outside the rootfs",
    setup: (s, b) => {
      Deno.symlinkSync("../../../../tmp", join(b.rootfs, "escape"));
      const i = nextMount(s);
      s.mounts!.push({ destination: "/escape/x", type: "tmpfs", source: "tmpfs" });
      return { field: `mounts[${i}].destination` };
    },
  },
  {
    name: "bind mount of a file onto a directory",
    setup: (s, b) => {
      Deno.writeTextFileSync(join(b.dir, "afile"), "x");
      Deno.mkdirSync(join(b.rootfs, "adir"));
      const i = nextMount(s);
      s.mounts!.push({ destination: "/adir", type: "bind", source: join(b.dir, "afile") });
      return { field: `mounts[${i}]` };
    },
  },
  ...HARDENING_CASES,
];

testCases(CASES);
