/**
 * containerd drives drun through its own shim: `ctr run --runtime bin/containerd-shim-drun-v2`
 * (runtime type io.containerd.drun.v2) against containerd's runc shim with runc, same exit
 * codes and output, with the checkout's shim and with the one `deno task install` writes.
 * containerd runs privately as in containerd_test.ts (its socket, root and state in a temp
 * dir, in a private mount namespace with its own /run); containers get their cgroups under
 * this test's own cgroup. DRUN_SHIM_LAUNCHER runs the suite on an installed shim
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
  type Scenario,
  sh,
  until,
} from "./common.ts";
import {
  ctrIn as ctr,
  ctrLine as line,
  ctrScenarios,
  IMAGE,
  taskPid,
  taskStatus,
  withContainerd,
} from "./containerd_env.ts";
import {
  type Ctx,
  flagsWithShim,
  killAndDelete,
  NS,
  runDetached,
  runtimeFlags,
  shimCount,
  shimPids,
  zombiesOf,
} from "./shim_helpers.ts";

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
