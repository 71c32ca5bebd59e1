/**
 * containerd's CRI plugin, driven by crictl, with a `drun` runtime handler (the drun shim,
 * found on PATH) against runc: a pod sandbox and two containers sharing its network and ipc,
 * exec, logs, stop and removal give the same transcript. containerd runs privately as in
 * shim_ctr_test.ts, with a CNI plugin that changes nothing on the host. DRUN_SHIM_LAUNCHER
 * runs the suite on an installed shim (`deno task install`) instead of the checkout's.
 */
import "../e2e/needs_root.ts";
import { join } from "node:path";
import { compareScenarios, must, REPO, type Result, type Scenario, sh, until } from "./common.ts";
import { type ContainerdEnv, ctrLine as line, IMAGE, withContainerd } from "./containerd_env.ts";
import { SHIM, shimCount } from "./shim_helpers.ts";

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
