/**
 * Two places the init used to trust a path from the image:
 * - masked files were covered by binding the container's `/dev/null`, so an image whose
 *   /dev/null is a symlink (to /proc/sys/kernel/core_pattern, say) turned a masked path into
 *   a view of that file; now the init opens /dev/null without following links, checks it is
 *   char 1:3 and binds that fd, or fails naming the field;
 * - the cgroup tmpfs was made read-only by a plain host path after its submounts, which a
 *   symlink in the rootfs could point at any filesystem on the host; now it is changed
 *   through the fd kept when it was mounted.
 * Both tests fail on the code before (the first runs and shows core_pattern's text in
 * /proc/timer_list; the second fails with EINVAL remounting a host path).
 */
import "./needs_root.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import { drun, makeProbeBundle, probeSpec } from "../helpers.ts";

Deno.test("masking: an image's /dev/null that is a symlink is never used to mask a path", async () => {
  const spec = probeSpec(["cat", "/proc/timer_list"]);
  // No /dev tmpfs: the image's own /dev is what the container gets.
  spec.mounts = spec.mounts!.filter((m) =>
    m.destination !== "/dev" && m.destination !== "/dev/pts"
  );
  spec.linux!.maskedPaths = ["/proc/timer_list"];
  const b = makeProbeBundle(spec);
  try {
    Deno.symlinkSync("/proc/sys/kernel/core_pattern", join(b.rootfs, "dev/null"));
    const r = await drun(b, ["run", "--bundle", b.dir, `mask-${Deno.pid}`]);
    assert.notEqual(r.code, 0, `it ran: ${r.stdout}`);
    assert.match(r.stderr, /linux\.maskedPaths\[0\].*not the null device/);
    assert.equal(r.stdout, "");
    assert.deepEqual([...Deno.readDirSync(b.root)], [], "no state left");
  } finally {
    await b.cleanup();
  }
});

Deno.test("masking: with a real /dev/null the masked file reads empty", async () => {
  const spec = probeSpec(["cat", "/proc/timer_list"]);
  spec.linux!.maskedPaths = ["/proc/timer_list"];
  const b = makeProbeBundle(spec);
  try {
    const r = await drun(b, ["run", "--bundle", b.dir, `mask2-${Deno.pid}`]);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stdout, /Timer List/);
  } finally {
    await b.cleanup();
  }
});

Deno.test("cgroup mount: the read-only tmpfs is changed through its fd, not a host path", async () => {
  // The plan resolves /tmp/x/fs/cgroup in the image, where /tmp/x is a directory. The first
  // mount then covers /tmp with a directory whose x is a symlink to an absolute path: inside
  // the root that resolves into the rootfs, on the host to somewhere else entirely (here a
  // path that exists only in the rootfs; in an attack, any filesystem the host has mounted).
  const cover = Deno.makeTempDirSync({ prefix: "drun-cover-" });
  const target = `/drun-nonexistent-${crypto.randomUUID().slice(0, 8)}`;
  Deno.symlinkSync(target, join(cover, "x"));
  const spec = probeSpec(["open", "/tmp/x/fs/cgroup/new", "65"]); // O_WRONLY | O_CREAT
  spec.mounts = [
    ...spec.mounts!.filter((m) => m.destination !== "/tmp"),
    { destination: "/tmp", type: "bind", source: cover, options: ["rbind"] },
    {
      destination: "/tmp/x/fs/cgroup",
      type: "cgroup",
      source: "cgroup",
      options: ["ro", "nosuid"],
    },
  ];
  const b = makeProbeBundle(spec);
  try {
    Deno.mkdirSync(join(b.rootfs, "tmp/x/fs/cgroup"), { recursive: true });
    Deno.mkdirSync(join(b.rootfs, target, "fs/cgroup"), { recursive: true });
    const r = await drun(b, ["run", "--bundle", b.dir, `cgro-${Deno.pid}`]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /"errno":30\b/, "EROFS: the cgroup tmpfs is read-only");
    assert.throws(() => Deno.statSync(target), "nothing was made on the host");
  } finally {
    await b.cleanup();
    Deno.removeSync(cover, { recursive: true });
  }
});
