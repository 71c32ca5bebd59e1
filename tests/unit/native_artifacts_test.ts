/**
 * The committed native artifacts: the embedded module carries exactly zig/out/libdrun.so and
 * zig/out/drun-init, a fresh build of zig/ gives the same bytes, and libdrun is loaded only
 * from a sealed memfd.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { embeddedArtifacts, libdrunMemfdPath } from "../../lib/native/load.ts";
import { native } from "../../lib/native/ffi.ts";
import { REPO } from "../helpers.ts";

Deno.test("native: the embedded bytes equal zig/out/libdrun.so and zig/out/drun-init", () => {
  const { libdrun, init } = embeddedArtifacts();
  for (const [name, embedded] of [["libdrun.so", libdrun], ["drun-init", init]] as const) {
    const onDisk = Deno.readFileSync(join(REPO, "zig/out", name));
    assert.equal(embedded.length, onDisk.length, name);
    assert.ok(embedded.every((b, i) => b === onDisk[i]), name);
  }
});

Deno.test("native: libdrun is loaded from a sealed memfd, not from any file", () => {
  native();
  const path = libdrunMemfdPath();
  assert.match(path, /^\/proc\/self\/fd\/\d+$/);
  assert.match(Deno.readLinkSync(path), /^\/memfd:libdrun \(deleted\)$/);
  // Sealed: not even this process can change what it loaded.
  assert.throws(() => Deno.writeFileSync(path, new Uint8Array([0]), { append: true }));
  const maps = Deno.readTextFileSync("/proc/self/maps");
  assert.ok(maps.includes("/memfd:libdrun (deleted)"), "libdrun mapped from the memfd");
  assert.ok(!/libdrun.*\.so/.test(maps), "no libdrun file mapped");
});

function zigAvailable(): boolean {
  try {
    return new Deno.Command("zig", { args: ["version"], stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
}

Deno.test("native: a fresh build of zig/ equals the committed artifacts", async () => {
  // CI sets DRUN_REQUIRE_ZIG=1 and installs Zig; elsewhere the committed artifacts are the
  // point (users need no Zig), so without Zig this test only checks the bytes above.
  if (!zigAvailable()) {
    assert.notEqual(Deno.env.get("DRUN_REQUIRE_ZIG"), "1", "zig is required here but missing");
    return;
  }
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(REPO, "scripts/build_native.ts"), "--check"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
});
