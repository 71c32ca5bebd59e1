/**
 * containerd drives drun through its own shim: `ctr run --runtime bin/containerd-shim-drun-v2`
 * (runtime type io.containerd.drun.v2) against containerd's runc shim with runc, same exit
 * codes and output. containerd runs privately as in containerd_test.ts (its socket, root and
 * state in a temp dir, in a private mount namespace with its own /run); containers get their
 * cgroups under this test's own cgroup. DRUN_SHIM_LAUNCHER runs the suite on an installed shim
 * (`deno task install`) instead of the checkout's.
 */
import "../e2e/needs_root.ts";
import { join } from "node:path";
import {
  cgroupsOf,
  compareScenarios,
  must,
  ptySession,
  REPO,
  type Result,
  type Scenario,
  sh,
  until,
} from "./common.ts";
import {
  type ContainerdEnv,
  ctrIn as ctr,
  ctrLine as line,
  ctrScenarios,
  IMAGE,
  runDetached as runDetachedWith,
  type Runtime,
  type RuntimeFlags,
  taskPid,
  taskStatus,
  withContainerd,
} from "./containerd_env.ts";

const NS = "drun-shim-test";
/** The shim: the checkout's launcher, or $DRUN_SHIM_LAUNCHER (one `deno task install` wrote). */
const SHIM = Deno.env.get("DRUN_SHIM_LAUNCHER") ?? join(REPO, "bin/containerd-shim-drun-v2");
type Ctx = ContainerdEnv;

/** `ctr run` options: the drun shim, or the runc shim with runc; and the cgroup. */
function runtimeFlags(ctx: Ctx, rt: Runtime, id: string): string[] {
  return flagsWithShim(SHIM)(ctx, rt, id);
}

/** runtimeFlags with the drun shim at `shim`. */
function flagsWithShim(shim: string): RuntimeFlags {
  return (ctx, rt, id) => {
    const runtime = rt === "drun"
      ? ["--runtime", shim]
      : ["--runc-binary", ctx.runc, "--runc-root", join(ctx.state, "runc")];
    return [...runtime, "--cgroup", join(ctx.scope.path, id)];
  };
}

/** `ctr run -d` under rt, waiting until it runs. */
function runDetached(ctx: Ctx, rt: Runtime, id: string, args: string[], extra: string[] = []) {
  return runDetachedWith(ctx, runtimeFlags, rt, id, args, extra);
}

/** SIGKILL, wait for STOPPED, delete task and container; the task delete's transcript line. */
async function killAndDelete(ctx: Ctx, id: string): Promise<string> {
  await ctr(ctx, ["task", "kill", "-s", "SIGKILL", id]);
  await until(async () => await taskStatus(ctx, id) === "STOPPED");
  const r = line("task delete", await ctr(ctx, ["task", "delete", id]));
  await ctr(ctx, ["container", "delete", id]);
  return r;
}

