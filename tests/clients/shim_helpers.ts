/**
 * What the drun shim suites share: the shim under test, `ctr run` flags for it or for the runc
 * shim, running and removing containers, and the shim processes and zombies a containerd has.
 * @module
 */
import { join } from "node:path";
import { REPO, until } from "./common.ts";
import {
  type ContainerdEnv,
  ctrIn as ctr,
  ctrLine as line,
  runDetached as runDetachedWith,
  type Runtime,
  type RuntimeFlags,
  taskStatus,
} from "./containerd_env.ts";

/** The containerd namespace of the ctr suites. */
export const NS = "drun-shim-test";
/** The shim: the checkout's launcher, or $DRUN_SHIM_LAUNCHER (one `deno task install` wrote). */
export const SHIM = Deno.env.get("DRUN_SHIM_LAUNCHER") ?? join(REPO, "bin/containerd-shim-drun-v2");
/** What a ctr scenario runs against: the private containerd. */
export type Ctx = ContainerdEnv;

/** `ctr run` options: the drun shim, or the runc shim with runc; and the cgroup. */
export function runtimeFlags(ctx: Ctx, rt: Runtime, id: string): string[] {
  return flagsWithShim(SHIM)(ctx, rt, id);
}

/** runtimeFlags with the drun shim at `shim`. */
export function flagsWithShim(shim: string): RuntimeFlags {
  return (ctx, rt, id) => {
    const runtime = rt === "drun"
      ? ["--runtime", shim]
      : ["--runc-binary", ctx.runc, "--runc-root", join(ctx.state, "runc")];
    return [...runtime, "--cgroup", join(ctx.scope.path, id)];
  };
}

/** `ctr run -d` under rt, waiting until it runs. */
export function runDetached(
  ctx: Ctx,
  rt: Runtime,
  id: string,
  args: string[],
  extra: string[] = [],
) {
  return runDetachedWith(ctx, runtimeFlags, rt, id, args, extra);
}

/** SIGKILL, wait for STOPPED, delete task and container; the task delete's transcript line. */
export async function killAndDelete(ctx: Ctx, id: string): Promise<string> {
  await ctr(ctx, ["task", "kill", "-s", "SIGKILL", id]);
  await until(async () => await taskStatus(ctx, id) === "STOPPED");
  const r = line("task delete", await ctr(ctx, ["task", "delete", id]));
  await ctr(ctx, ["container", "delete", id]);
  return r;
}

/** Pids of the shim processes serving this containerd (either kind). */
export function shimPids(ctx: Ctx, rt: Runtime): number[] {
  const pids: number[] = [];
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    try {
      const cmd = Deno.readTextFileSync(`/proc/${e.name}/cmdline`).split("\0");
      if (!cmd.includes(join(ctx.engine, "containerd.sock"))) continue;
      const drun = cmd.includes("serve") &&
        cmd.some((a) => a.endsWith("shim/main.ts") || a.endsWith("containerd-shim-drun-v2.js"));
      const runc = cmd.some((a) => a.endsWith("containerd-shim-runc-v2"));
      if (rt === "drun" ? drun : runc) pids.push(Number(e.name));
    } catch { /* gone */ }
  }
  return pids;
}

/** How many shims of that kind serve this containerd. */
export function shimCount(ctx: Ctx, rt: Runtime): number {
  return shimPids(ctx, rt).length;
}

/** Zombie children of pid. */
export function zombiesOf(pid: number): number {
  let n = 0;
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    try {
      const st = Deno.readTextFileSync(`/proc/${e.name}/stat`);
      const f = st.slice(st.lastIndexOf(")") + 2).split(" ");
      if (f[0] === "Z" && Number(f[1]) === pid) n++;
    } catch { /* gone */ }
  }
  return n;
}
