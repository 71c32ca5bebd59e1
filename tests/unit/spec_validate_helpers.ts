/**
 * What the validateSpec tests share: a throwaway bundle, a mutable default spec, the check
 * that a SpecError names one path in one line, and the runner for tables of invalid specs.
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { SpecError } from "../../lib/errors.ts";
import { defaultSpec } from "../../lib/spec/default.ts";
import { validateSpec } from "../../lib/spec/validate.ts";

/** A spec as plain JSON, for cases that break it in ways the type would not allow. */
// deno-lint-ignore no-explicit-any
export type AnySpec = any;

/** Runs `fn` with a fresh bundle directory holding an empty `rootfs`, removed afterwards. */
export async function withBundle<T>(fn: (dir: string) => T | Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "drun-spec-" });
  await Deno.mkdir(join(dir, "rootfs"));
  try {
    return await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** A mutable plain-JSON copy of the default spec. */
export function base(opts?: { rootless?: boolean }): AnySpec {
  return JSON.parse(JSON.stringify(defaultSpec({ ...opts, hostUid: 1000, hostGid: 1000 })));
}

/** Asserts `fn` throws a one-line SpecError for `path`, and returns it. */
export function assertSpecError(fn: () => unknown, path: string): SpecError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof SpecError, `expected SpecError, got ${e}`);
    assert.ok(
      e.message.startsWith(`${path}: `),
      `expected message to start with "${path}: ", got "${e.message}"`,
    );
    assert.equal(e.path, path);
    assert.ok(!e.message.includes("\n"), "message must be one line");
    return e;
  }
  assert.fail(`expected SpecError at ${path}, but the spec was accepted`);
}

/** An invalid case: its name, how it breaks the default spec, the path the error must name. */
export type Invalid = [string, (s: AnySpec, dir: string) => void, string];

/** Registers one test per case, each named `invalid: <name> -> <path>`. */
export function testInvalid(invalid: Invalid[]): void {
  for (const [name, mutate, path] of invalid) {
    Deno.test(`invalid: ${name} -> ${path}`, async () => {
      await withBundle((dir) => {
        let raw: AnySpec = base();
        if (path === "config.json") raw = [raw];
        else mutate(raw, dir);
        assertSpecError(() => validateSpec(raw, { bundle: dir, checkFs: true }), path);
      });
    });
  }
}
