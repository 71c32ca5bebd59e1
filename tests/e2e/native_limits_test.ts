/**
 * The init has no fixed-size buffer a config can overflow: argv and envp of any count, and
 * a path longer than the kernel's PATH_MAX is refused by the init itself (even in a plan the
 * validator never saw), never copied past a buffer.
 *
 * Before: plan ops carried at most 255 strings (265 env vars failed, blaming process.args[0])
 * and argv/envp lived in fixed arrays; a 20 KB mount destination crashed the init while it
 * still had full root.
 */
import "./needs_root.ts";
import assert from "node:assert/strict";
import { Op } from "../../lib/plan/encode.ts";
import { encodePlan } from "../../lib/plan/encode.ts";
import { closeFd, launch, MsgKind, recvMessage, waitPid } from "../../lib/native/ffi.ts";
import { drun, makeProbeBundle, probeReport, probeSpec } from "../helpers.ts";

Deno.test("native limits: 3000 env vars and 300 args reach the process", async () => {
  // `echo` takes one argument: 150 of them with their words are 300 args.
  const words = Array.from({ length: 150 }, (_, i) => ["echo", `w${i}`]).flat();
  const spec = probeSpec(["report", ...words]);
  spec.process!.env = [
    "PATH=/bin",
    ...Array.from({ length: 3000 }, (_, i) => `V${i}=${"x".repeat(20)}`),
  ];
  const b = makeProbeBundle(spec);
  try {
    const r = await drun(b, ["run", "--bundle", b.dir, `limits-${Deno.pid}`]);
    assert.equal(r.code, 0, r.stderr);
    const env = probeReport(r.stdout).env as string[];
    assert.equal(env.length, 3002, "PATH, 3000 variables and the HOME the runtime adds");
    assert.equal(env.at(-2), `V2999=${"x".repeat(20)}`);
    assert.match(r.stdout, /^w149$/m);
  } finally {
    await b.cleanup();
  }
});

Deno.test("native limits: a 20 KB mount destination fails in the init with ENAMETOOLONG", async () => {
  // A plan the validator never saw: the init must bounds-check on its own. Its root is a
  // temp dir (the init creates missing components up to the limit).
  const root = Deno.makeTempDirSync({ prefix: "drun-limits-" });
  const plan = {
    cloneFlags: 0,
    ops: [
      { kind: Op.OPEN_ROOT, action: "open root", nums: [], strs: [root] },
      {
        kind: Op.MOUNT_IN_ROOT,
        field: "mounts[0]",
        action: "mount tmpfs",
        nums: [0, 0, 1, 0, 0],
        strs: ["tmpfs", `${"d/".repeat(10_000)}x`, "tmpfs", ""],
      },
    ],
  };
  const { pid, syncFd } = launch(encodePlan(plan));
  try {
    const m = await recvMessage(syncFd, 10_000);
    assert.equal(m?.kind, MsgKind.ERROR);
    assert.equal(m?.step, 1);
    assert.equal(m?.errno, 36, m?.detail);
    const st = await waitPid(pid);
    assert.equal(st.code, 1, "the init exited on its own, it did not crash");
  } finally {
    closeFd(syncFd);
    Deno.removeSync(root, { recursive: true });
  }
});
