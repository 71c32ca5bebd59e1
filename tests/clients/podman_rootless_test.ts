/**
 * Rootless podman drives drun: an unprivileged user (made for the test) imports a busybox
 * image and runs `podman run --rm` with `--runtime` bin/drun, as it does with runc. Podman runs
 * the runtime as root inside its own user namespace (its subuid range), so drun is rootless
 * there without a user namespace in the config. Before rootless support drun failed this with
 * `mount cgroup on /sys/fs/cgroup: EPERM` (a cgroupfs cannot be mounted there), then with
 * `create /dev/null: mknod: EPERM` (devices must be bound from the host).
 */
import "../e2e/needs_root.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import { busyboxTarball, ensureClients, WRAPPER } from "./common.ts";
import { makeTestUser } from "../e2e/rootless_user.ts";

const IMAGE = "localhost/drun-rootless-busybox";

Deno.test({
  name: "podman rootless with --runtime drun: run --rm as root in the container",
  sanitizeResources: false,
  async fn() {
    await ensureClients();
    const u = makeTestUser();
    const env = { DRUN_DENO: u.deno };
    try {
      const { tar } = await busyboxTarball(u.home);
      Deno.chmodSync(tar, 0o644);
      const imp = await u.run(["podman", "import", tar, IMAGE], env);
      assert.equal(imp.code, 0, imp.stderr);
      // --network none: podman's rootless networking (pasta, slirp4netns) is not drun's part.
      const run = ["podman", "--runtime", WRAPPER, "run", "--rm", "--network", "none", IMAGE];
      const r = await u.run([...run, "id"], env);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^uid=0\(?\S*\s+gid=0/);
      const code = await u.run([...run, "sh", "-c", "exit 7"], env);
      assert.equal(code.code, 7, code.stderr);
      const ps = await u.run(["podman", "ps", "-aq"], env);
      assert.equal(ps.stdout.trim(), "", "podman run --rm left a container");
    } finally {
      // Podman's pause process holds its user namespace; it is ours to end, by its pid.
      try {
        const pid = Number(Deno.readTextFileSync(join(u.runtimeDir, "libpod/tmp/pause.pid")));
        if (pid > 0) Deno.kill(pid, "SIGKILL");
      } catch { /* no pause process was started */ }
      u.remove();
    }
  },
});
