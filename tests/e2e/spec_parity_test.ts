/**
 * Places where drun differed from the runtime-spec, runc and crun (the OCI validation suite
 * and real workloads found them); each test fails on the code before its fix:
 * - rootfsPropagation shared/unbindable was applied to / before the pivot (EINVAL);
 * - device nodes got the caller's umask, and a node whose parent dir was missing failed;
 * - a failing poststart/poststop hook stopped the hooks after it; a hook without `env` got
 *   an empty environment instead of the runtime's.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { drun, makeProbeBundle, probeSpec } from "../helpers.ts";

for (const prop of ["shared", "unbindable"] as const) {
  Deno.test(`spec parity: rootfsPropagation ${prop} runs and applies to the new /`, async () => {
    const spec = probeSpec(["cat", "/proc/self/mountinfo"]);
    spec.linux!.rootfsPropagation = prop;
    const b = makeProbeBundle(spec);
    try {
      const r = await drun(b, ["run", "--bundle", b.dir, `prop-${prop}-${Deno.pid}`]);
      assert.equal(r.code, 0, r.stderr);
      const root = r.stdout.split("\n").find((l) => l.split(" ")[4] === "/")!;
      const want = { shared: /shared:\d+/, unbindable: /unbindable/ }[prop];
      assert.match(root, want, root);
    } finally {
      await b.cleanup();
    }
  });
}

Deno.test("spec parity: device nodes get their configured mode and missing parents", async () => {
  const spec = probeSpec(["sleep", "10"]);
  spec.linux!.devices = [
    { path: "/dev/net/tun/", type: "c", major: 10, minor: 200, fileMode: 0o660, uid: 0, gid: 0 },
    { path: "/dev/cpu/0/fake", type: "c", major: 1, minor: 3, fileMode: 0o640, uid: 0, gid: 0 },
  ];
  const b = makeProbeBundle(spec);
  const id = `devmode-${Deno.pid}`;
  try {
    const c = await drun(b, ["run", "-d", "--bundle", b.dir, id]);
    assert.equal(c.code, 0, c.stderr);
    const pid = JSON.parse((await drun(b, ["state", id])).stdout).pid;
    const mode = (p: string) => Deno.statSync(`/proc/${pid}/root${p}`).mode! & 0o7777;
    assert.equal(mode("/dev/net/tun"), 0o660);
    assert.equal(mode("/dev/cpu/0/fake"), 0o640);
    assert.equal(mode("/dev/null"), 0o666, "not trimmed by the runtime's umask 022");
    assert.equal(mode("/dev/net"), 0o755);
  } finally {
    await b.cleanup();
  }
});

Deno.test("spec parity: a failing poststart or poststop hook does not stop the next ones", async () => {
  const spec = probeSpec(["exit", "0"]);
  const b = makeProbeBundle(spec);
  const out = join(b.dir, "hooks.out");
  const note = (what: string) => ({
    path: "/bin/sh",
    args: ["sh", "-c", `echo ${what} "$DRUN_TEST_MARK" >> ${out}`],
  });
  spec.hooks = {
    poststart: [{ path: "/bin/false" }, note("poststart")],
    poststop: [{ path: "/bin/false" }, note("poststop")],
  };
  b.write(spec);
  try {
    const r = await drun(b, ["run", "--bundle", b.dir, `hooks-${Deno.pid}`], {
      env: { DRUN_TEST_MARK: "inherited" },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /hooks\.poststart\[0\]/);
    assert.match(r.stderr, /hooks\.poststop\[0\]/);
    // Both second hooks ran, and without `env` they saw the runtime's environment.
    assert.deepEqual(Deno.readTextFileSync(out).trim().split("\n"), [
      "poststart inherited",
      "poststop inherited",
    ]);
  } finally {
    await b.cleanup();
  }
});
