/**
 * containerd drives drun: `ctr run --runc-binary bin/drun` against `--runc-binary runc`,
 * same exit codes and output. containerd listens on a private socket with its root and
 * state in a temp dir (scripts/setup_clients.sh containerd-start), in a private mount
 * namespace; the image is an OCI layout tarball built here; containers get containerd's
 * default private network namespace (only lo) and cgroups under this test's own cgroup.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  busyboxTarball,
  CgroupScope,
  compareScenarios,
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
  WRAPPER,
} from "./common.ts";

const IMAGE = "localhost/busybox:latest";
const NS = "drun-test";
type Runtime = "runc" | "drun";

interface Ctx {
  ctr: string;
  scope: CgroupScope;
  state: string;
  runc: string;
}

function ctr(ctx: Ctx, args: string[]) {
  return sh([ctx.ctr, "-n", NS, ...args]);
}

/** `ctr run` options selecting the runtime, its state root and the cgroup. */
function runtimeFlags(ctx: Ctx, rt: Runtime, id: string): string[] {
  return [
    "--runc-binary",
    rt === "drun" ? WRAPPER : ctx.runc,
    "--runc-root",
    join(ctx.state, rt),
    "--cgroup",
    join(ctx.scope.path, id),
  ];
}

function line(step: string, r: Result): string {
  // ctr reports a task's non-zero exit as a log line with a timestamp: keep the code.
  const warn = /exit code (\d+)/.exec(r.stderr);
  return `${step}: code=${r.code} out=${JSON.stringify(r.stdout)}` +
    (warn ? ` exit-code-warning=${warn[1]}` : "");
}

const scenarios: Scenario<Ctx>[] = [
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
    name: "run -d, task exec, ps, pause/resume, kill, delete",
    expect:
      /exec: code=5 out="in-exec\\n"[^]*ps: 2 pids[^]*paused: PAUSED[^]*resumed: RUNNING[^]*stopped: true\ntask delete: code=0 out="" exit-code-warning=3\ncontainer delete: code=0/,
    async run(ctx, rt) {
      const id = `lc-${rt}`;
      const out: string[] = [];
      const status = async () => {
        const ls = (await ctr(ctx, ["task", "ls"])).stdout;
        return new RegExp(`^${id}\\s+\\d+\\s+(\\w+)`, "m").exec(ls)?.[1] ?? "none";
      };
      const script = 'trap "exit 3" TERM; while :; do sleep 0.1; done';
      const d = await ctr(ctx, [
        "run",
        "-d",
        ...runtimeFlags(ctx, rt, id),
        IMAGE,
        id,
        "sh",
        "-c",
        script,
      ]);
      out.push(line("run -d", d));
      out.push(`running: ${await until(async () => await status() === "RUNNING")}`);
      const pid = Number(
        /^\S+\s+(\d+)/m.exec(
          (await ctr(ctx, ["task", "ls"])).stdout.split("\n").find((l) => l.startsWith(id)) ?? "",
        )?.[1],
      );
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
      const ps = await ctr(ctx, ["task", "ps", id]);
      // pid 1's shell and the loop's sleep, which comes and goes.
      out.push(`ps: ${ps.code === 0 && ps.stdout.includes(String(pid)) ? "2 pids" : ps.stdout}`);
      out.push(line("pause", await ctr(ctx, ["task", "pause", id])));
      out.push(`paused: ${await status()}`);
      out.push(line("resume", await ctr(ctx, ["task", "resume", id])));
      out.push(`resumed: ${await status()}`);
      out.push(line("kill", await ctr(ctx, ["task", "kill", "-s", "SIGTERM", id])));
      out.push(`stopped: ${await until(async () => await status() === "STOPPED")}`);
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
        [ctx.ctr, "-n", NS, "run", "-t", "--rm", ...runtimeFlags(ctx, rt, id), IMAGE, id, "sh"],
        "echo in-tty-$((6*7)); tty; exit 4\n",
        { timeoutMs: 15_000 },
      );
      const shown = r.stdout.split("\n").filter((l) => /^(in-tty-|\/dev\/pts\/)/.test(l));
      return `code=${r.code} ${shown.join(",")}`;
    },
  },
];

Deno.test({
  name: "containerd (ctr) with drun and runc: same exit codes and output",
  sanitizeResources: false,
  async fn(t) {
    await ensureClients();
    const dir = Deno.makeTempDirSync({ prefix: "drun-containerd-" });
    const engine = join(dir, "engine");
    const scope = new CgroupScope("drun-containerd");
    const ctx: Ctx = {
      ctr: "",
      scope,
      state: join(dir, "runtime-state"),
      runc: (await must(["sh", "-c", "command -v runc"])).trim(),
    };
    try {
      ctx.ctr = (await must(["bash", SETUP, "containerd-start", engine])).trim();
      const { tar } = await busyboxTarball(dir);
      await must([ctx.ctr, "-n", NS, "image", "import", await ociImageTarball(dir, tar, IMAGE)]);
      await compareScenarios(t, scenarios, ctx);
    } finally {
      if (ctx.ctr) {
        // Tasks and containers left by a failed step, then the image and snapshots.
        for (const id of (await ctr(ctx, ["container", "ls", "-q"])).stdout.split("\n")) {
          if (!id) continue;
          await ctr(ctx, ["task", "delete", "--force", id]);
          await ctr(ctx, ["container", "delete", id]);
        }
        await ctr(ctx, ["image", "rm", IMAGE]);
      }
      await sh(["bash", SETUP, "containerd-stop", engine]);
      // What a hung step can leave: shims (they outlive containerd) and container processes.
      killMentioning(engine);
      scope.killAll();
      const left = await scope.cleanup();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
      assert.deepEqual(left, [], "cgroups left behind");
    }
  },
});
