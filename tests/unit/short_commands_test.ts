/**
 * Engines call `state`, `kill`, `start`, `delete` and `list` several times per container, so
 * these commands must not evaluate what only `create`/`exec` need (the config validator, the
 * plan builder and encoder, the seccomp compiler, the launch conversation, the seccomp agent),
 * nor any `node:` built-in (the first one starts Deno's Node compatibility layer, ~5–7 ms).
 * The check walks the static value imports that Deno evaluates (bench/lib/modules.ts); it
 * fails on the code before lib/path.ts, lib/cgroup/frozen.ts, lib/spec/cpu_list.ts and the
 * lazy create modules in lib/runtime.ts (node:path everywhere, the validator through
 * cgroup/v1.ts, the whole launch path through lib/runtime.ts).
 */
import { commandRoots, evaluatedModules } from "../../bench/lib/modules.ts";

const SHORT = ["state", "kill", "start", "delete", "list"];
const CREATE_ONLY = [
  /^lib\/spec\/validate\.ts$/,
  /^lib\/plan\//,
  /^lib\/seccomp\//,
  /^lib\/launch\.ts$/,
  /^lib\/runtime\/(exec|steps)\.ts$/,
  /^lib\/agent\//,
];

for (const cmd of SHORT) {
  Deno.test(`${cmd} evaluates no node: built-in and no create-only module`, async () => {
    const mods = await evaluatedModules(commandRoots(cmd));
    const bad = mods.filter((m) => m.startsWith("node:") || CREATE_ONLY.some((r) => r.test(m)));
    if (bad.length) throw new Error(`${cmd} loads ${bad.join(", ")}`);
    if (!mods.includes(`cli/commands/${cmd}.ts`)) throw new Error(`${cmd}: graph not read`);
  });
}

Deno.test("state evaluates neither the Runtime nor the cgroup drivers", async () => {
  const mods = await evaluatedModules(commandRoots("state"));
  const bad = mods.filter((m) => m === "lib/runtime.ts" || m === "lib/cgroup/mod.ts");
  if (bad.length) throw new Error(`state loads ${bad.join(", ")}`);
});

Deno.test("create still evaluates the launch path once it runs (sanity of the walk)", async () => {
  const mods = await evaluatedModules(["lib/launch.ts"]);
  if (!mods.includes("lib/plan/encode.ts") && !mods.includes("lib/native/ffi.ts")) {
    throw new Error(`the walk found nothing under lib/launch.ts: ${mods.join(", ")}`);
  }
});
