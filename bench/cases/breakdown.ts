/**
 * Where drun's time goes in case 1, measured: Deno's start-up, module loading (checkout vs
 * dist/drun.js, and what in it costs most), and the phases of `run` from the runtime's own
 * DRUN_TIMING=1 marks (lib/runtime.ts), for the CLI and for the library.
 * @module
 */
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { add, type CaseResult, metric, newCase } from "../lib/report.ts";
import { deleteAll, notifyProfile, probeSpec, REPO, type Rt, withEnv } from "../lib/setup.ts";
import type { Spec } from "../../lib/spec/types.ts";
import { SeccompAgent } from "../../lib/agent/mod.ts";
import { NOTIFY_SYSCALL } from "./notify.ts";
import { check, runTimed } from "../lib/proc.ts";
import type { Ctx } from "./common.ts";

/** A DRUN_TIMING mark. */
interface Mark {
  phase: string;
  epoch: number;
  sinceOrigin: number;
}

/** Marks printed on stderr by a process run with DRUN_TIMING=1. */
export function parseMarks(stderr: string): Mark[] {
  const out: Mark[] = [];
  for (const line of stderr.split("\n")) {
    const m = /^drun-timing (\S+) ([\d.]+) ([\d.]+)$/.exec(line.trim());
    if (m) out.push({ phase: m[1], epoch: Number(m[2]), sinceOrigin: Number(m[3]) });
  }
  return out;
}

/** Phases of one container, from consecutive marks: [label, from, to]. */
const PHASES: [string, string, string][] = [
  ["spec: read + parse + validate config.json", "create", "spec"],
  ["seccomp: compile profile to BPF", "spec", "seccomp"],
  ["plan: build the op list", "seccomp", "plan"],
  ["launch: state dir, fifo, open libdrun, encode, clone", "plan", "clone"],
  ["cgroups: create, devices rules, join", "clone", "cgroups"],
  ["state.json, config copy, GO to the child", "cgroups", "go"],
  ["parent after clone: cgroups, state.json, GO", "clone", "go"],
  ["child setup until READY (mounts, pivot_root, ...)", "go", "ready"],
  ["state.json (created)", "ready", "created"],
  ["start: lock, release fifo", "start", "started"],
  ["exec + probe exit + reap", "started", "delete"],
  ["delete: lock, state dir removal", "delete", "deleted"],
];

/** The phases these marks delimit (clone→go only when there is no cgroups mark). */
function phases(at: Record<string, number>): [string, string, string][] {
  return PHASES.filter(([, a, b]) =>
    at[a] !== undefined && at[b] !== undefined &&
    !(a === "clone" && b === "go" && at.cgroups !== undefined)
  );
}

