/**
 * The commands engines call several times per container, each a new process, against a bare
 * `deno run` of an empty file (the floor of any Deno program) and against runc and crun: per
 * round one container whose probe sleeps is created (not timed), then `state`, `list`,
 * `start`, `kill CONT` (harmless to the probe), `kill KILL` and `delete` are timed one by
 * one; `state` of a missing id and `--version` too. Also the modules each drun command
 * evaluates (bench/lib/modules.ts).
 * @module
 */
import { add, type CaseResult, metric, newCase } from "../lib/report.ts";
import { deleteAll, probeSpec, type Rt, withEnv } from "../lib/setup.ts";
import { check, cpuTimed, runTimed } from "../lib/proc.ts";
import { commandRoots, evaluatedModules } from "../lib/modules.ts";
import { type Ctx, interleave, waitExit } from "./common.ts";

/** The short-command case. */
export async function shortCase(ctx: Ctx): Promise<CaseResult> {
  const { ws, counts } = ctx;
  const rts = ws.pick(["drun", "drun-bundle", "drun-split", "runc", "crun"]);
  const c = newCase("short", "Short commands, each a new process, against bare Deno", [
    ...rts.map((rt) => ({ key: rt.name, label: rt.label })),
    { key: "deno", label: "deno run (empty file)" },
  ]);
  c.ratios = [["drun", "deno"], ["drun-bundle", "deno"], ["drun-split", "deno"], ["drun", "runc"]];
  const spec = probeSpec(ws.rootfs, ["sleep", "30"]);
  const bundles = new Map(rts.map((rt) => [rt.name, ws.bundle(rt, "short", spec)]));
  const opts = { cwd: ws.dir };
  const empty = ws.path("empty.js");
  Deno.writeTextFileSync(empty, "");
  const bare = [Deno.execPath(), "run", "-A", "--quiet", "--no-config", empty];
  const rows = ["state", "list", "start", "kill CONT", "kill KILL", "delete"];
  const n = counts.n;
  ctx.log(`short commands x${n}`);
  // Wall and CPU time of each command (bash's time); a failure is rerun to show its message.
  const record = (label: string, col: string, r: { ms: number; cpuMs: number }) => {
    add(metric(c, label, "ms"), col, r.ms);
    add(metric(c, `${label}, CPU (user + sys)`, "ms"), col, r.cpuMs);
  };
  const timed = async (rt: Rt, label: string, args: string[], ok = true) => {
    const r = await cpuTimed(rt.argv(args), withEnv(rt, opts));
    if (ok && r.code !== 0) check(await runTimed(rt.argv(args), withEnv(rt, opts)), label);
    record(label, rt.name, r);
  };
  await interleave(c, rts, n + 1, async (rt, i) => {
    if (i === 0) { // warm-up round: the same commands, not recorded
      await runTimed(rt.argv(["state", "none"]), withEnv(rt, opts));
    }
    const id = ws.id(rt);
    const pidFile = ws.path(`${id}.pid`);
    check(
      await runTimed(
        rt.argv(["create", "--bundle", bundles.get(rt.name)!, "--pid-file", pidFile, id]),
        withEnv(rt, opts),
      ),
      `${rt.name} create`,
    );
    const pid = Number(Deno.readTextFileSync(pidFile).trim());
    const cmds: [string, string[]][] = [
      ["state", ["state", id]],
      ["list", ["list"]],
      ["start", ["start", id]],
      ["kill CONT", ["kill", id, "CONT"]],
      ["kill KILL", ["kill", id, "KILL"]],
    ];
    for (const [label, args] of cmds) {
      if (i === 0) check(await runTimed(rt.argv(args), withEnv(rt, opts)), `${rt.name} ${label}`);
      else await timed(rt, label, args);
    }
    await waitExit(pid);
    if (i === 0) check(await runTimed(rt.argv(["delete", id]), withEnv(rt, opts)), "delete");
    else await timed(rt, "delete", ["delete", id]);
    if (i > 0) {
      await timed(rt, "state of a missing id", ["state", `${id}-missing`], false);
      await timed(rt, "--version", ["--version"]);
      // The floor, in the same rounds.
      if (rt === rts[0]) {
        for (const label of [...rows, "state of a missing id", "--version"]) {
          const r = await cpuTimed(bare, opts);
          if (r.code !== 0) check(await runTimed(bare, opts), "deno run (empty file)");
          record(label, "deno", r);
        }
      }
    }
  }, ctx.log);
  for (const rt of rts) c.errors.push(...await deleteAll(rt));

  const mods = metric(c, "modules evaluated (drun's own + node:)", "count", true);
  for (const cmd of ["state", "list", "start", "kill", "delete", "run"]) {
    const m = await evaluatedModules(commandRoots(cmd));
    const nodes = m.filter((x) => x.startsWith("node:"));
    c.notes.push(`${cmd}: ${m.length} modules${nodes.length ? ` (${nodes.join(", ")})` : ""}`);
    if (cmd === "state") add(mods, "drun", m.length);
  }
  c.notes.push(
    "The bare-Deno column runs `deno run -A --quiet --no-config` of an empty file once per " +
      "row in each round, next to the drun commands; drun/deno is the ratio of medians. " +
      "Wall and CPU times come from bash's `time` around each command (the CPU rows: user + " +
      "system time of the command and the children it waited for, from getrusage). " +
      "The container's probe sleeps, so `start` and `kill` act on a live process.",
  );
  return c;
}
