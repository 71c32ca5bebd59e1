/**
 * podman drives drun: every scenario runs once with runc and once with drun (both behind
 * the same podman, conmon and image) and must give the same exit codes and output. Podman
 * keeps everything under a temp dir (scripts/setup_clients.sh podman-start), runs in a
 * private mount namespace, gives containers no network, and puts their cgroups under this
 * test's own cgroup.
 *
 * drun is the launcher `deno task install` writes, and the suite runs with this checkout's
 * `.tools/` off PATH: what an engine on a machine with drun installed sees.
 *
 * Known gaps run too and print what each runtime did, without failing the suite; each names
 * the drun change it waits for (docs/clients.md lists them).
 */
import "../e2e/needs_root.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import { installDrun, pathWithoutTools } from "../helpers.ts";
import {
  busyboxTarball,
  CgroupScope,
  compareScenarios,
  ensureClients,
  killMentioning,
  must,
  normalize,
  PROFILE,
  ptySession,
  type Result,
  type Scenario,
  SETUP,
  sh,
  until,
} from "./common.ts";

const IMAGE = "localhost/busybox";
type Runtime = "runc" | "drun";

interface Ctx {
  podman: string;
  scope: CgroupScope;
  dir: string;
}

/** podman with a runtime; run/create also get the cgroup parent and no network. */
function pm(ctx: Ctx, rt: Runtime, args: string[], opts: { timeoutMs?: number } = {}) {
  const [cmd, ...rest] = args;
  const extra = cmd === "run" || cmd === "create"
    ? ["--network", "none", "--cgroup-parent", ctx.scope.path]
    : [];
  return sh([ctx.podman, "--runtime", rt, cmd, ...extra, ...rest], opts);
}

/** One line per step: what the step printed and its exit code. */
function line(step: string, r: Result, rt: Runtime): string {
  return `${step}: code=${r.code} out=${JSON.stringify(normalize(r.stdout, { [rt]: "RT" }))}`;
}

/** podman run --rm IMAGE ...cmd, as one transcript line. */
async function runRm(ctx: Ctx, rt: Runtime, flags: string[], cmd: string[]) {
  const r = await pm(ctx, rt, ["run", "--rm", ...flags, IMAGE, ...cmd]);
  return { text: line("run", r, rt), r };
}

