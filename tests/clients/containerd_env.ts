/**
 * A private containerd for the ctr suites (containerd_test.ts, shim_ctr_test.ts; the CRI one,
 * shim_cri_test.ts, too) and the scenarios both run: its socket, root and state in a temp dir,
 * in a private mount namespace (scripts/setup_clients.sh), the busybox image imported, cgroups
 * under this test's own; and everything removed afterwards.
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  busyboxTarball,
  CgroupScope,
  ensureClients,
  killMentioning,
  must,
  ociImageTarball,
  PROFILE,
  ptySession,
  type Result,
  type Scenario,
  SETUP,
  sh,
  until,
} from "./common.ts";

/** The image every scenario runs. */
export const IMAGE = "localhost/busybox:latest";

/** One running private containerd. */
export interface ContainerdEnv {
  /** A ctr bound to it. */
  ctr: string;
  /** Its directory (socket, root, state). */
  engine: string;
  /** The containerd namespace the scenarios use. */
  ns: string;
  /** The cgroup subtree containers go to. */
  scope: CgroupScope;
  /** Where runtimes keep their state (per runtime subdirectories). */
  state: string;
  /** runc's path. */
  runc: string;
}

/** Runs `ctr -n <ns> args...`. */
export function ctrIn(env: ContainerdEnv, args: string[], timeoutMs = 60_000): Promise<Result> {
  return sh([env.ctr, "-n", env.ns, ...args], { timeoutMs });
}

/** One transcript line of a ctr call: its code, stdout and the exit code ctr logged. */
export function ctrLine(step: string, r: Result): string {
  // ctr reports a task's non-zero exit as a log line with a timestamp: keep the code.
  const warn = /exit code (\d+)/.exec(r.stderr);
  return `${step}: code=${r.code} out=${JSON.stringify(r.stdout)}` +
    (warn ? ` exit-code-warning=${warn[1]}` : "");
}

/** A task's status in `ctr task ls` (RUNNING, PAUSED, STOPPED; none when absent). */
export async function taskStatus(env: ContainerdEnv, id: string): Promise<string> {
  const ls = (await ctrIn(env, ["task", "ls"])).stdout;
  return new RegExp(`^${id}\\s+\\d+\\s+(\\w+)`, "m").exec(ls)?.[1] ?? "none";
}

/** A task's pid in `ctr task ls` (0 when absent). */
export async function taskPid(env: ContainerdEnv, id: string): Promise<number> {
  const ls = (await ctrIn(env, ["task", "ls"])).stdout;
  return Number(new RegExp(`^${id}\\s+(\\d+)`, "m").exec(ls)?.[1] ?? 0);
}

/** The two runtimes a ctr suite compares. */
export type Runtime = "runc" | "drun";

/** `ctr run` flags selecting a runtime and the container's cgroup. */
export type RuntimeFlags = (env: ContainerdEnv, rt: Runtime, id: string) => string[];

/** `ctr run -d` of `args` (extra: flags before the runtime's), waiting until it runs. */
export async function runDetached(
  ctx: ContainerdEnv,
  flags: RuntimeFlags,
  rt: Runtime,
  id: string,
  args: string[],
  extra: string[] = [],
): Promise<string[]> {
  const d = await ctrIn(ctx, ["run", "-d", ...extra, ...flags(ctx, rt, id), IMAGE, id, ...args]);
  return [
    ctrLine("run -d", d),
    `running: ${await until(async () => await taskStatus(ctx, id) === "RUNNING")}`,
  ];
}

/**
 * The scenarios every ctr suite runs under both of its runtimes: run --rm, a detached
 * container's lifecycle (exec, ps, pause/resume, metrics, kill, delete), seccomp and
 * read-only, and an interactive terminal.
 */
