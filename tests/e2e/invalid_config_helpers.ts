/**
 * The table runner the invalid-config suites share: a case mutates a probe spec (or its
 * bundle) and names the field the one-line error must contain; the run must leave the state
 * root, the host's mount table and the bundle's processes as they were.
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import type { Spec } from "../../lib/spec/types.ts";
import {
  type Bundle,
  type CliResult,
  drun,
  type HostSnapshot,
  makeProbeBundle,
  probeSpec,
  snapshot,
} from "../helpers.ts";

/** What a case expects, and how to run it. */
export interface Expect {
  /** Text the error line must contain (a JSON path, a field or an argument name). */
  field: string;
  /** CLI arguments after `--root`; defaults to `create --bundle <dir> <id>`. */
  args?: string[];
  /** Raw text for config.json instead of the spec (`null`: no config.json at all). */
  raw?: string | null;
}

/** One invalid configuration: its test's name and how to make it. */
export interface Case {
  name: string;
  /** Mutates the spec (written afterwards) or the bundle, and says what to expect. */
  setup: (spec: Spec, b: Bundle, id: string) => Expect;
}

/** Index the next mount appended to `spec.mounts` will get. */
export const nextMount = (s: Spec) => (s.mounts ??= []).length;
/** Index the next namespace appended to `spec.linux.namespaces` will get. */
export const nextNs = (s: Spec) => (s.linux!.namespaces ??= []).length;

/** Adds a user namespace with gid mappings only; cases add (or break) the uid mappings. */
export const userNs = (s: Spec) => {
  s.linux!.namespaces!.push({ type: "user" });
  s.linux!.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
};

/** A path of `bytes` bytes made of short components. */
export const longPath = (bytes: number) =>
  "/" + "ab/".repeat(Math.ceil(bytes / 3)).slice(0, bytes - 1);
/** The tails of the path-length and id-range errors. */
export const PATH_MAX_MSG = "longer than 4095 bytes (PATH_MAX)";
export const NAME_MAX_MSG = "has a path component longer than 255 bytes (NAME_MAX)";
export const ID_MSG = "must be an integer in 0..4294967294";

/** Asserts a failed CLI result carries exactly one error line naming `field`. */
export function assertOneLineError(r: CliResult, field: string): void {
  assert.notEqual(r.code, 0, `expected failure, got exit 0; stdout: ${r.stdout}`);
  const err = r.stderr.trim();
  assert.equal(err.split("\n").length, 1, `expected one stderr line, got:\n${r.stderr}`);
  assert.ok(err.includes(field), `stderr does not name ${field}: ${err}`);
}

/**
 * The processes of a snapshot that belong to the bundle at `dir`: drun commands and container
 * inits naming it on their command line, and probes whose root filesystem is its rootfs. Other
 * test files may run containers on this host at the same time; their processes come and go.
 */
function ownProcs(snap: HostSnapshot, dir: string): string[] {
  return snap.procs.filter((p) => {
    if (p.includes(dir)) return true;
    try {
      return Deno.readTextFileSync(`/proc/${p.split(" ")[0]}/mountinfo`).includes(dir);
    } catch {
      return false; // gone meanwhile
    }
  });
}

/**
 * Compares snapshots: the mount table and the state root's entries exactly (the state root may
 * be created by the attempt, but must hold no entry for it), the processes of this bundle.
 */
export function assertUnchanged(before: HostSnapshot, after: HostSnapshot, dir: string): void {
  assert.deepEqual(after.mounts, before.mounts, "mount table changed");
  assert.deepEqual(after.state, before.state, "state root entries changed");
  assert.deepEqual(ownProcs(after, dir), ownProcs(before, dir), "process list changed");
}

/** Lines of the host's mount table that mention `dir`. */
export function mountsUnder(dir: string): string[] {
  return Deno.readTextFileSync("/proc/self/mountinfo").split("\n").filter((l) => l.includes(dir));
}

/** Registers one test per case, each named `invalid config: <case name>`. */
export function testCases(CASES: Case[]): void {
  assert.ok(CASES.length > 0, "an empty table tests nothing");
  let seq = 0;
  for (const c of CASES) {
    Deno.test(`invalid config: ${c.name}`, async () => {
      const spec = probeSpec();
      const b = makeProbeBundle(spec);
      try {
        const id = `inval-${Deno.pid}-${++seq}`;
        const e = c.setup(spec, b, id);
        if (e.raw === null) Deno.removeSync(join(b.dir, "config.json"));
        else if (e.raw !== undefined) Deno.writeTextFileSync(join(b.dir, "config.json"), e.raw);
        else b.write(spec);
        const before = snapshot(b.root);
        const r = await drun(b, e.args ?? ["create", "--bundle", b.dir, id]);
        const after = snapshot(b.root);
        assertOneLineError(r, e.field);
        assertUnchanged(before, after, b.dir);
        assert.equal(mountsUnder(b.dir).length, 0);
      } finally {
        await b.cleanup();
      }
    });
  }
}