const scenarios: Scenario<Ctx>[] = [
  {
    name: "run --rm: output and exit code",
    expect: /^run: code=7 out="hello\\n"$/,
    run: async (ctx, rt) => (await runRm(ctx, rt, [], ["sh", "-c", "echo hello; exit 7"])).text,
  },
  {
    name: "-d, logs, exec, top, ps, pause/unpause, inspect, stop, rm",
    expect: /exec: code=5 out="in-exec\\n0\\n"[^]*frozen: true[^]*exit code: code=0 out="3\\n"/,
    async run(ctx, rt) {
      const name = `lc-${rt}`;
      const out: string[] = [];
      const step = async (label: string, args: string[]) => {
        const r = await pm(ctx, rt, args);
        out.push(line(label, r, rt));
        return r;
      };
      const script = 'echo started; trap "echo bye; exit 3" TERM; while :; do sleep 0.1; done';
      const d = await pm(ctx, rt, ["run", "-d", "--name", name, IMAGE, "sh", "-c", script]);
      out.push(`run -d: code=${d.code}`);
      await until(async () => (await pm(ctx, rt, ["logs", name])).stdout.includes("started"));
      await step("logs", ["logs", name]);
      await step("exec", ["exec", name, "sh", "-c", "echo in-exec; id -u; exit 5"]);
      const top = await pm(ctx, rt, ["top", name, "pid", "user", "args"]);
      // The loop's `sleep` comes and goes; pid 1 and the header are stable.
      out.push(
        `top: code=${top.code} ${top.stdout.split("\n").filter((l) => /^(PID|1 )/.test(l))}`,
      );
      await step("ps", [
        "ps",
        "--filter",
        `name=${name}`,
        "--filter",
        "status=running",
        "--format",
        "{{.Names}}",
      ]);
      await step("pause", ["pause", name]);
      await step("status", ["inspect", "--format", "{{.State.Status}}", name]);
      const pid = Number(
        (await pm(ctx, rt, ["inspect", "--format", "{{.State.Pid}}", name])).stdout,
      );
      out.push(`frozen: ${/State:\s+D/.test(Deno.readTextFileSync(`/proc/${pid}/status`))}`);
      await step("unpause", ["unpause", name]);
      await step("status", ["inspect", "--format", "{{.State.Status}}", name]);
      await step("runtime", ["inspect", "--format", "{{.OCIRuntime}}", name]);
      await step("stop", ["stop", "-t", "10", name]);
      await step("exit code", ["inspect", "--format", "{{.State.ExitCode}}", name]);
      await step("logs", ["logs", name]);
      await step("rm", ["rm", name]);
      return out.join("\n");
    },
  },
  {
    name: "--memory 64m and --pids-limit 20 in the container's cgroup (read on the host)",
    expect: /memory=67108864 pids=20$/,
    async run(ctx, rt) {
      const name = `res-${rt}`;
      const r = await pm(ctx, rt, [
        "run",
        "-d",
        "--name",
        name,
        "--memory",
        "64m",
        "--pids-limit",
        "20",
        IMAGE,
        "sleep",
        "60",
      ]);
      const pid = Number(
        (await pm(ctx, rt, ["inspect", "--format", "{{.State.Pid}}", name])).stdout,
      );
      let text = `run -d: code=${r.code}`;
      if (pid > 0) {
        ctx.scope.assertContains(pid);
        text += ` memory=${CgroupScope.read(pid, "memory", "memory.limit_in_bytes")}` +
          ` pids=${CgroupScope.read(pid, "pids", "pids.max")}`;
      }
      await pm(ctx, rt, ["rm", "-f", "-t", "0", name]);
      return text;
    },
  },
  {
    name: "--cap-drop all --cap-add kill",
    expect: /CapEff:\\t0000000000000020[^]*chown=1/,
    run: async (ctx, rt) =>
      (await runRm(ctx, rt, ["--cap-drop", "all", "--cap-add", "kill"], [
        "sh",
        "-c",
        "grep Cap /proc/self/status; chown 1 /tmp 2>/dev/null; echo chown=$?",
      ])).text,
  },
  {
    name: "--read-only (with podman's tmpfs /tmp)",
    expect: /root=1\\ntmp=0/,
    run: async (ctx, rt) =>
      (await runRm(ctx, rt, ["--read-only"], [
        "sh",
        "-c",
        "touch /x 2>/dev/null; echo root=$?; touch /tmp/x; echo tmp=$?",
      ])).text,
  },
  {
    name: "--user 1000",
    expect: /uid=1000 /,
    run: async (ctx, rt) => (await runRm(ctx, rt, ["--user", "1000"], ["id"])).text,
  },
  {
    name: "--network none: only lo",
    expect: /out="lo\\n3\\n"/,
    run: async (ctx, rt) =>
      (await runRm(ctx, rt, [], ["sh", "-c", "ls /sys/class/net; wc -l < /proc/net/dev"])).text,
  },
  {
    name: "--security-opt seccomp=docker-default profile",
    expect: /Seccomp:\\t2\\nunshare=1/,
    run: async (ctx, rt) =>
      (await runRm(ctx, rt, ["--security-opt", `seccomp=${PROFILE}`], [
        "sh",
        "-c",
        "grep Seccomp: /proc/self/status; unshare -U true 2>/dev/null; echo unshare=$?",
      ])).text,
  },
  {
    name: "run -it under a pty: an interactive shell; exec -it too",
    expect: /^run -it: code=4 in-tty-42,\/dev\/pts\/0\nexec -it: code=9 \/dev\/pts\/0$/,
    async run(ctx, rt) {
      const base = [ctx.podman, "--runtime", rt];
      const it = await ptySession(
        [
          ...base,
          "run",
          "-it",
          "--rm",
          "--network",
          "none",
          "--cgroup-parent",
          ctx.scope.path,
          IMAGE,
          "sh",
        ],
        "echo in-tty-$((6*7)); tty; exit 4\n",
      );
      const name = `tty-${rt}`;
      await pm(ctx, rt, ["run", "-d", "--name", name, IMAGE, "sleep", "60"]);
      const ex = await ptySession([...base, "exec", "-it", name, "sh"], "tty; exit 9\n");
      await pm(ctx, rt, ["rm", "-f", "-t", "0", name]);
      const shown = (r: Result) =>
        r.stdout.split("\n").filter((l) => /^(in-tty-|\/dev\/pts\/)/.test(l)).join(",");
      return `run -it: code=${it.code} ${shown(it)}\nexec -it: code=${ex.code} ${shown(ex)}`;
    },
  },
  {
    name: "--device /dev/null:/dev/xnull (and --privileged, which lists every host device)",
    expect: /code=0 out="write=0\\n"/,
    run: async (ctx, rt) =>
      (await runRm(ctx, rt, ["--device", "/dev/null:/dev/xnull"], [
        "sh",
        "-c",
        "echo x > /dev/xnull; echo write=$?",
      ])).text,
  },
  {
    name: "--sysctl net.ipv4.ping_group_range (containers.conf's default for networked containers)",
    expect: /code=0 out="0\\t0\\n"/,
    run: async (ctx, rt) =>
      (await runRm(ctx, rt, ["--sysctl", "net.ipv4.ping_group_range=0 0"], [
        "cat",
        "/proc/sys/net/ipv4/ping_group_range",
      ])).text,
  },
  {
    name: "a directory as the command: 126 like a shell",
    expect: /^run: code=126$/,
    run: async (ctx, rt) => {
      const { r } = await runRm(ctx, rt, [], ["/etc"]);
      return `run: code=${r.code}`;
    },
  },
  {
    // Device nodes whose parent directory does not exist (/dev/net/tun) failed with ENOENT,
    // so --privileged (every host device) failed too.
    name: "--privileged and --device /dev/net/tun",
    expect: /^run: code=0 out="tun=c\\nok\\n"\nrun: code=0 out="tun=c\\n"$/,
    run: async (ctx, rt) => {
      const check = "test -c /dev/net/tun && echo tun=c";
      const priv = await runRm(ctx, rt, ["--privileged"], ["sh", "-c", `${check}; echo ok`]);
      const tun = await runRm(ctx, rt, ["--device", "/dev/net/tun"], ["sh", "-c", check]);
      return `${priv.text}\n${tun.text}`;
    },
  },
  {
    // "not found" wording made podman report 127 where runc's container gets another code:
    // podman maps the runtime's words, so drun's must lead it to the same one.
    name: "a non-executable file as the command: the same exit code as with runc",
    expect: /^run: code=\d+$/,
    run: async (ctx, rt) => {
      const { r } = await runRm(ctx, rt, [], ["/etc/passwd"]);
      return `run: code=${r.code}`;
    },
  },
  {
    name: "/sys/fs/cgroup inside the container shows the container's own cgroup",
    expect: /out="67108864\\n"/,
    run: async (ctx, rt) =>
      (await runRm(ctx, rt, ["--memory", "64m"], [
        "cat",
        "/sys/fs/cgroup/memory/memory.limit_in_bytes",
      ])).text,
  },
];