/** Pids of the shim processes serving this containerd (either kind). */
function shimPids(ctx: Ctx, rt: Runtime): number[] {
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

function shimCount(ctx: Ctx, rt: Runtime): number {
  return shimPids(ctx, rt).length;
}

/** Zombie children of pid. */
function zombiesOf(pid: number): number {
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

const scenarios: Scenario<Ctx>[] = [
  ...ctrScenarios(runtimeFlags),
  {
    name: "ctr run --rm of a process that exits at once, eight times",
    expect: /^(run: code=0 out=""\n){7}run: code=0 out=""$/,
    // The shim marked the init running after start returned, over the exit recorded
    // meanwhile: `true` then stayed RUNNING and its delete failed (about one run in five).
    async run(ctx, rt) {
      const out: string[] = [];
      for (let i = 0; i < 8; i++) {
        const id = `fast-${i}-${rt}`;
        out.push(
          line(
            "run",
            await ctr(ctx, ["run", "--rm", ...runtimeFlags(ctx, rt, id), IMAGE, id, "true"]),
          ),
        );
      }
      return out.join("\n");
    },
  },
  {
    name: "a missing executable: run and exec fail, the container and the next exec are fine",
    expect:
      /^run: code=1 out=""\nrun -d: code=0 out=""\nrunning: true\nexec: code=1 out=""\nexec again: code=4 out=""\ntask delete: code=0 out="" exit-code-warning=137$/,
    async run(ctx, rt) {
      const out = [
        line(
          "run",
          await ctr(ctx, [
            "run",
            "--rm",
            ...runtimeFlags(ctx, rt, `nx-${rt}`),
            IMAGE,
            `nx-${rt}`,
            "/nonexistent",
          ]),
        ),
      ];
      await ctr(ctx, ["container", "delete", `nx-${rt}`]);
      const id = `mx-${rt}`;
      out.push(...await runDetached(ctx, rt, id, ["sleep", "1000"]));
      out.push(
        line("exec", await ctr(ctx, ["task", "exec", "--exec-id", "e1", id, "/nonexistent"])),
      );
      out.push(
        line(
          "exec again",
          await ctr(ctx, ["task", "exec", "--exec-id", "e1", id, "sh", "-c", "exit 4"]),
        ),
      );
      out.push(await killAndDelete(ctx, id));
      return out.join("\n");
    },
  },
  {
    name: "stdin: what the client pipes in reaches the process",
    expect: /^run: code=0 out="piped first\\n"$/,
    async run(ctx, rt) {
      const id = `stdin-${rt}`;
      const r = await sh([
        ctx.ctr,
        "-n",
        NS,
        "run",
        "--rm",
        ...runtimeFlags(ctx, rt, id),
        IMAGE,
        id,
        "sh",
        "-c",
        // ctr does not end a task's stdin when its own ends (with either shim).
        'read -r a; read -r b; echo "$b $a"',
      ], { stdin: "first\npiped\n", timeoutMs: 20_000 });
      return line("run", r);
    },
  },
  {
    name: "kill -a SIGKILL, then delete",
    expect: /stopped: true\ntask delete: code=0 out="" exit-code-warning=137/,
    async run(ctx, rt) {
      const id = `kill-${rt}`;
      const out = await runDetached(ctx, rt, id, ["sleep", "1000"]);
      out.push(line("kill", await ctr(ctx, ["task", "kill", "-a", "-s", "SIGKILL", id])));
      out.push(`stopped: ${await until(async () => await taskStatus(ctx, id) === "STOPPED")}`);
      out.push(line("task delete", await ctr(ctx, ["task", "delete", id])));
      out.push(line("container delete", await ctr(ctx, ["container", "delete", id])));
      return out.join("\n");
    },
  },
  {
    name: "OOM: a process over --memory-limit is killed, exit 137",
    expect: /^run: code=137/,
    async run(ctx, rt) {
      const id = `oom-${rt}`;
      const r = await ctr(ctx, [
        "run",
        "--rm",
        "--memory-limit",
        String(32 << 20),
        ...runtimeFlags(ctx, rt, id),
        IMAGE,
        id,
        "sh",
        "-c",
        "echo start; tail /dev/zero",
      ]);
      return line("run", r);
    },
  },
  {
    name: "events: each task event once and in order, the OOM kill before its exit",
    expect:
      /^\/tasks\/create ev-a\n\/tasks\/start ev-a\n\/tasks\/exec-added e1\n\/tasks\/exec-started e1\n\/tasks\/exit e1 5\n\/tasks\/exit ev-a 137\n\/tasks\/delete ev-a 137\n\/tasks\/create ev-b\n\/tasks\/start ev-b\n\/tasks\/oom ev-b\n\/tasks\/exit ev-b 137\n\/tasks\/delete ev-b 137$/,
    // A watch that takes its baseline at start and stops without a last look missed the OOM
    // kill of a container that dies within its first poll (no /tasks/oom at all).
    async run(ctx, rt) {
      const [a, b] = [`ev-a-${rt}`, `ev-b-${rt}`];
      const events = new Deno.Command(ctx.ctr, {
        args: ["-n", NS, "events"],
        stdout: "piped",
        stderr: "null",
      }).spawn();
      let text = "";
      const reading = (async () => {
        const dec = new TextDecoder();
        for await (const chunk of events.stdout) text += dec.decode(chunk, { stream: true });
      })();
      // ctr events subscribes asynchronously: wait until it sees an event of its own making.
      await until(async () => {
        await ctr(ctx, ["namespace", "label", NS, `probe=${Date.now()}`]);
        return text.includes("/namespaces/update");
      });
      await runDetached(ctx, rt, a, ["sleep", "1000"]);
      await ctr(ctx, ["task", "exec", "--exec-id", "e1", a, "sh", "-c", "exit 5"]);
      await killAndDelete(ctx, a);
      await ctr(ctx, [
        "run",
        "--rm",
        "--memory-limit",
        String(32 << 20),
        ...runtimeFlags(ctx, rt, b),
        IMAGE,
        b,
        "sh",
        "-c",
        "tail /dev/zero",
      ]);
      await until(() => Promise.resolve(text.includes(`/tasks/delete {"container_id":"${b}"`)));
      events.kill("SIGKILL");
      await reading.catch(() => {});
      await events.status;
      return text.split("\n").flatMap((l) => {
        const m = / (\/tasks\/\S+) (\{.*\})$/.exec(l);
        if (!m) return [];
        const ev = JSON.parse(m[2]);
        const who = ev.exec_id ?? ev.id ?? ev.container_id;
        return [`${m[1]} ${who}${ev.exit_status !== undefined ? ` ${ev.exit_status}` : ""}`];
      }).join("\n").replaceAll(`-${rt}`, "");
    },
  },
  {
    name: "orphans of a container in the host's pid namespace are reaped by the shim",
    expect:
      /^run -d: code=0 out=""\nrunning: true\nzombies under the shim: 0\ntask delete: code=0 out="" exit-code-warning=137$/,
    // Its init's orphans go to the shim, the subreaper (a pid namespace of the container's
    // own would have its init reap them). Without the orphan reaper the shim kept them as
    // zombies for as long as it lived.
    async run(ctx, rt) {
      const id = `orphan-${rt}`;
      const hostPidNs = `pid:/proc/${
        Deno.readTextFileSync(join(ctx.engine, "holder.pid")).trim()
      }/ns/pid`;
      const script = "for i in 1 2 3; do (sleep 0.2 &); done; sleep 1000";
      const out = await runDetached(ctx, rt, id, ["sh", "-c", script], ["--with-ns", hostPidNs]);
      const [shim] = shimPids(ctx, rt);
      // The sleeps end after 0.2 s; the drun shim sweeps every second.
      await new Promise((r) => setTimeout(r, 1000));
      await until(() => Promise.resolve(zombiesOf(shim) === 0), 4000);
      out.push(`zombies under the shim: ${zombiesOf(shim)}`);
      out.push(await killAndDelete(ctx, id));
      return out.join("\n");
    },
  },
  {
    name: "a container in the host's pid namespace: its processes end with its init",
    expect: /^run -d: code=0 out=""\nrunning: true\nstopped: true\nleft in its cgroup: 0\n/,
    // The shim asked drun to kill a container whose init was already gone, which drun
    // refuses: the background sleep lived on until the delete.
    async run(ctx, rt) {
      const id = `hostpid-${rt}`;
      const hostPidNs = `pid:/proc/${
        Deno.readTextFileSync(join(ctx.engine, "holder.pid")).trim()
      }/ns/pid`;
      const script = "sleep 1000 & sleep 0.3; exit 0";
      const out = await runDetached(ctx, rt, id, ["sh", "-c", script], ["--with-ns", hostPidNs]);
      out.push(`stopped: ${await until(async () => await taskStatus(ctx, id) === "STOPPED")}`);
      const inCgroup = () =>
        [...Deno.readDirSync("/proc")].filter((e) => {
          try {
            return /^\d+$/.test(e.name) &&
              cgroupsOf(Number(e.name)).get("memory")?.endsWith(`/${id}`);
          } catch {
            return false;
          }
        }).length;
      await until(() => Promise.resolve(inCgroup() === 0), 3000);
      out.push(`left in its cgroup: ${inCgroup()}`);
      out.push(line("task delete", await ctr(ctx, ["task", "delete", id])));
      await ctr(ctx, ["container", "delete", id]);
      return out.join("\n");
    },
  },
  {
    name: "a shim killed under a running container: containerd's cleanup through `delete`",
    expect: /^run -d: code=0 out=""\nrunning: true\ninit gone: true\ntask: none\n/,
    async run(ctx, rt) {
      const id = `dead-${rt}`;
      const out = await runDetached(ctx, rt, id, ["sleep", "1000"]);
      const pid = await taskPid(ctx, id);
      const [shim] = shimPids(ctx, rt);
      Deno.kill(shim, "SIGKILL");
      // containerd sees the connection drop and runs `<shim> delete`, which removes the rest.
      const gone = () => {
        try {
          Deno.statSync(`/proc/${pid}`);
          return false;
        } catch {
          return true;
        }
      };
      out.push(`init gone: ${await until(() => Promise.resolve(gone()))}`);
      await until(async () => await taskStatus(ctx, id) === "none");
      out.push(`task: ${await taskStatus(ctx, id)}`);
      out.push(line("container delete", await ctr(ctx, ["container", "delete", id])));
      return out.join("\n");
    },
  },
  {
    name: "two containers of one pod (CRI sandbox id): one shim serves both",
    expect: /running: true\nshims: 1\n/,
    async run(ctx, rt) {
      const ids = [`pod-a-${rt}`, `pod-b-${rt}`];
      const out: string[] = [];
      for (const id of ids) {
        const pod = ["--annotation", `io.kubernetes.cri.sandbox-id=pod-${rt}`];
        out.push(...await runDetached(ctx, rt, id, ["sleep", "1000"], pod));
      }
      out.push(`shims: ${shimCount(ctx, rt)}`);
      // Without a stable cwd the pod's shim could not spawn after its first bundle went.
      for (const id of ids) out.push(await killAndDelete(ctx, id));
      // The pod's shim goes with its last container.
      out.push(`shims left: ${await until(() => Promise.resolve(shimCount(ctx, rt) === 0))}`);
      return out.join("\n");
    },
  },
  {
    name: "task exec -t: a terminal in a running container, sized as the client's (ResizePty)",
    expect: /\ncode=6 exec-tty-9,\/dev\/pts\/\d+,33 111\ntask delete: code=0/,
    async run(ctx, rt) {
      const id = `xtty-${rt}`;
      const started = await runDetached(ctx, rt, id, ["sleep", "1000"]);
      const exec = [ctx.ctr, "-n", NS, "task", "exec", "-t", "--exec-id", "t1", id, "sh"];
      const r = await ptySession(
        ["sh", "-c", `stty rows 33 cols 111; exec ${exec.join(" ")}`],
        "echo exec-tty-$((3*3)); tty; busybox stty size; exit 6\n",
        { timeoutMs: 15_000 },
      );
      const deleted = await killAndDelete(ctx, id);
      const shown = r.stdout.split("\n").filter((l) =>
        /^(exec-tty-|\/dev\/pts\/|\d+ \d+$)/.test(l)
      );
      return `${started.join("\n")}\ncode=${r.code} ${shown.join(",")}\n${deleted}`;
    },
  },
];

Deno.test({
  name: "containerd with the drun shim and with the runc shim: same exit codes and output",
  sanitizeResources: false,
  async fn(t) {
    await withContainerd("drun-shim", NS, (env) => compareScenarios(t, scenarios, env));
  },
});

Deno.test({
  name: "the shim `deno task install` writes: ctr run as with the runc shim",
  sanitizeResources: false,
  async fn(t) {
    const prefix = Deno.makeTempDirSync({ prefix: "drun-shim-install-" });
    try {
      await must([
        Deno.execPath(),
        "run",
        "-A",
        join(REPO, "scripts/install.ts"),
        "--prefix",
        prefix,
      ], {
        timeoutMs: 300_000,
      });
      const installed = ctrScenarios(flagsWithShim(join(prefix, "bin/containerd-shim-drun-v2")))
        .filter((s) => /^(ctr run --rm|run -d, task exec)/.test(s.name));
      await withContainerd("drun-shim-inst", NS, (env) => compareScenarios(t, installed, env));
    } finally {
      await Deno.remove(prefix, { recursive: true }).catch(() => {});
    }
  },
});

// --- CRI: containerd's Kubernetes plugin driven by crictl, with a `drun` runtime handler.

const PAUSE = "localhost/pause:latest";

/**
 * A CNI plugin for the test: eth0 (a veth whose peer stays in the pod too) with 10.88.0.2 and
 * lo, all inside the pod's network namespace, so nothing on the host changes. containerd's
 * CRI wants an address on eth0 before it runs a pod.
 */
const CNI_PLUGIN = `#!/bin/sh
case "$CNI_COMMAND" in
ADD)
  nsenter --net="$CNI_NETNS" sh -c "ip link add $CNI_IFNAME type veth peer name \${CNI_IFNAME}p &&
    ip addr add 10.88.0.2/24 dev $CNI_IFNAME && ip link set \${CNI_IFNAME}p up &&
    ip link set $CNI_IFNAME up" >&2 || exit 1
  printf '{"cniVersion":"0.4.0","interfaces":[{"name":"%s","sandbox":"%s"}],' "$CNI_IFNAME" "$CNI_NETNS"
  printf '"ips":[{"version":"4","address":"10.88.0.2/24","interface":0}]}' ;;
VERSION) printf '{"cniVersion":"0.4.0","supportedVersions":["0.3.0","0.3.1","0.4.0"]}' ;;
esac
`;

/**
 * The CRI plugin's configuration: runtime handlers runc and drun, the test's CNI. containerd
 * finds the drun shim by its name on PATH (1.6 ignores runtime_path for pod sandboxes).
 */
function criConfig(dir: string): string {
  Deno.mkdirSync(join(dir, "shim-bin"));
  Deno.symlinkSync(SHIM, join(dir, "shim-bin", "containerd-shim-drun-v2"));
  const bin = join(dir, "cni-bin");
  const conf = join(dir, "cni-conf");
  Deno.mkdirSync(bin, { recursive: true });
  Deno.mkdirSync(conf, { recursive: true });
  Deno.writeTextFileSync(join(bin, "drun-test-veth"), CNI_PLUGIN, { mode: 0o755 });
  Deno.symlinkSync("/usr/lib/cni/loopback", join(bin, "loopback"));
  Deno.writeTextFileSync(
    join(conf, "10-drun-test.conflist"),
    JSON.stringify({
      cniVersion: "0.4.0",
      name: "drun-test",
      plugins: [{ type: "drun-test-veth" }],
    }),
  );
  const cri = '[plugins."io.containerd.grpc.v1.cri"';
  return `
${cri}]
  sandbox_image = "${PAUSE}"
  disable_apparmor = true
  # The pod's -998 would need CAP_SYS_RESOURCE, which this machine's root may not have.
  restrict_oom_score_adj = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
${cri}.containerd]
  default_runtime_name = "runc"
${cri}.containerd.runtimes.runc]
  runtime_type = "io.containerd.runc.v2"
${cri}.containerd.runtimes.drun]
  runtime_type = "io.containerd.drun.v2"
${cri}.cni]
  bin_dir = "${bin}"
  conf_dir = "${conf}"
`;
}

interface CriCtx {
  env: ContainerdEnv;
  crictl: string;
  dir: string;
}

function crictl(ctx: CriCtx, args: string[]): Promise<Result> {
  return sh([
    ctx.crictl,
    "--runtime-endpoint",
    `unix://${join(ctx.env.engine, "containerd.sock")}`,
    "--timeout",
    "60s",
    ...args,
  ]);
}

async function crictlOut(ctx: CriCtx, args: string[]): Promise<string> {
  const r = await crictl(ctx, args);
  if (r.code !== 0) throw new Error(`crictl ${args.join(" ")}: ${r.stderr}`);
  return r.stdout.trim();
}

const criScenarios: Scenario<CriCtx>[] = [{
  name: "a pod sandbox and two containers sharing its network and ipc: exec, logs, stop, rm",
  expect:
    /^same net: true, same ipc: true, not the host's: true\nnet: eth0 eth0p lo\nexec: code=1 out="in-exec\\n" exit-code-warning=3\nlogs: out="hello-from-a\\n" err="err-a\\n"\nstop: 2\nexited: CONTAINER_EXITED 143, CONTAINER_EXITED 0\nrm: 2\npod gone: true\nshims left: true$/,
  async run(ctx, rt) {
    const out: string[] = [];
    const file = (name: string, v: unknown) => {
      const p = join(ctx.dir, `${name}-${rt}.json`);
      Deno.writeTextFileSync(p, JSON.stringify(v));
      return p;
    };
    const pod = file("pod", {
      metadata: { name: `pod-${rt}`, namespace: "default", uid: `uid-${rt}` },
      log_directory: join(ctx.dir, `logs-${rt}`),
      linux: { cgroup_parent: join(ctx.env.scope.path, `pod-${rt}`) },
    });
    const podId = await crictlOut(ctx, ["runp", "--runtime", rt, pod]);
    const container = async (name: string, command: string[]) => {
      const c = file(name, {
        metadata: { name },
        image: { image: IMAGE },
        command,
        log_path: `${name}.log`,
        linux: {},
      });
      const id = await crictlOut(ctx, ["create", podId, c, pod]);
      await crictlOut(ctx, ["start", id]);
      return id;
    };
    const a = await container("a", [
      "sh",
      "-c",
      "echo hello-from-a; echo err-a >&2; exec sleep 1000",
    ]);
    const b = await container("b", ["sh", "-c", "sleep 1 & wait; exit 0"]);
    const ns = (id: string) =>
      crictlOut(ctx, [
        "exec",
        id,
        "stat",
        "-L",
        "-c",
        "%i",
        "/proc/self/ns/net",
        "/proc/self/ns/ipc",
      ]);
    const [na, nb] = [await ns(a), await ns(b)].map((s) => s.split("\n"));
    const host = [Deno.statSync("/proc/self/ns/net").ino, Deno.statSync("/proc/self/ns/ipc").ino];
    out.push(
      `same net: ${na[0] === nb[0]}, same ipc: ${na[1] === nb[1]}, not the host's: ${
        Number(na[0]) !== host[0] && Number(na[1]) !== host[1]
      }`,
    );
    out.push(
      `net: ${(await crictlOut(ctx, ["exec", a, "ls", "/sys/class/net"])).split(/\s+/).join(" ")}`,
    );
    out.push(line("exec", await crictl(ctx, ["exec", a, "sh", "-c", "echo in-exec; exit 3"])));
    const logs = await crictl(ctx, ["logs", a]);
    out.push(`logs: out=${JSON.stringify(logs.stdout)} err=${JSON.stringify(logs.stderr)}`);
    // b ends by itself; a is stopped by SIGTERM.
    await until(async () =>
      (await crictlOut(ctx, [
        "inspect",
        "-o",
        "go-template",
        "--template",
        "{{.status.state}}",
        b,
      ])) ===
        "CONTAINER_EXITED"
    );
    const stop = await crictlOut(ctx, ["stop", "--timeout", "1", a, b]);
    out.push(`stop: ${stop.split("\n").length}`);
    const state = (id: string) =>
      crictlOut(ctx, [
        "inspect",
        "-o",
        "go-template",
        "--template",
        "{{.status.state}} {{.status.exitCode}}",
        id,
      ]);
    out.push(`exited: ${await state(a)}, ${await state(b)}`);
    out.push(`rm: ${(await crictlOut(ctx, ["rm", a, b])).split("\n").length}`);
    await crictlOut(ctx, ["stopp", podId]);
    await crictlOut(ctx, ["rmp", podId]);
    out.push(`pod gone: ${(await crictlOut(ctx, ["pods", "-q"])) === ""}`);
    out.push(
      `shims left: ${await until(() => Promise.resolve(shimCount(ctx.env, rt) === 0))}`,
    );
    return out.join("\n");
  },
}];

Deno.test({
  name: "containerd's CRI with a drun runtime handler and with runc: same pods",
  sanitizeResources: false,
  async fn(t) {
    const crictlPath = (await must(["bash", join(REPO, "scripts/setup_crictl.sh")], {
      timeoutMs: 1_800_000,
    })).trim();
    const dir = Deno.makeTempDirSync({ prefix: "drun-cri-files-" });
    try {
      await withContainerd(
        "drun-shim-cri",
        "k8s.io",
        (env) => compareScenarios(t, criScenarios, { env, crictl: crictlPath, dir }),
        { criConfig, pauseImage: PAUSE, path: (dir) => join(dir, "shim-bin") },
      );
    } finally {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});
