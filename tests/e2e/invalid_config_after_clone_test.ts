/**
 * Invalid configurations that fail inside the container's init, after clone, run in-process
 * through the library: the failure must name the field in one line, kill and reap the init (no
 * zombie, no child left) and leave no mount and no state behind.
 * @module
 */
import "./needs_root.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import type { Spec } from "../../lib/spec/types.ts";
import { Runtime } from "../../lib/runtime.ts";
import { type Bundle, makeProbeBundle, probeSpec, snapshot } from "../helpers.ts";
import { assertUnchanged, mountsUnder, nextMount } from "./invalid_config_helpers.ts";

let seq = 0;

/** Children of this process that are zombies (exited, not reaped). */
function zombieChildren(): number[] {
  const out: number[] = [];
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${e.name}/stat`);
      const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(rest[1]) === Deno.pid && (rest[0] === "Z" || rest[0] === "X")) {
        out.push(Number(e.name));
      }
    } catch { /* gone */ }
  }
  return out;
}

/** Live (non-zombie) children of this process. */
function liveChildren(): number[] {
  const out: number[] = [];
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${e.name}/stat`);
      const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(rest[1]) === Deno.pid && rest[0] !== "Z" && rest[0] !== "X") {
        out.push(Number(e.name));
      }
    } catch { /* gone */ }
  }
  return out;
}

const AFTER_CLONE: { name: string; setup: (s: Spec, b: Bundle) => string }[] = [
  {
    name: "args[0] missing from the rootfs",
    setup: (s) => {
      s.process!.args = ["/nonexistent"];
      return "process.args[0]";
    },
  },
  {
    name: "bind mount of a file onto a directory",
    setup: (s, b) => {
      Deno.writeTextFileSync(join(b.dir, "afile"), "x");
      Deno.mkdirSync(join(b.rootfs, "adir"));
      const i = nextMount(s);
      s.mounts!.push({ destination: "/adir", type: "bind", source: join(b.dir, "afile") });
      return `mounts[${i}]`;
    },
  },
];

for (const c of AFTER_CLONE) {
  // In-process through the library, so the container init is this test's own child: a
  // failure after clone must kill and reap it (no zombie) and leave no mount behind.
  Deno.test(`failure after clone leaves no zombie, process or mount: ${c.name}`, async () => {
    const spec = probeSpec();
    const b = makeProbeBundle(spec);
    try {
      const field = c.setup(spec, b);
      b.write(spec);
      const before = snapshot(b.root);
      const childrenBefore = liveChildren();
      const rt = new Runtime(b.root, () => {});
      const id = `inval-${Deno.pid}-clone-${++seq}`;
      await assert.rejects(
        rt.create(id, { bundle: b.dir }),
        (e: Error) => {
          assert.ok(e.message.startsWith(`${field}: `), e.message);
          assert.ok(!e.message.includes("\n"), e.message);
          return true;
        },
      );
      assert.deepEqual(zombieChildren(), [], "zombie children left behind");
      assert.deepEqual(liveChildren(), childrenBefore, "child processes left behind");
      assert.deepEqual(mountsUnder(b.dir), [], "mounts left behind");
      assertUnchanged(before, snapshot(b.root), b.dir);
      assert.deepEqual(rt.list(), []);
    } finally {
      await b.cleanup();
    }
  });
}
