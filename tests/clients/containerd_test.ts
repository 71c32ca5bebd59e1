/**
 * containerd drives drun: `ctr run --runc-binary bin/drun` against `--runc-binary runc`,
 * same exit codes and output. containerd listens on a private socket with its root and
 * state in a temp dir (scripts/setup_clients.sh containerd-start), in a private mount
 * namespace; the image is an OCI layout tarball built here; containers get containerd's
 * default private network namespace (only lo) and cgroups under this test's own cgroup.
 */
import "../e2e/needs_root.ts";
import { join } from "node:path";
import { compareScenarios, WRAPPER } from "./common.ts";
import {
  type ContainerdEnv,
  ctrScenarios,
  type Runtime,
  withContainerd,
} from "./containerd_env.ts";

const NS = "drun-test";

/** `ctr run` options selecting the runtime, its state root and the cgroup. */
function runtimeFlags(ctx: ContainerdEnv, rt: Runtime, id: string): string[] {
  return [
    "--runc-binary",
    rt === "drun" ? WRAPPER : ctx.runc,
    "--runc-root",
    join(ctx.state, rt),
    "--cgroup",
    join(ctx.scope.path, id),
  ];
}

const scenarios = ctrScenarios(runtimeFlags);

Deno.test({
  name: "containerd (ctr) with drun and runc: same exit codes and output",
  sanitizeResources: false,
  async fn(t) {
    await withContainerd("drun-containerd", NS, (env) => compareScenarios(t, scenarios, env));
  },
});
