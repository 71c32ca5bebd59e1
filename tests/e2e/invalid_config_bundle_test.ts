/**
 * Invalid bundles and arguments (config.json unreadable or missing, ociVersion, root, hooks,
 * the container id, create's flags, a duplicate id): each must fail with a one-line error
 * naming the offending field or argument, and leave the state root, the host's mount table and
 * the process list exactly as they were.
 * @module
 */
import "./needs_root.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import { CLI, drun, makeProbeBundle, snapshot } from "../helpers.ts";
import {
  assertOneLineError,
  assertUnchanged,
  type Case,
  longPath,
  NAME_MAX_MSG,
  PATH_MAX_MSG,
  testCases,
} from "./invalid_config_helpers.ts";

/**
 * Hardening cases from issue #14 (items 3, 5 and 10 between the invalid-config suites). Each
 * of these failed before the fix: path lengths reached the init unchecked, and an absurd
 * --preserve-fds went unchecked.
 */
const HARDENING_CASES: Case[] = [
  {
    name: "root.path longer than PATH_MAX",
    setup: (s) => {
      s.root!.path = longPath(4100);
      return { field: `root.path: ${PATH_MAX_MSG}` };
    },
  },
  {
    name: "hook path with a component longer than NAME_MAX",
    setup: (s) => {
      s.hooks = { prestart: [{ path: "/" + "h".repeat(256) }] };
      return { field: `hooks.prestart[0].path: ${NAME_MAX_MSG}` };
    },
  },
  {
    name: "--preserve-fds far beyond the open fds",
    setup: (_s, b, id) => ({
      field: "--preserve-fds: fd",
      args: ["create", "--bundle", b.dir, "--preserve-fds", "99999999999", id],
    }),
  },
];

const CASES: Case[] = [
  {
    name: "id containing '/'",
    setup: (_s, b) => ({ field: "id", args: ["create", "--bundle", b.dir, "a/b"] }),
  },
  {
    name: "empty id",
    setup: (_s, b) => ({
      field: "id: container id cannot be empty",
      args: ["create", "--bundle", b.dir, ""],
    }),
  },
  {
    name: "missing id argument",
    setup: (_s, b) => ({ field: "container id required", args: ["create", "--bundle", b.dir] }),
  },
  {
    name: "rootfs path missing",
    setup: (s) => {
      s.root!.path = "no-such-rootfs";
      return { field: "root.path" };
    },
  },
  {
    name: "rootfs path is a file",
    setup: (s) => {
      s.root!.path = "rootfs/probe";
      return { field: "root.path" };
    },
  },
  {
    name: "root missing entirely",
    setup: (s) => {
      delete s.root;
      return { field: "root: required" };
    },
  },
  {
    name: "unsupported ociVersion",
    setup: (s) => {
      s.ociVersion = "2.0.0";
      return { field: "ociVersion" };
    },
  },
  {
    name: "config.json not JSON",
    setup: () => ({ field: "config.json", raw: '{"ociVersion": "1.2.0",' }),
  },
  {
    name: "config.json missing",
    setup: () => ({ field: "config.json", raw: null }),
  },
  {
    name: "--bundle that does not exist",
    setup: (_s, b, id) => ({
      field: "config.json",
      args: ["create", "--bundle", join(b.dir, "nope"), id],
    }),
  },
  {
    name: "--preserve-fds not a number",
    setup: (_s, b, id) => ({
      field: "--preserve-fds",
      args: ["create", "--bundle", b.dir, "--preserve-fds", "two", id],
    }),
  },
  {
    name: "unknown create flag",
    setup: (_s, b, id) => ({
      field: "--no-such-flag",
      args: ["create", "--bundle", b.dir, "--no-such-flag", id],
    }),
  },
  ...HARDENING_CASES,
];

testCases(CASES);

Deno.test("invalid config: duplicate id leaves the first container alone", async () => {
  const b = makeProbeBundle();
  const id = `inval-${Deno.pid}-dup`;
  try {
    // Not through drun(): the init would inherit the captured stdout and stderr pipes.
    const first = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", CLI, "--root", b.root, "create", "--bundle", b.dir, id],
      cwd: b.dir,
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).output();
    assert.equal(first.code, 0, "creating the first container failed");
    const before = snapshot(b.root);
    const r = await drun(b, ["create", "--bundle", b.dir, id]);
    const after = snapshot(b.root);
    assertOneLineError(r, `id ${id}`);
    assert.match(r.stderr, /already exists/);
    assertUnchanged(before, after, b.dir);
    const st = await drun(b, ["state", id]);
    assert.equal(st.code, 0, st.stderr);
    assert.equal(JSON.parse(st.stdout).status, "created");
  } finally {
    await drun(b, ["delete", "--force", id]);
    await b.cleanup();
  }
});
