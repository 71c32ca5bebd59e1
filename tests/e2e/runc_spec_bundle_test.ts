/**
 * A bundle written by Debian's `runc spec` over a busybox rootfs runs under drun unchanged
 * but for its args and terminal flag; and the same bundle under runc for comparison.
 */
import "./needs_root.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import { busyboxRootfs, drun } from "../helpers.ts";

async function runcSpecBundle(args: string[]) {
  const dir = Deno.makeTempDirSync({ prefix: "drun-test-runcspec-" });
  Deno.chmodSync(dir, 0o755);
  busyboxRootfs(join(dir, "rootfs"));
  const out = await new Deno.Command("runc", { args: ["spec"], cwd: dir }).output();
  assert.ok(out.success, "runc spec");
  const config = JSON.parse(Deno.readTextFileSync(join(dir, "config.json")));
  config.process.args = args;
  config.process.terminal = false;
  Deno.writeTextFileSync(join(dir, "config.json"), JSON.stringify(config, null, "\t"));
  return { dir, root: join(dir, "state") };
}

Deno.test("runc spec bundle: true exits 0, sh -c 'exit 3' exits 3, output passes through", async () => {
  for (
    const [args, code, out] of [
      [["true"], 0, ""],
      [["sh", "-c", "exit 3"], 3, ""],
      [["sh", "-c", "echo hello from $(hostname); id -u"], 0, "hello from runc\n0\n"],
    ] as const
  ) {
    const b = await runcSpecBundle([...args]);
    try {
      const r = await drun(b, ["run", "--bundle", b.dir, "rs1"]);
      assert.equal(r.code, code, `${args.join(" ")}: ${r.stderr}`);
      assert.equal(r.stdout, out);
    } finally {
      await Deno.remove(b.dir, { recursive: true });
    }
  }
});

Deno.test("runc spec bundle: drun and runc agree on what the container sees", async () => {
  const script = "cat /proc/self/status | grep -E '^(Cap|NoNewPrivs|Seccomp:)'; hostname; " +
    "ls /dev | sort | tr '\\n' ' '; echo; cat /proc/self/uid_map | tr -s ' '";
  const b = await runcSpecBundle(["sh", "-c", script]);
  try {
    const ours = await drun(b, ["run", "--bundle", b.dir, "cmp1"]);
    assert.equal(ours.code, 0, ours.stderr);
    const theirs = await new Deno.Command("runc", {
      args: ["--root", join(b.dir, "runc-state"), "run", "--bundle", b.dir, "cmp1"],
      cwd: b.dir,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(theirs.code, 0, new TextDecoder().decode(theirs.stderr));
    assert.equal(ours.stdout, new TextDecoder().decode(theirs.stdout));
  } finally {
    await Deno.remove(b.dir, { recursive: true });
  }
});
