/**
 * The seccomp agent examples with real containers: the mkdir agent creates directories in the
 * caller's own root and mount namespace (rootfs and tmpfs `/tmp`, a symlink escape refused,
 * paths outside `/tmp` and real dirfds left to the kernel); the exec logger prints the exec'd
 * path and arguments.
 */
import "./needs_root.ts";
import { NO_SANITIZE, notifyOn, tempSocketDir } from "./seccomp_helpers.ts";
import {
  MKDIR,
  MKDIRAT,
  orRemove,
  startExample,
  syscallResults,
  tearDown,
} from "./seccomp_agent_helpers.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import { type Bundle, drun, makeProbeBundle, probeSpec } from "../helpers.ts";

Deno.test({
  name: "seccomp-agent: the mkdir example creates dirs under /tmp in the caller's root",
  ...NO_SANITIZE,
  async fn() {
    const sockDir = tempSocketDir();
    const sock = join(sockDir, "mkdir.sock");
    const agent = await orRemove(sockDir, startExample("seccomp_mkdir_agent.ts", sock));
    const bundles: Bundle[] = [];
    try {
      // uid 1000 may not write the root-owned /tmp (0755): only the agent can make these.
      const spec = probeSpec([
        ...["syscall", "mkdir", "@s:/tmp/made", "493"],
        ...["syscall", "mkdirat", "-100", "@s:/tmp/made/sub", "448"],
        ...["syscall", "mkdir", "@s:/tmp/made", "493"], // EEXIST, from the agent's mkdirat
        ...["syscall", "mkdir", "@s:/tmp/link/evil", "493"], // /tmp/link -> /etc
        ...["open", "/tmp", "65536"], // O_DIRECTORY: fd 3
        ...["syscall", "mkdirat", "3", "@s:viafd", "493"], // real dirfd: left to the kernel
        ...["syscall", "mkdir", "@s:/nottmp", "493"], // not under /tmp: left to the kernel
      ]);
      spec.root!.readonly = false;
      spec.process!.user = { uid: 1000, gid: 1000 };
      spec.linux!.seccomp = notifyOn(["mkdir", "mkdirat"], sock);
      const b = makeProbeBundle(spec);
      bundles.push(b);
      Deno.symlinkSync("/etc", join(b.rootfs, "tmp/link"));
      const r = await drun(b, ["run", "--bundle", b.dir, "mk1"]);
      assert.equal(r.code, 0, r.stderr);
      const mk = syscallResults(r.stdout, MKDIR);
      const mkat = syscallResults(r.stdout, MKDIRAT);
      assert.deepEqual(mk, [
        { syscall: MKDIR, ret: 0, errno: 0 },
        { syscall: MKDIR, ret: -1, errno: 17 },
        { syscall: MKDIR, ret: -1, errno: 2 }, // /etc resolved in the container: no /etc there
        { syscall: MKDIR, ret: -1, errno: 13 },
      ], r.stdout);
      assert.deepEqual(mkat, [
        { syscall: MKDIRAT, ret: 0, errno: 0 },
        { syscall: MKDIRAT, ret: -1, errno: 13 },
      ], r.stdout);
      assert.match(r.stdout, /\{"open":"\/tmp","fd":3,"errno":0\}/);
      const made = Deno.statSync(join(b.rootfs, "tmp/made"));
      assert.ok(made.isDirectory);
      assert.equal(made.uid, 1000, "owned by the caller");
      assert.equal(made.gid, 1000);
      assert.equal(made.mode! & 0o7777, 0o755, "mode 493 under the caller's umask 022");
      assert.equal(Deno.statSync(join(b.rootfs, "tmp/made/sub")).mode! & 0o7777, 0o700);
      assert.throws(() => Deno.statSync("/etc/evil"), Deno.errors.NotFound, "nothing on the host");
      assert.throws(() => Deno.statSync(join(b.rootfs, "tmp/viafd")), Deno.errors.NotFound);
      assert.throws(() => Deno.statSync(join(b.rootfs, "nottmp")), Deno.errors.NotFound);
      await agent.waitLine((l) => l.includes("mkdirat /tmp/made/sub for mk1"), "the agent's log");
      assert.ok(
        agent.lines.some((l) => /^mkdir \/tmp\/made for mk1 \(pid \d+\): created$/.test(l)),
      );

      // With a tmpfs on /tmp the directory lands in the container's own mount namespace.
      const tspec = probeSpec([
        ...["syscall", "mkdir", "@s:/tmp/t", "493"],
        ...["open", "/tmp/t", "65536"],
      ]);
      tspec.process!.user = { uid: 1000, gid: 1000 };
      tspec.mounts!.push({
        destination: "/tmp",
        type: "tmpfs",
        source: "tmpfs",
        options: ["nosuid", "nodev", "mode=755"],
      });
      tspec.linux!.seccomp = notifyOn(["mkdir", "mkdirat"], sock);
      const tb = makeProbeBundle(tspec);
      bundles.push(tb);
      const tr = await drun(tb, ["run", "--bundle", tb.dir, "mk2"]);
      assert.equal(tr.code, 0, tr.stderr);
      assert.deepEqual(syscallResults(tr.stdout, MKDIR), [{ syscall: MKDIR, ret: 0, errno: 0 }]);
      assert.match(tr.stdout, /\{"open":"\/tmp\/t","fd":3,"errno":0\}/, "it exists in there");
      assert.throws(() => Deno.statSync(join(tb.rootfs, "tmp/t")), Deno.errors.NotFound);
    } finally {
      await tearDown(agent, sockDir, bundles);
    }
  },
});

Deno.test({
  name: "seccomp-agent: the exec logger example prints the exec'd path and arguments",
  ...NO_SANITIZE,
  async fn() {
    const sockDir = tempSocketDir();
    const sock = join(sockDir, "exec.sock");
    const agent = await orRemove(sockDir, startExample("seccomp_exec_logger.ts", sock));
    const spec = probeSpec(["echo", "logged"]);
    spec.linux!.seccomp = notifyOn(["execve", "execveat"], sock);
    const b = makeProbeBundle(spec);
    try {
      const r = await drun(b, ["run", "--bundle", b.dir, "ex"]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^logged$/m);
      const line = await agent.waitLine((l) => l.includes(" exec "), "an exec line");
      assert.match(line, / ex pid=\d+ exec "\/probe" argv=\["\/probe","echo","logged"\]$/);
    } finally {
      await tearDown(agent, sockDir, [b]);
    }
  },
});
