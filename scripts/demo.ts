/**
 * `deno task demo`: builds a tiny bundle (the committed probe as its only program) and runs
 * it with drun, printing what the container saw. Needs root, Linux and nothing but Deno.
 * @module
 */
import { join } from "node:path";
import { defaultSpec, Runtime } from "../mod.ts";

const here = new URL("..", import.meta.url).pathname;
const dir = Deno.makeTempDirSync({ prefix: "drun-demo-" });
try {
  const rootfs = join(dir, "rootfs");
  for (const d of ["proc", "dev", "sys", "tmp"]) {
    Deno.mkdirSync(join(rootfs, d), { recursive: true });
  }
  Deno.copyFileSync(join(here, "zig/out/probe"), join(rootfs, "probe"));
  Deno.chmodSync(join(rootfs, "probe"), 0o755);
  const spec = defaultSpec({ args: ["/probe", "report"] });
  spec.process!.terminal = false;
  spec.hostname = "drun-demo";
  Deno.writeTextFileSync(join(dir, "config.json"), JSON.stringify(spec, null, 2));
  console.log(`bundle: ${dir}`);

  const rt = new Runtime(join(dir, "state"));
  const c = await rt.create("demo", { bundle: dir });
  console.log(`created: pid ${c.state().pid}, status ${c.state().status}`);
  await c.start();
  const status = await c.wait();
  console.log(`exited: ${status.code}`);
  await c.delete();
} finally {
  Deno.removeSync(dir, { recursive: true });
}
