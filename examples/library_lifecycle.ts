/**
 * The Runtime API in one page: create a container from an in-memory spec (no config.json),
 * start it, wait for its exit status, delete it. Needs root and a rootfs; by default it makes
 * a throw-away one holding a static busybox.
 *
 * ```sh
 * deno run -A examples/library_lifecycle.ts [ROOTFS]
 * ```
 * @module
 */
import { defaultSpec, Runtime } from "../mod.ts"; // jsr:@drun/drun
import { exampleRootfs } from "./rootfs.ts";

const tmp = Deno.makeTempDirSync({ prefix: "drun-example-" });
const rootfs = exampleRootfs(tmp, Deno.args[0]);

// No terminal: the process writes to this program's own stdout.
const spec = defaultSpec({
  args: ["/bin/sh", "-c", "echo hello from $(hostname); exit 3"],
  terminal: false,
});
spec.hostname = "example";
spec.root = { path: rootfs, readonly: true };

const rt = new Runtime(`${tmp}/state`);
try {
  const c = await rt.create("example", { spec, bundle: tmp });
  console.log("created:", c.state().status, "pid", c.state().pid);
  await c.start();
  console.log("exited:", await c.wait()); // { code: 3 }
  await c.delete();
} finally {
  Deno.removeSync(tmp, { recursive: true });
}