export function ctrScenarios(runtimeFlags: RuntimeFlags): Scenario<ContainerdEnv>[] {
  const ctr = ctrIn;
  const line = ctrLine;
  return [
    {
      name: "ctr run --rm: output and exit code",
      expect: /^run: code=7 out="hello\\nlo\\n"$/,
      async run(ctx, rt) {
        const id = `run-${rt}`;
        const r = await ctr(ctx, [
          "run",
          "--rm",
          ...runtimeFlags(ctx, rt, id),
          IMAGE,
          id,
          "sh",
          "-c",
          "echo hello; ls /sys/class/net; exit 7",
        ]);
        return line("run", r);
      },
    },
    {
      name: "run -d, task exec, ps, pause/resume, metrics, kill, delete",
      expect:
        /exec: code=5 out="in-exec\\n"[^]*ps: 2 pids[^]*paused: PAUSED[^]*resumed: RUNNING[^]*memory.limit_in_bytes 67108864[^]*stopped: true\ntask delete: code=0 out="" exit-code-warning=3\ncontainer delete: code=0/,
      async run(ctx, rt) {
        const id = `lc-${rt}`;
        const out: string[] = [];
        const script = 'trap "exit 3" TERM; while :; do sleep 0.1; done';
        out.push(
          ...await runDetached(ctx, runtimeFlags, rt, id, ["sh", "-c", script], [
            "--memory-limit",
            String(64 << 20),
          ]),
        );
        const pid = await taskPid(ctx, id);
        if (pid > 0) ctx.scope.assertContains(pid);
        out.push(
          line(
            "exec",
            await ctr(ctx, [
              "task",
              "exec",
              "--exec-id",
              "e1",
              id,
              "sh",
              "-c",
              "echo in-exec; exit 5",
            ]),
          ),
        );
        out.push(
          line(
            "exec stderr",
            await ctr(ctx, ["task", "exec", "--exec-id", "e2", id, "sh", "-c", "echo oops >&2"]),
          ),
        );
        const ps = await ctr(ctx, ["task", "ps", id]);
        // pid 1's shell and the loop's sleep, which comes and goes.
        out.push(`ps: ${ps.code === 0 && ps.stdout.includes(String(pid)) ? "2 pids" : ps.stdout}`);
        out.push(line("pause", await ctr(ctx, ["task", "pause", id])));
        out.push(`paused: ${await taskStatus(ctx, id)}`);
        out.push(line("resume", await ctr(ctx, ["task", "resume", id])));
        out.push(`resumed: ${await taskStatus(ctx, id)}`);
        const m = await ctr(ctx, ["task", "metrics", id]);
        // The metric names and the limit; usage numbers differ from run to run.
        const metrics = m.stdout.split("\n").slice(3).map((l) => l.trim().split(/\s+/))
          .filter((f) => f[0]).map((f) =>
            f[0] === "memory.limit_in_bytes"
              ? f.join(" ")
              : `${f[0]} ${/^\[/.test(f[1]) ? "[n]" : "n"}`
          );
        out.push(`metrics: code=${m.code} ${metrics.join(", ")}`);
        out.push(line("kill", await ctr(ctx, ["task", "kill", "-s", "SIGTERM", id])));
        out.push(`stopped: ${await until(async () => await taskStatus(ctx, id) === "STOPPED")}`);
        out.push(line("task delete", await ctr(ctx, ["task", "delete", id])));
        out.push(line("container delete", await ctr(ctx, ["container", "delete", id])));
        return out.join("\n");
      },
    },
    {
      name: "--seccomp-profile docker-default, --read-only, --cap-drop",
      expect: /Seccomp:\\t2\\nunshare=1\\nroot=1\\nCapEff:\\t[0-9a-f]{16}\\n/,
      async run(ctx, rt) {
        const id = `sec-${rt}`;
        const r = await ctr(ctx, [
          "run",
          "--rm",
          "--seccomp",
          "--seccomp-profile",
          PROFILE,
          "--read-only",
          "--cap-drop",
          "CAP_CHOWN",
          ...runtimeFlags(ctx, rt, id),
          IMAGE,
          id,
          "sh",
          "-c",
          "grep Seccomp: /proc/self/status; unshare -U true 2>/dev/null; echo unshare=$?;" +
          " touch /x 2>/dev/null; echo root=$?; grep CapEff /proc/self/status",
        ]);
        return line("run", r);
      },
    },
    {
      // The shim reads the runtime's error from log.json; it said "unable to retrieve OCI
      // runtime error" when drun's exec of a missing binary failed.
      name: "task exec of a missing binary: the runtime's error reaches ctr",
      expect: /^exec: failed=true named=true unretrieved=false$/,
      async run(ctx, rt) {
        const id = `ex-${rt}`;
        await ctr(ctx, ["run", "-d", ...runtimeFlags(ctx, rt, id), IMAGE, id, "sleep", "30"]);
        const r = await ctr(ctx, ["task", "exec", "--exec-id", "e1", id, "/nonexistent"]);
        await ctr(ctx, ["task", "kill", "-s", "SIGKILL", id]);
        await until(async () => (await ctr(ctx, ["task", "delete", id])).code === 0);
        await ctr(ctx, ["container", "delete", id]);
        const text = r.stdout + r.stderr;
        return `exec: failed=${r.code !== 0} named=${text.includes("/nonexistent")} ` +
          `unretrieved=${text.includes("unable to retrieve OCI runtime error")}`;
      },
    },
    {
      name: "ctr run -t under a pty: an interactive shell",
      expect: /^code=4 in-tty-42,\/dev\/pts\/0$/,
      async run(ctx, rt) {
        const id = `tty-${rt}`;
        const r = await ptySession(
          [
            ctx.ctr,
            "-n",
            ctx.ns,
            "run",
            "-t",
            "--rm",
            ...runtimeFlags(ctx, rt, id),
            IMAGE,
            id,
            "sh",
          ],
          "echo in-tty-$((6*7)); tty; exit 4\n",
          { timeoutMs: 15_000 },
        );
        const shown = r.stdout.split("\n").filter((l) => /^(in-tty-|\/dev\/pts\/)/.test(l));
        return `code=${r.code} ${shown.join(",")}`;
      },
    },
  ];
}

