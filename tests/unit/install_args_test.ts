import assert from "node:assert/strict";
import { installPaths, parseInstallArgs } from "../../scripts/install.ts";
import { launcherScript } from "../../scripts/launcher.ts";

Deno.test("install: --prefix in both forms, /usr/local by default, one line on bad input", () => {
  assert.equal(parseInstallArgs([]).prefix, "/usr/local");
  assert.equal(parseInstallArgs(["--prefix", "/opt/d"]).prefix, "/opt/d");
  assert.equal(parseInstallArgs(["--prefix=/opt/d", "--deno=/x/deno"]).deno, "/x/deno");
  assert.throws(() => parseInstallArgs(["--prefix"]), /^Error: --prefix: needs a value$/);
  assert.throws(() => parseInstallArgs(["--bogus"]), /^Error: unknown argument --bogus /);
  assert.equal(installPaths("/opt/d/").launcher, "/opt/d/bin/drun");
});

Deno.test("launcher: absolute paths only, quoted for sh", () => {
  assert.throws(
    () => launcherScript({ deno: "deno", entry: "/x/drun.js" }),
    /^Error: deno: must be an absolute path, got deno$/,
  );
  const text = launcherScript({ deno: "/o'd/deno", entry: "/x/drun.js" });
  assert.match(text, /^exec '\/o'\\''d\/deno' run .* '\/x\/drun\.js' "\$@"$/m);
});
