/**
 * OCI hooks: each kind runs once, in order relative to the others and to the process,
 * sees the state on stdin, runs in the namespace the spec says (shown by the mount
 * namespace inode it records), and a hook over its timeout is killed and reported.
 */
import "./needs_root.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import type { Hook } from "../../lib/spec/types.ts";
import { busyboxRootfs, drun, makeProbeBundle, probeSpec } from "../helpers.ts";

/** A host shell script hook: appends "<kind> <mnt-ns> <stdin>" as one line to out. */
function hostHook(dir: string, kind: string, out: string): Hook {
  const path = join(dir, `${kind}.sh`);
  Deno.writeTextFileSync(
    path,
    `#!/bin/sh\nstate=$(cat)\necho "${kind} $(readlink /proc/self/ns/mnt) $state" >> ${out}\n`,
  );
  Deno.chmodSync(path, 0o755);
  return { path, args: [path] };
}

Deno.test("hooks: every kind runs once, in order, with state and in the right namespace", async () => {
  const spec = probeSpec();
  const b = makeProbeBundle(spec);
  busyboxRootfs(b.rootfs);
  const out = join(b.dir, "out");
  Deno.mkdirSync(out);
  const log = join(out, "hooks.log");
  // startContainer runs after pivot_root: its path is in the container, writing to /out.
  Deno.writeTextFileSync(
    join(b.rootfs, "start.sh"),
    `#!/bin/sh\nstate=$(cat)\necho "startContainer $(readlink /proc/self/ns/mnt) $state" >> /out/hooks.log\n`,
  );
  Deno.chmodSync(join(b.rootfs, "start.sh"), 0o755);
  spec.process!.args = ["/bin/sh", "-c", "echo process >> /out/hooks.log; sleep 30"];
  spec.mounts!.push({ destination: "/out", type: "bind", source: out, options: ["rbind"] });
  spec.hooks = {
    prestart: [hostHook(b.dir, "prestart", log)],
    createRuntime: [hostHook(b.dir, "createRuntime", log)],
    createContainer: [hostHook(b.dir, "createContainer", log)],
    startContainer: [{ path: "/start.sh", args: ["/start.sh"] }],
    poststart: [hostHook(b.dir, "poststart", log)],
    poststop: [hostHook(b.dir, "poststop", log)],
  };
  b.write(spec);
  const hostMnt = Deno.readLinkSync("/proc/self/ns/mnt");
  try {
    const c = await drun(b, ["create", "--bundle", b.dir, "hk1"]);
    assert.equal(c.code, 0, c.stderr);
    const pid = JSON.parse((await drun(b, ["state", "hk1"])).stdout).pid;
    const ctrMnt = Deno.readLinkSync(`/proc/${pid}/ns/mnt`);
    const afterCreate = Deno.readTextFileSync(log).trim().split("\n");
    assert.deepEqual(afterCreate.map((l) => l.split(" ")[0]), [
      "prestart",
      "createRuntime",
      "createContainer",
    ]);
    assert.equal((await drun(b, ["start", "hk1"])).code, 0);
    // poststart ran before start returned; the process and startContainer follow the start.
    for (let i = 0; i < 100 && !Deno.readTextFileSync(log).includes("process"); i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal((await drun(b, ["kill", "hk1", "KILL"])).code, 0);
    for (let i = 0; i < 100; i++) {
      if (JSON.parse((await drun(b, ["state", "hk1"])).stdout).status === "stopped") break;
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal((await drun(b, ["delete", "hk1"])).code, 0);

    const lines = Deno.readTextFileSync(log).trim().split("\n");
    const kinds = lines.map((l) => l.split(" ")[0]);
    for (
      const k of [
        "prestart",
        "createRuntime",
        "createContainer",
        "startContainer",
        "poststart",
        "poststop",
        "process",
      ]
    ) {
      assert.equal(kinds.filter((x) => x === k).length, 1, `${k} ran once: ${kinds}`);
    }
    assert.ok(kinds.indexOf("startContainer") < kinds.indexOf("process"));
    assert.ok(kinds.indexOf("createContainer") < kinds.indexOf("startContainer"));
    assert.equal(kinds.at(-1), "poststop");
    const byKind = Object.fromEntries(lines.map((l) => {
      const [k, mnt, ...rest] = l.split(" ");
      return [k, { mnt, state: rest.length ? JSON.parse(rest.join(" ")) : undefined }];
    }));
    for (const k of ["prestart", "createRuntime", "poststart", "poststop"]) {
      assert.equal(byKind[k].mnt, hostMnt, `${k} runs in the runtime's namespace`);
    }
    for (const k of ["createContainer", "startContainer"]) {
      assert.equal(byKind[k].mnt, ctrMnt, `${k} runs in the container's namespace`);
    }
    assert.equal(byKind.createRuntime.state.status, "creating");
    assert.equal(byKind.createRuntime.state.pid, pid);
    assert.equal(byKind.createRuntime.state.id, "hk1");
    assert.equal(byKind.createContainer.state.status, "creating");
    assert.equal(byKind.startContainer.state.status, "created");
    assert.equal(byKind.poststart.state.status, "running");
    assert.equal(byKind.poststart.state.pid, pid);
    assert.equal(byKind.poststop.state.status, "stopped");
  } finally {
    await b.cleanup();
  }
});

Deno.test("hooks: a hook over its timeout is killed and fails create, naming it", async () => {
  const spec = probeSpec();
  const b = makeProbeBundle(spec);
  const slow = join(b.dir, "slow.sh");
  Deno.writeTextFileSync(slow, "#!/bin/sh\nexec sleep 30\n");
  Deno.chmodSync(slow, 0o755);
  try {
    for (const kind of ["createRuntime", "createContainer"] as const) {
      spec.hooks = { [kind]: [{ path: slow, args: [slow], timeout: 1 }] };
      b.write(spec);
      const t0 = performance.now();
      const r = await drun(b, ["create", "--bundle", b.dir, `to-${kind}`]);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, new RegExp(`hooks\\.${kind}\\[0\\].*(timed out)`));
      assert.ok(performance.now() - t0 < 10_000);
      assert.deepEqual([...Deno.readDirSync(b.root)], []);
    }
    const failing = join(b.dir, "fail.sh");
    Deno.writeTextFileSync(failing, "#!/bin/sh\necho oops >&2\nexit 3\n");
    Deno.chmodSync(failing, 0o755);
    spec.hooks = { createRuntime: [{ path: failing }] };
    b.write(spec);
    const r = await drun(b, ["create", "--bundle", b.dir, "fail1"]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /hooks\.createRuntime\[0\].*exited with status 3/);
    assert.match(r.stderr, /oops/);
  } finally {
    await b.cleanup();
  }
});
