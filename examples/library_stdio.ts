/**
 * A container's stdio from the library: `run` capturing stdout and stderr apart, then a
 * long-lived container fed line by line through its stdin pipe, its answers read from its
 * stdout stream as they come. Needs root; makes a throw-away busybox rootfs unless given one.
 *
 * ```sh
 * deno run -A examples/library_stdio.ts [ROOTFS]
 * ```
 * @module
 */
import { defaultSpec, Runtime } from "../mod.ts"; // jsr:@drun/drun
import { exampleRootfs } from "./rootfs.ts";

const tmp = Deno.makeTempDirSync({ prefix: "drun-example-" });
const rootfs = exampleRootfs(tmp, Deno.args[0]);

const spec = defaultSpec({ args: ["/bin/sh", "-c", "echo out; echo err >&2"], terminal: false });
spec.root = { path: rootfs, readonly: true };

const rt = new Runtime(`${tmp}/state`);
try {
  // Foreground, as `runc run`: the container is deleted when it returns.
  console.log("run:", await rt.run(spec, { text: true })); // { code: 0, stdout: "out\n", ... }

  // A shell that answers each line it reads, until its stdin closes.
  spec.process!.args = ["/bin/sh", "-c", 'while read -r l; do echo "got $l"; done'];
  await using c = await rt.create("stdio", { spec, stdio: { stdin: "pipe", stdout: "pipe" } });
  await c.start();
  const lines = c.stdout!.pipeThrough(new TextDecoderStream()).getReader();
  const w = c.stdin!.getWriter();
  for (const word of ["one", "two"]) {
    await w.write(new TextEncoder().encode(`${word}\n`));
    console.log("answer:", (await lines.read()).value?.trim()); // "got one", then "got two"
  }
  await w.close();
  console.log("exit:", await c.wait()); // { code: 0 }
} finally {
  Deno.removeSync(tmp, { recursive: true });
}
