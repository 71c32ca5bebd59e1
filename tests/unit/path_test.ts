/**
 * lib/path.ts gives the results of node:path for the paths drun builds: the runtime uses it
 * instead of node:path so that short commands do not start Deno's Node compatibility layer.
 */
import * as node from "node:path";
import { basename, dirname, isAbsolute, join, normalize, resolve } from "../../lib/path.ts";

const PATHS = [
  "",
  ".",
  "..",
  "/",
  "//",
  "///a",
  "a",
  "a/",
  "a//b",
  "/a//b/",
  "/a/b/../c",
  "../a/../../b",
  "a/./b/.",
  "/..",
  "/../a",
  "./",
  "a/..",
  "a/../",
  "/sys/fs/cgroup/memory/",
  "/run/drun/c1/exec.fifo",
  "rootfs",
  "bundle/../rootfs/",
];

function eq(a: unknown, b: unknown, what: string) {
  if (a !== b) throw new Error(`${what}: ${JSON.stringify(a)} !== node's ${JSON.stringify(b)}`);
}

Deno.test("normalize, dirname and isAbsolute agree with node:path", () => {
  for (const p of PATHS) {
    eq(normalize(p), node.normalize(p), `normalize(${JSON.stringify(p)})`);
    eq(dirname(p), node.dirname(p), `dirname(${JSON.stringify(p)})`);
    eq(isAbsolute(p), node.isAbsolute(p), `isAbsolute(${JSON.stringify(p)})`);
  }
});

Deno.test("join and resolve agree with node:path on pairs and triples", () => {
  for (const a of PATHS) {
    for (const b of PATHS) {
      eq(join(a, b), node.join(a, b), `join(${JSON.stringify(a)}, ${JSON.stringify(b)})`);
      eq(resolve(a, b), node.resolve(a, b), `resolve(${JSON.stringify(a)}, ${JSON.stringify(b)})`);
      eq(join(a, b, "x"), node.join(a, b, "x"), `join(${a}, ${b}, x)`);
    }
  }
  eq(join(), node.join(), "join()");
  eq(resolve(), node.resolve(), "resolve()");
});

Deno.test("basename agrees with node:path", () => {
  for (const p of [...PATHS, "/run/drun/c1/", "c1", "", "a/b//", "/pid.file"]) {
    eq(basename(p), node.basename(p), `basename(${JSON.stringify(p)})`);
  }
});
