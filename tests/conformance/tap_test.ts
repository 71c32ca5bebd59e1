/**
 * How the conformance harness names a validation program's failures, on outputs shaped like the
 * ones runtime-tools v0.9.0 prints (taken from real runs, shortened).
 * @module
 */
import assert from "node:assert/strict";
import { outcome, TIMEOUT } from "./tap.ts";

const run = (stdout: string, code = 0, timedOut = false) => outcome({ code, timedOut, stdout });

Deno.test("tap: not ok lines are named by their text, ok lines are counted", () => {
  const o = run(
    [
      "TAP version 13",
      "ok 1 - find devices",
      "not ok 3 - devices c 10:229 rwm is set correctly",
      "# expect: c 10:229 rwm, actual: c 0:0 m",
      "not ok 4 - devices c 10:229 rwm is set correctly",
      "1..4",
    ].join("\n"),
  );
  assert.deepEqual(o.failures, ["devices c 10:229 rwm is set correctly"]);
  assert.equal(o.passed, 1);
});

Deno.test("tap: a YAML block after a test line belongs to it, not to the program", () => {
  const o = run(
    [
      "TAP version 13",
      "ok 1 - create MUST generate an error if the ID is not provided",
      "  ---",
      "  {",
      '    "error": "exit status 1"',
      "  }",
      "  ...",
      "1..1",
    ].join("\n"),
  );
  assert.deepEqual(o.failures, []);
});

Deno.test("tap: a lifecycle program's error block before 1..0 is its failure", () => {
  const o = run(
    [
      "TAP version 13",
      "  ---",
      "  {",
      '    "error": "Hooks MUST be called in the listed order\\nRefer to: https://example"',
      "  }",
      "  ...",
      "1..0",
    ].join("\n"),
  );
  assert.deepEqual(o.failures, ["error: Hooks MUST be called in the listed order"]);
});

Deno.test("tap: a bare 1..0, even after a full stream, is a pass", () => {
  assert.deepEqual(run("TAP version 13\n1..0\n").failures, []);
  assert.deepEqual(run("TAP version 13\nok 1 - a\n1..1\nTAP version 13\n1..0\n").failures, []);
});

Deno.test("tap: a non-zero exit and a timeout are failures of their own", () => {
  assert.deepEqual(run("", 1).failures, ["exit 1"]);
  assert.deepEqual(run("TAP version 13\nnot ok 1 - exit status 1\n1..1\n", 0).failures, [
    "exit status 1",
  ]);
  assert.deepEqual(run("TAP version 13\n", 124, true).failures, [TIMEOUT]);
});
