/**
 * Behind a real engine: `podman run --rm` and `ctr run --rm` of a busybox `true`, with drun
 * (bin/drun, the executable engines are configured with) and with runc behind the same
 * engine, interleaved. The engines run privately as tests/clients/ run them
 * (scripts/setup_clients.sh: state, storage and mounts under a temp dir, a private mount
 * namespace), and every container's cgroup is nested under this process's own.
 * @module
 */
import { join } from "../../lib/path.ts";
import { add, type CaseResult, metric, newCase } from "../lib/report.ts";
import { runTimed } from "../lib/proc.ts";
import {
  busyboxTarball,
  CgroupScope,
  killMentioning,
  must,
  ociImageTarball,
  SETUP,
  sh,
  WRAPPER,
} from "../../tests/clients/common.ts";
import type { Ctx } from "./common.ts";
import { REPO } from "../lib/setup.ts";

const PODMAN_IMAGE = "localhost/busybox";
const CTR_IMAGE = "localhost/busybox:latest";
const NS = "drun-bench";

/** The engine case: podman and containerd, each against runc. */
export async function enginesCase(ctx: Ctx): Promise<CaseResult> {
  const c = newCase(
    "engines",
    "Behind an engine: `podman run --rm` and `ctr run --rm` of busybox `true`",
    [
      { key: "drun", label: "drun (bin/drun)" },
      { key: "drun-shim", label: "drun shim (ctr only)" },
      { key: "runc", label: "runc" },
    ],
  );
  const n = ctx.quick ? 3 : 10;
  const runc = (await sh(["sh", "-c", "command -v runc"])).stdout.trim();
  if (!runc) {
    c.errors.push("runc not installed: engine case skipped");
    return c;
  }
  const setup = await sh(["bash", SETUP, "install"], { timeoutMs: 600_000 });
  if (setup.code !== 0) {
    c.errors.push(`engines not installed (scripts/setup_clients.sh): ${setup.stderr.trim()}`);
    return c;
  }
  // Not under the workspace: conmon's socket paths (the tmp dir + a 64-character container
  // id) must stay short, or podman waits 20 s for an exit it cannot see.
  const dir = Deno.makeTempDirSync({ prefix: "drb-" });
  try {
    const { tar } = await busyboxTarball(dir);
    await podman(ctx, c, dir, tar, n);
    await containerd(ctx, c, dir, tar, n, runc);
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
  c.notes.push(
    "Each row is the wall time of the engine's own command (podman or ctr, a new process), " +
      `median of ${n} interleaved runs after one warm-up per runtime; drun is bin/drun ` +
      "(`deno run -A --no-config cli.ts`), runc the Debian binary, both behind the same " +
      "engine, conmon/shim and image; behind ctr, drun's own shim " +
      "(bin/containerd-shim-drun-v2, the library serving the pod in one process) takes the " +
      "runc shim's place.",
  );
  return c;
}

async function podman(ctx: Ctx, c: CaseResult, dir: string, tar: string, n: number) {
  const engine = join(dir, "podman");
  const scope = new CgroupScope("drun-bench-podman");
  try {
    const pm = (await must(["bash", SETUP, "podman-start", engine])).trim();
    await must([pm, "import", "--change", 'CMD ["/bin/sh"]', tar, PODMAN_IMAGE]);
    const argv = (rt: string) => [
      pm,
      "--runtime",
      rt,
      "run",
      "--rm",
      "--network",
      "none",
      "--cgroup-parent",
      scope.path,
      PODMAN_IMAGE,
      "true",
    ];
    ctx.log(`engines: podman run --rm x${n}`);
    const m = metric(c, "podman run --rm", "ms");
    await timeRuns(c, m, ["drun", "runc"], n, (rt) => argv(rt), "podman");
  } catch (e) {
    c.errors.push(`podman: ${(e as Error).message}`);
  } finally {
    await sh(["bash", SETUP, "podman-stop", engine]);
    killMentioning(engine);
    scope.killAll();
    const left = await scope.cleanup();
    if (left.length) c.errors.push(`podman: cgroups left: ${left.join(", ")}`);
  }
}

async function containerd(
  ctx: Ctx,
  c: CaseResult,
  dir: string,
  tar: string,
  n: number,
  runc: string,
) {
  const engine = join(dir, "containerd");
  const scope = new CgroupScope("drun-bench-ctr");
  let ctr = "";
  let serial = 0;
  try {
    ctr = (await must(["bash", SETUP, "containerd-start", engine])).trim();
    await must([ctr, "-n", NS, "image", "import", await ociImageTarball(dir, tar, CTR_IMAGE)]);
    const argv = (rt: string) => {
      const id = `bench-${rt}-${++serial}`;
      // The drun shim (containerd-shim-drun-v2, the library in one process per pod) in place
      // of containerd's runc shim; the others through the runc shim and a runtime binary.
      const runtime = rt === "drun-shim"
        ? ["--runtime", join(REPO, "bin/containerd-shim-drun-v2")]
        : [
          "--runc-binary",
          rt === "drun" ? WRAPPER : runc,
          "--runc-root",
          join(dir, "ctr-state", rt),
        ];
      return [
        ctr,
        "-n",
        NS,
        "run",
        "--rm",
        ...runtime,
        "--cgroup",
        join(scope.path, id),
        CTR_IMAGE,
        id,
        "true",
      ];
    };
    ctx.log(`engines: ctr run --rm x${n}`);
    const m = metric(c, "ctr run --rm", "ms");
    await timeRuns(c, m, ["drun", "drun-shim", "runc"], n, argv, "ctr");
  } catch (e) {
    c.errors.push(`containerd: ${(e as Error).message}`);
  } finally {
    if (ctr) {
      for (const id of (await sh([ctr, "-n", NS, "container", "ls", "-q"])).stdout.split("\n")) {
        if (!id) continue;
        await sh([ctr, "-n", NS, "task", "delete", "--force", id]);
        await sh([ctr, "-n", NS, "container", "delete", id]);
      }
      await sh([ctr, "-n", NS, "image", "rm", CTR_IMAGE]);
    }
    await sh(["bash", SETUP, "containerd-stop", engine]);
    killMentioning(engine);
    scope.killAll();
    const left = await scope.cleanup();
    if (left.length) c.errors.push(`containerd: cgroups left: ${left.join(", ")}`);
  }
}

/** One warm-up per runtime, then n interleaved timed runs; a failing runtime stops. */
async function timeRuns(
  c: CaseResult,
  m: ReturnType<typeof metric>,
  rts: string[],
  n: number,
  argv: (rt: string) => string[],
  what: string,
) {
  const failed = new Set<string>();
  for (let i = -1; i < n; i++) {
    for (const rt of rts) {
      if (failed.has(rt)) continue;
      const r = await runTimed(argv(rt), { timeoutMs: 60_000 });
      if (r.code !== 0) {
        failed.add(rt);
        c.errors.push(
          `${rt === "drun" ? "drun" : rt} behind ${what}: exit ${r.code}: ${
            r.stderr.trim().split("\n").slice(-3).join(" ")
          }`,
        );
      } else if (i >= 0) add(m, rt, r.ms);
      if (r.ms > 5000) {
        const tail = r.stderr.trim().split("\n").slice(-2).join(" ");
        if (!c.notes.some((x) => x.includes(tail))) {
          c.notes.push(`a ${what} run (${rt}) took ${(r.ms / 1000).toFixed(1)} s: ${tail}`);
        }
      }
    }
  }
}
