/**
 * Idmapped bind mounts (`mounts[].uidMappings`/`gidMappings`, `idmap`, `ridmap`): a host
 * directory owned by uid 1000 is seen through the mount's mapping, and what the container
 * writes there lands with the host uid the mapping gives back. Before idmapped mounts were
 * carried out, the options were accepted and ignored (the directory showed as nobody's) and
 * `features` said idmap was disabled.
 */
import "./needs_root.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import { busyboxBundle, drun } from "../helpers.ts";
import type { Mount } from "../../lib/spec/types.ts";

const CONTAINER_ROOT = 100000;

/** A busybox spec with a user namespace mapping 0..65535 to 100000.. and a bind of `dir`. */
function idmapSpec(args: string[], dir: string, mount: Partial<Mount> = {}) {
  const { b, spec } = busyboxBundle();
  const s = spec(args);
  // The rootfs is host root's, which the container's root is not: it cannot mkdir there.
  Deno.mkdirSync(join(b.rootfs, "data"));
  s.linux!.namespaces = [...s.linux!.namespaces!, { type: "user" }];
  s.linux!.uidMappings = [{ containerID: 0, hostID: CONTAINER_ROOT, size: 65536 }];
  s.linux!.gidMappings = [{ containerID: 0, hostID: CONTAINER_ROOT, size: 65536 }];
  delete s.linux!.resources;
  s.mounts!.push({ destination: "/data", type: "bind", source: dir, options: ["rbind"], ...mount });
  b.write(s);
  return b;
}

function hostDir(uid: number): string {
  const dir = Deno.makeTempDirSync({ prefix: "drun-idmap-" });
  Deno.chmodSync(dir, 0o755);
  Deno.chownSync(dir, uid, uid);
  return dir;
}

Deno.test("idmap: a dir owned by 1000 shows as the mapped uid, writes get the host uid", async () => {
  const dir = hostDir(1000);
  // On disk 1000 is the container's root (host 100000); other ids pass through unchanged.
  const b = idmapSpec(
    ["sh", "-c", "stat -c '%u:%g' /data && echo hi > /data/new && stat -c '%u:%g' /data/new"],
    dir,
    {
      uidMappings: [{ containerID: 1000, hostID: CONTAINER_ROOT, size: 1 }],
      gidMappings: [{ containerID: 1000, hostID: CONTAINER_ROOT, size: 1 }],
    },
  );
  try {
    const r = await drun(b, ["run", "--bundle", b.dir, "idmap-1"]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split("\n"), ["0:0", "0:0"]);
    const st = Deno.statSync(join(dir, "new"));
    assert.deepEqual([st.uid, st.gid], [1000, 1000]);
  } finally {
    Deno.removeSync(dir, { recursive: true });
    await b.cleanup();
  }
});

Deno.test("idmap: the idmap option without mappings takes the container's", async () => {
  const dir = hostDir(0);
  const b = idmapSpec(["sh", "-c", "stat -c '%u' /data && touch /data/f"], dir, {
    options: ["rbind", "idmap", "ro"],
  });
  try {
    const r = await drun(b, ["run", "--bundle", b.dir, "idmap-2"]);
    // Disk uid 0 is the container's root through its own maps; "ro" still applies.
    assert.match(r.stdout, /^0\n/);
    assert.match(r.stderr + r.stdout, /Read-only file system/);
  } finally {
    Deno.removeSync(dir, { recursive: true });
    await b.cleanup();
  }
});

Deno.test("idmap: a filesystem that cannot be idmapped is refused naming the mount", async () => {
  // /proc has no idmapped-mount support (FS_ALLOW_IDMAP).
  const b = idmapSpec(["true"], "/proc/sys", { options: ["rbind", "idmap"] });
  try {
    const r = await drun(b, ["run", "--bundle", b.dir, "idmap-3"]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /mounts\[\d+\]: idmapped bind of \/proc\/sys .*mount_setattr/);
    assert.deepEqual([...Deno.readDirSync(b.root)], []);
  } finally {
    await b.cleanup();
  }
});

Deno.test("idmap: features lists idmap as supported", async () => {
  const { b } = busyboxBundle();
  try {
    const f = JSON.parse((await drun(b, ["features"])).stdout);
    assert.equal(f.linux.mountExtensions.idmap.enabled, true);
    assert.ok(f.mountOptions.includes("idmap") && f.mountOptions.includes("ridmap"));
  } finally {
    await b.cleanup();
  }
});