Deno.test({
  name: "podman with drun and runc: same exit codes and output",
  sanitizeResources: false,
  async fn(t) {
    await ensureClients();
    const dir = Deno.makeTempDirSync({ prefix: "drun-podman-" });
    const scope = new CgroupScope("drun-podman");
    const ctx: Ctx = { podman: "", scope, dir };
    const path = Deno.env.get("PATH");
    try {
      const launcher = await installDrun(join(dir, "install"));
      // Every process from here on (podman, conmon, the runtime) sees no .tools/.
      Deno.env.set("PATH", pathWithoutTools());
      Deno.env.set("DRUN_LAUNCHER", launcher);
      ctx.podman = (await must(["bash", SETUP, "podman-start", join(dir, "engine")])).trim();
      assert.match(
        Deno.readTextFileSync(join(dir, "engine/bin/drun")),
        new RegExp(`exec ${launcher} `),
      );
      const { tar } = await busyboxTarball(dir);
      await must([ctx.podman, "import", "--change", 'CMD ["/bin/sh"]', tar, IMAGE]);
      await compareScenarios(t, scenarios, ctx);
    } finally {
      Deno.env.delete("DRUN_LAUNCHER");
      if (path !== undefined) Deno.env.set("PATH", path);
      await sh(["bash", SETUP, "podman-stop", join(dir, "engine")]);
      // What a hung step can leave: conmon and container processes.
      killMentioning(join(dir, "engine"));
      scope.killAll();
      const left = await scope.cleanup();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
      assert.deepEqual(left, [], "cgroups left behind");
    }
  },
});