/** What a CRI-enabled containerd needs besides the default setup. */
export interface CriOptions {
  /** TOML for the CRI plugin, given the test's temp dir; the plugin stays off without it. */
  criConfig?: (dir: string) => string;
  /** Also import busybox as this image with a long sleep as its entrypoint (the sandbox). */
  pauseImage?: string;
  /** A directory (given the test's temp dir) put first on containerd's PATH. */
  path?: (dir: string) => string;
}

/**
 * Starts a private containerd with the image imported, runs fn, then removes every task,
 * container, image, shim, container process and cgroup the run left, and fails if a cgroup
 * stays behind.
 */
export async function withContainerd(
  tag: string,
  ns: string,
  fn: (env: ContainerdEnv) => Promise<void>,
  opts: CriOptions = {},
): Promise<void> {
  await ensureClients();
  const dir = Deno.makeTempDirSync({ prefix: `${tag}-` });
  const engine = join(dir, "engine");
  const criConfig = opts.criConfig && join(dir, "cri.toml");
  if (criConfig) Deno.writeTextFileSync(criConfig, opts.criConfig!(dir));
  const scope = new CgroupScope(tag);
  const env: ContainerdEnv = {
    ctr: "",
    engine,
    ns,
    scope,
    state: join(dir, "runtime-state"),
    runc: (await must(["sh", "-c", "command -v runc"])).trim(),
  };
  try {
    const vars = [
      ...(criConfig ? [`CONTAINERD_CRI_CONFIG=${criConfig}`] : []),
      ...(opts.path ? [`PATH=${opts.path(dir)}:${Deno.env.get("PATH")}`] : []),
    ];
    env.ctr = (await must(["env", ...vars, "bash", SETUP, "containerd-start", engine])).trim();
    const { tar } = await busyboxTarball(dir);
    await must([env.ctr, "-n", ns, "image", "import", await ociImageTarball(dir, tar, IMAGE)]);
    if (opts.pauseImage) {
      // A pod sandbox's process: it only has to stay (and die on SIGKILL).
      const image = await ociImageTarball(dir, tar, opts.pauseImage, ["/bin/sleep", "100000"]);
      await must([env.ctr, "-n", ns, "image", "import", image]);
    }
    await fn(env);
  } finally {
    if (env.ctr) {
      // Tasks and containers left by a failed step, then the image and snapshots.
      for (const id of (await ctrIn(env, ["container", "ls", "-q"])).stdout.split("\n")) {
        if (!id) continue;
        await ctrIn(env, ["task", "delete", "--force", id]);
        await ctrIn(env, ["container", "delete", id]);
      }
      await ctrIn(env, ["image", "rm", IMAGE, ...(opts.pauseImage ? [opts.pauseImage] : [])]);
    }
    await sh(["bash", SETUP, "containerd-stop", engine]);
    // What a hung step can leave: shims (they outlive containerd) and container processes.
    killMentioning(engine);
    scope.killAll();
    const left = await scope.cleanup();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    assert.deepEqual(left, [], "cgroups left behind");
  }
}
