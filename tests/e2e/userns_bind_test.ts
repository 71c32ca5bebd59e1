/**
 * With a user namespace, bind sources are cloned (open_tree) by the host's root before the
 * init enters it: the mapped root may not reach a source's path. Before, such a bind failed
 * with EACCES (`mounts[N]: ... open bind source: EACCES`).
 */
import "./needs_root.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import { drun, makeProbeBundle, probeSpec } from "../helpers.ts";

Deno.test("userns binds: a source under a directory only the host's root can enter is mounted", async () => {
  const spec = probeSpec(["cat", "/data/hello"]);
  spec.linux!.namespaces!.push({ type: "user" });
  spec.linux!.uidMappings = [{ containerID: 0, hostID: 200000, size: 65536 }];
  spec.linux!.gidMappings = [{ containerID: 0, hostID: 200000, size: 65536 }];
  const b = makeProbeBundle(spec);
  const closed = Deno.makeTempDirSync({ prefix: "drun-closed-" }); // 0700, root's
  try {
    Deno.mkdirSync(join(closed, "data"), { mode: 0o755 });
    // The image's own mount point: the mapped root could not make one in a root-owned rootfs.
    Deno.mkdirSync(join(b.rootfs, "data"));
    Deno.writeTextFileSync(join(closed, "data/hello"), "hello from a closed dir\n", {
      mode: 0o644,
    });
    spec.mounts!.push({
      destination: "/data",
      type: "bind",
      source: join(closed, "data"),
      options: ["rbind", "ro"],
    });
    b.write(spec);
    const r = await drun(b, ["run", "--bundle", b.dir, `usernsbind-${Deno.pid}`]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "hello from a closed dir\n");
  } finally {
    await b.cleanup();
    Deno.removeSync(closed, { recursive: true });
  }
});