/** The breakdown tables. */
export async function breakdown(ctx: Ctx, bundleJs?: string): Promise<CaseResult[]> {
  const { ws, counts } = ctx;
  const n = counts.n;
  const deno = Deno.execPath();
  const cli = join(REPO, "cli.ts");
  const opts = { cwd: ws.dir };

  // 1. Start-up of each runtime doing nothing.
  const su = newCase("startup", "Start-up: a process that does nothing (`--version`)", [
    { key: "wall", label: "wall time" },
  ]);
  const empty = ws.path("empty.js");
  Deno.writeTextFileSync(empty, "");
  const startups: [string, string[]][] = [
    ["deno run -A (empty file)", [deno, "run", "-A", empty]],
    ["drun: deno run -A cli.ts --version", [deno, "run", "-A", cli, "--version"]],
    ...(bundleJs
      ? [["drun: deno run -A dist/drun.js --version", [
        deno,
        "run",
        "-A",
        bundleJs,
        "--version",
      ]]] as [
        string,
        string[],
      ][]
      : []),
    ["drun: cli.ts --version, --no-code-cache", [
      deno,
      "run",
      "-A",
      "--no-code-cache",
      cli,
      "--version",
    ]],
    ...ws.pick(["runc", "crun"]).map((rt): [string, string[]] => [
      `${rt.name} --version`,
      [rt.bin, "--version"],
    ]),
  ];
  ctx.log(`breakdown: start-up x${n}`);
  for (let i = 0; i < n; i++) {
    for (const [label, argv] of startups) {
      add(metric(su, label, "ms", true), "wall", check(await runTimed(argv, opts), label).ms);
    }
  }

  // 2. Module loading, each sequence in a fresh process.
  const im = newCase("imports", "Module loading inside Deno (dynamic import, fresh process)", [
    { key: "ms", label: "import time" },
  ]);
  const file = (p: string) => pathToFileURL(p).href;
  const builtins = ["node:path", "node:util", "node:url", "node:crypto"];
  const sequences: [string, string[], "last" | "first"][] = [
    ["Deno boot: spawn → first line of JS", ["node:path"], "first"],
    ["first node: builtin (node:path): Node compat layer", ["node:path"], "last"],
    [
      "node:crypto after node:path (used by lib/seccomp/cache.ts)",
      ["node:path", "node:crypto"],
      "last",
    ],
    ["mod.ts, cold (whole graph)", [file(join(REPO, "mod.ts"))], "last"],
    ["cli.ts, cold (whole graph)", [file(cli)], "last"],
    ["cli.ts with node: builtins already loaded (own code)", [...builtins, file(cli)], "last"],
    ...(bundleJs
      ? [
        ["dist/drun.js, cold", [file(bundleJs)], "last"],
        ["dist/drun.js with node: builtins already loaded", [...builtins, file(bundleJs)], "last"],
      ] as [string, string[], "last"][]
      : []),
  ];
  ctx.log(`breakdown: imports x${counts.small * 2}`);
  const importScript = join(REPO, "bench", "import_time.ts");
  for (let i = 0; i < counts.small * 2; i++) {
    for (const [label, seq, which] of sequences) {
      const r = check(
        await runTimed([deno, "run", "-A", importScript, ...seq], { ...opts, capture: true }),
        "import_time",
      );
      const o = JSON.parse(r.stdout) as {
        timeOrigin: number;
        start: number;
        steps: { ms: number }[];
      };
      const v = which === "first" ? o.timeOrigin + o.start - r.startEpoch : o.steps.at(-1)!.ms;
      add(metric(im, label, "ms", true), "ms", v);
    }
  }

  // First native call of a process: libdrun into a sealed memfd, dlopen it.
  const nativeScript = join(REPO, "bench", "native_time.ts");
  for (let i = 0; i < counts.small * 2; i++) {
    const r = check(
      await runTimed([deno, "run", "-A", nativeScript], { ...opts, capture: true }),
      "native_time",
    );
    const o = JSON.parse(r.stdout) as { verifyMs: number; dlopenMs: number };
    add(
      metric(im, "libdrun: decode + sealed memfd", "ms", true),
      "ms",
      o.verifyMs,
    );
    add(metric(im, "libdrun: Deno.dlopen with drun's symbols", "ms", true), "ms", o.dlopenMs);
  }

  // 3. The phases of `run`, from drun's own marks.
  const cols = [
    { key: "cli", label: "cli.ts" },
    ...(bundleJs ? [{ key: "bundle", label: "dist/drun.js" }] : []),
    ...(ctx.docker ? [{ key: "cli-seccomp", label: "cli.ts, Docker profile" }] : []),
  ];
  const ph = newCase("phases", "Phases of one `drun run` (DRUN_TIMING=1 marks)", cols);
  const drun = ws.runtimes.get("drun");
  const variants: { key: string; rt: Rt; bundle: string }[] = [];
  if (drun) {
    const plain = probeSpec(ws.rootfs, ["exit", "0"]);
    variants.push({ key: "cli", rt: drun, bundle: ws.bundle(drun, "plain", plain) });
    const b = ws.runtimes.get("drun-bundle");
    if (b) variants.push({ key: "bundle", rt: b, bundle: ws.bundle(b, "plain", plain) });
    if (ctx.docker) {
      const sec = probeSpec(ws.rootfs, ["exit", "0"]);
      sec.linux!.seccomp = ctx.docker;
      variants.push({ key: "cli-seccomp", rt: drun, bundle: ws.bundle(drun, "docker", sec) });
    }
  }
  ctx.log(`breakdown: phases x${n}`);
  const env = { DRUN_TIMING: "1" };
  for (let i = 0; i < n; i++) {
    for (const v of variants) {
      const r = check(
        await runTimed(
          v.rt.argv(["run", "--bundle", v.bundle, ws.id(v.rt)]),
          withEnv(v.rt, { ...opts, env }),
        ),
        `${v.key} run`,
      );
      const marks = parseMarks(r.stderr);
      if (!marks.length) {
        ph.errors.push("no DRUN_TIMING marks: lib/runtime.ts has no timing hooks");
        break;
      }
      const at = Object.fromEntries(marks.map((m) => [m.phase, m.epoch]));
      const origin = marks[0].epoch - marks[0].sinceOrigin;
      add(metric(ph, "Deno boot (spawn → JS timeOrigin)", "ms"), v.key, origin - r.startEpoch);
      add(
        metric(ph, "module load + CLI parsing (→ create)", "ms"),
        v.key,
        at.create - origin,
      );
      for (const [label, a, b] of phases(at)) add(metric(ph, label, "ms"), v.key, at[b] - at[a]);
      add(metric(ph, "process exit after delete", "ms"), v.key, r.endEpoch - at.deleted);
      add(metric(ph, "total (wall)", "ms"), v.key, r.ms);
    }
    if (ph.errors.length) break;
  }
  for (const v of variants) ph.errors.push(...await deleteAll(v.rt));

  // 4. The same phases in the library: the first container of a process, and the next ones,
  // with no seccomp, Docker's profile, and Docker's profile plus a NOTIFY rule (agent here).
  const lib = newCase("library-phases", "Phases in the library (one process, DRUN_TIMING=1)", [
    { key: "first", label: "first container" },
    { key: "later", label: "later containers" },
    { key: "later-docker", label: "later, Docker profile" },
    { key: "later-notify", label: "later, + NOTIFY and agent" },
  ]);
  if (drun) {
    const libRt = ws.drunAt("drun-phases");
    const socket = ws.path("phases-agent.sock");
    const agent = ctx.docker ? await SeccompAgent.listen(socket) : undefined;
    try {
      const plain = probeSpec(ws.rootfs, ["exit", "0"]);
      const runs: [string, Spec][] = [["plain", plain]];
      if (ctx.docker) {
        const d = probeSpec(ws.rootfs, ["exit", "0"]);
        d.linux!.seccomp = ctx.docker;
        const nt = probeSpec(ws.rootfs, ["exit", "0"]);
        nt.linux!.seccomp = notifyProfile(ctx.docker, NOTIFY_SYSCALL, socket);
        runs.push(["docker", d], ["notify", nt]);
      }
      for (const [name, spec] of runs) {
        ctx.log(`breakdown: library phases (${name})`);
        const r = check(
          await runTimed([
            deno,
            "run",
            "-A",
            join(REPO, "bench", "lib_loop.ts"),
            "--bundle",
            ws.bundle(drun, `phases-${name}`, spec),
            "--root",
            libRt.root,
            "--prefix",
            `drun-bench-phases-${name}-${Deno.pid}`,
            "--n",
            String(n + 1),
          ], { ...opts, capture: true, env }),
          "library loop",
        );
        const marks = parseMarks(r.stderr);
        let k = -1;
        const per: Record<string, number>[] = [];
        for (const m of marks) {
          if (m.phase === "create") per[++k] = {};
          if (k >= 0) per[k][m.phase] = m.epoch;
        }
        per.forEach((at, i) => {
          if (i === 0 && name !== "plain") return;
          const col = i === 0 ? "first" : name === "plain" ? "later" : `later-${name}`;
          for (const [label, a, b] of phases(at)) add(metric(lib, label, "ms"), col, at[b] - at[a]);
        });
      }
    } finally {
      await agent?.close();
    }
    lib.errors.push(...await deleteAll(libRt));
  }
  return [su, im, ph, lib];
}
