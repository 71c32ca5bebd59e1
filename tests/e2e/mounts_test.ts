/**
 * Mounts in config order: bind (file and directory, ro, rbind, propagation), tmpfs with
 * data, destinations created inside the rootfs and resolved through in-root symlinks,
 * --no-pivot, rootfsPropagation.
 */
import "./needs_root.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import { drun, makeProbeBundle, probeReport, probeSpec } from "../helpers.ts";

type MountInfo = { target: string; fstype: string; options: string; super_options: string };

Deno.test("mounts: binds, tmpfs, created destinations, in-root symlinks", async () => {
  const spec = probeSpec([
    "report",
    "cat",
    "/data/file.txt",
    "cat",
    "/single",
    "write",
    "/data/new",
    "x",
  ]);
  const b = makeProbeBundle(spec);
  const hostDir = join(b.dir, "hostdir");
  Deno.mkdirSync(join(hostDir, "sub"), { recursive: true });
  Deno.writeTextFileSync(join(hostDir, "file.txt"), "from-host\n");
  Deno.writeTextFileSync(join(b.dir, "single.txt"), "one-file\n");
  // /link -> /deep/target inside the rootfs: the mount must land at /deep/target.
  Deno.symlinkSync("/deep/target", join(b.rootfs, "link"));
  spec.mounts!.push(
    { destination: "/data", type: "bind", source: hostDir, options: ["rbind", "ro", "nosuid"] },
    { destination: "/single", type: "bind", source: join(b.dir, "single.txt"), options: ["bind"] },
    {
      destination: "/scratch",
      type: "tmpfs",
      source: "tmpfs",
      options: ["size=1m", "mode=1777", "noexec"],
    },
    { destination: "/link", type: "tmpfs", source: "tmpfs", options: ["size=2m"] },
    { destination: "/priv", type: "tmpfs", source: "tmpfs", options: ["rprivate"] },
  );
  b.write(spec);
  try {
    const r = await drun(b, ["run", "--bundle", b.dir, "m1"]);
    // The last action writes into the read-only bind, so the run fails with EROFS.
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /"action":"write","errno":30/);
    assert.match(r.stdout, /from-host\n/);
    assert.match(r.stdout, /one-file\n/);
    const mounts = probeReport(r.stdout).mounts as MountInfo[];
    const at = (t: string) => mounts.find((m) => m.target === t);
    assert.match(at("/data")!.options, /(^|,)ro(,|$)/);
    assert.match(at("/data")!.options, /nosuid/);
    assert.ok(at("/single"));
    assert.equal(at("/scratch")!.fstype, "tmpfs");
    assert.match(at("/scratch")!.super_options, /size=1024k/);
    assert.match(at("/scratch")!.options, /noexec/);
    assert.ok(at("/deep/target"), "mount through an in-root symlink lands inside the rootfs");
    assert.equal(at("/link"), undefined);
    // The destination directories were created inside the rootfs, nowhere else.
    assert.ok(Deno.statSync(join(b.rootfs, "deep/target")).isDirectory);
    assert.ok(Deno.statSync(join(b.rootfs, "single")).isFile);
  } finally {
    await b.cleanup();
  }
});

Deno.test("mounts: --no-pivot and rootfsPropagation", async () => {
  const spec = probeSpec(["report"]);
  spec.linux!.rootfsPropagation = "rprivate";
  const b = makeProbeBundle(spec);
  try {
    const r = await drun(b, ["run", "--no-pivot", "--bundle", b.dir, "np1"]);
    assert.equal(r.code, 0, r.stderr);
    const rep = probeReport(r.stdout);
    assert.equal(rep.pid, 1);
    assert.ok((rep.mounts as MountInfo[]).some((m) => m.target === "/proc"));
  } finally {
    await b.cleanup();
  }
});

Deno.test("mounts: nothing a container mounts shows up on the host", async () => {
  const before = Deno.readTextFileSync("/proc/self/mountinfo");
  const spec = probeSpec(["sleep", "0.3"]);
  spec.mounts!.push({ destination: "/t", type: "tmpfs", source: "tmpfs", options: ["rshared"] });
  const b = makeProbeBundle(spec);
  try {
    const running = drun(b, ["run", "--bundle", b.dir, "leak1"]);
    await new Promise((r) => setTimeout(r, 150));
    const during = Deno.readTextFileSync("/proc/self/mountinfo");
    assert.equal(during.includes(b.dir), false, "container mounts are private to it");
    assert.equal((await running).code, 0);
    assert.equal(Deno.readTextFileSync("/proc/self/mountinfo"), before);
  } finally {
    await b.cleanup();
  }
});

Deno.test("mounts: rro reaches every submount, ro only the top one", async () => {
  const spec = probeSpec(["report"]);
  // Host /dev has submounts (pts, shm, mqueue): a read-only view of it is harmless.
  spec.mounts!.push(
    { destination: "/hostdev-rro", type: "bind", source: "/dev", options: ["rbind", "rro"] },
    { destination: "/hostdev-ro", type: "bind", source: "/dev", options: ["rbind", "ro"] },
  );
  const b = makeProbeBundle(spec);
  try {
    const r = await drun(b, ["run", "--bundle", b.dir, "rro1"]);
    assert.equal(r.code, 0, r.stderr);
    const mounts = probeReport(r.stdout).mounts as MountInfo[];
    const ro = (m: MountInfo) => /(^|,)ro(,|$)/.test(m.options);
    const under = (p: string) => mounts.filter((m) => m.target.startsWith(p + "/"));
    assert.ok(under("/hostdev-rro").length > 0, "the host's /dev has submounts");
    assert.ok(under("/hostdev-rro").every(ro), "rro: every submount read-only");
    assert.ok(ro(mounts.find((m) => m.target === "/hostdev-ro")!));
    assert.ok(!under("/hostdev-ro").every(ro), "ro: only the top mount");
  } finally {
    await b.cleanup();
  }
});

Deno.test("mounts: a mount the kernel refuses names its field, flags and data", async () => {
  const spec = probeSpec(["exit", "0"]);
  const i = spec.mounts!.length;
  spec.mounts!.push({
    destination: "/bad",
    type: "tmpfs",
    source: "tmpfs",
    options: ["nosuid", "noexec", "size=bogus"],
  });
  const b = makeProbeBundle(spec);
  try {
    const r = await drun(b, ["run", "--bundle", b.dir, "badmount1"]);
    assert.notEqual(r.code, 0);
    const err = r.stderr.trim();
    assert.equal(err.split("\n").length, 1, r.stderr);
    assert.ok(
      err.includes(
        `mounts[${i}]: mount tmpfs on /bad (flags nosuid,noexec, data size=bogus): mount: EINVAL`,
      ),
      err,
    );
  } finally {
    await b.cleanup();
  }
});
