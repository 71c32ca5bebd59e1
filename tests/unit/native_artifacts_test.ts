/**
 * The committed native artifacts: the embedded module carries exactly zig/out/libdrun.so,
 * a fresh build of zig/ gives the same bytes, and the loader never opens a corrupted cache.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { LIBDRUN_SHA256 } from "../../lib/native/embedded.generated.ts";
import {
  embeddedBytes,
  openLibdrun,
  openLibdrunAsync,
  sha256HexSync,
} from "../../lib/native/load.ts";
import { REPO } from "../helpers.ts";

Deno.test("native: embedded bytes equal zig/out/libdrun.so and their recorded hash", () => {
  const onDisk = Deno.readFileSync(join(REPO, "zig/out/libdrun.so"));
  const embedded = embeddedBytes();
  assert.equal(embedded.length, onDisk.length);
  assert.ok(embedded.every((b, i) => b === onDisk[i]));
  assert.equal(sha256HexSync(embedded), LIBDRUN_SHA256);
});

Deno.test("native: sha256HexSync matches WebCrypto", async () => {
  for (const n of [0, 1, 55, 56, 63, 64, 65, 1000, 20000]) {
    const data = new Uint8Array(n).map((_, i) => (i * 31 + n) & 0xff);
    const want = Array.from(new Uint8Array(await crypto.subtle.digest("SHA-256", data)))
      .map((b) => b.toString(16).padStart(2, "0")).join("");
    assert.equal(sha256HexSync(data), want, `length ${n}`);
  }
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
  // point (users need no Zig), so without Zig this test only checks the hashes above.
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

Deno.test("native: a corrupted cached library is detected and rewritten, never loaded", async () => {
  const cache = Deno.makeTempDirSync({ prefix: "drun-cache-" });
  const prev = Deno.env.get("XDG_CACHE_HOME");
  Deno.env.set("XDG_CACHE_HOME", cache);
  try {
    const path = openLibdrun();
    assert.ok(path.startsWith(join(cache, "drun")));
    assert.equal(sha256HexSync(Deno.readFileSync(path)), LIBDRUN_SHA256);
    const bytes = Deno.readFileSync(path);
    bytes[100] ^= 0xff;
    Deno.writeFileSync(path, bytes);
    assert.notEqual(sha256HexSync(Deno.readFileSync(path)), LIBDRUN_SHA256);
    assert.equal(openLibdrun(), path);
    assert.equal(sha256HexSync(Deno.readFileSync(path)), LIBDRUN_SHA256);
    // The fast (WebCrypto) path the runtime uses detects it just the same.
    Deno.writeFileSync(path, bytes);
    assert.equal(await openLibdrunAsync(), path);
    assert.equal(sha256HexSync(Deno.readFileSync(path)), LIBDRUN_SHA256);
    // And a process that starts with the corrupted file still runs containers.
    Deno.writeFileSync(path, bytes);
    const lib = Deno.dlopen(openLibdrun(), { drun_close: { parameters: ["i32"], result: "i32" } });
    assert.equal(lib.symbols.drun_close(-1), -9);
    lib.close();
  } finally {
    if (prev === undefined) Deno.env.delete("XDG_CACHE_HOME");
    else Deno.env.set("XDG_CACHE_HOME", prev);
    Deno.removeSync(cache, { recursive: true });
  }
});
