/**
 * Shared helpers for the end-to-end tests: probe bundles in temporary directories, running
 * the CLI, and snapshots of what a failed command must leave untouched.
 * @module
 */
import { drain } from "../lib/streams.ts";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { defaultSpec } from "../lib/spec/default.ts";
import type { Spec } from "../lib/spec/types.ts";
import { Runtime } from "../lib/runtime.ts";

/** The repository root. */
export const REPO = join(dirname(fileURLToPath(import.meta.url)), "..");
/** The committed probe binary. */
export const PROBE = join(REPO, "zig/out/probe");
/** The CLI entry point. */
export const CLI = join(REPO, "cli.ts");
/**
 * PATH without this checkout's `.tools/` (where scripts/setup.sh puts Deno, esbuild and Zig),
 * as a clone or an engine on a fresh machine would see it.
 * @example
 * ```ts
 * new Deno.Command("podman", { args: ["ps"], env: { PATH: pathWithoutTools() } });
 * ```
 */
export function pathWithoutTools(path = Deno.env.get("PATH") ?? "/usr/bin:/bin"): string {
  let tools: string | undefined;
  try {
    tools = Deno.realPathSync(join(REPO, ".tools"));
  } catch { /* no .tools here */ }
  return path.split(":").filter((p) => {
    try {
      return !tools || !Deno.realPathSync(p).startsWith(tools);
    } catch {
      return false; // a PATH entry that does not exist
    }
  }).join(":");
}

/** Whether every directory on the way to `path`, and the file, let others in. */
function othersMayExecute(path: string): boolean {
  for (let p = path; p !== "/"; p = p.slice(0, p.lastIndexOf("/")) || "/") {
    if (((Deno.statSync(p).mode ?? 0) & 0o001) === 0) return false;
  }
  return true;
}

/**
 * A Deno another user may run: this one, or when some directory on its way is closed to
 * others (a Deno under /root), a copy in `dir`.
 * @example
 * ```ts
 * const deno = denoForOthers(await Deno.makeTempDir()); // for setpriv --reuid=65534 <deno> ...
 * ```
 */
export function denoForOthers(dir: string): string {
  if (othersMayExecute(Deno.execPath())) return Deno.execPath();
  const deno = join(dir, "deno");
  Deno.copyFileSync(Deno.execPath(), deno);
  Deno.chmodSync(deno, 0o755);
  return deno;
}

/**
 * Pids (other than this one) whose command line mentions fragment, a unique temp path.
 * @example
 * ```ts
 * const left = pidsMentioning("/tmp/drun-test-abc"); // a container init still waiting
 * ```
 */
export function pidsMentioning(fragment: string): number[] {
  const pids: number[] = [];
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name) || Number(e.name) === Deno.pid) continue;
    try {
      if (Deno.readTextFileSync(`/proc/${e.name}/cmdline`).includes(fragment)) {
        pids.push(Number(e.name));
      }
    } catch { /* gone */ }
  }
  return pids;
}

/**
 * `deno task install --prefix prefix` from this checkout; returns the installed launcher.
 * @example
 * ```ts
 * const drun = await installDrun(await Deno.makeTempDir()); // <dir>/bin/drun
 * ```
 */
export async function installDrun(prefix: string): Promise<string> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["task", "install", "--prefix", prefix],
    cwd: REPO,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(`deno task install: ${new TextDecoder().decode(out.stderr)}`);
  return join(prefix, "bin", "drun");
}

/**
 * Docker's default seccomp profile for amd64, vendored (vendor/README.md).
 * @example
 * ```ts
 * spec.linux!.seccomp = JSON.parse(Deno.readTextFileSync(DOCKER_PROFILE));
 * ```
 */
export const DOCKER_PROFILE = join(REPO, "vendor", "docker-default-amd64.json");

/** A bundle in a temp dir, removed by `cleanup`. */
export interface Bundle {
  /** Bundle directory. */
  dir: string;
  /** Its rootfs. */
  rootfs: string;
  /** The state root the test should use. */
  root: string;
  /** Writes config.json. */
  write(spec: Spec): void;
  /** Removes everything (after deleting containers). */
  cleanup(): Promise<void>;
}

/** A spec running the probe with args, based on what `drun spec` writes. */
export function probeSpec(args: string[] = ["report"]): Spec {
  const spec = defaultSpec({ args: ["/probe", ...args] });
  spec.process!.terminal = false;
  return spec;
}

/** Makes a bundle whose rootfs holds only the probe and empty mount points. */
export function makeProbeBundle(spec: Spec = probeSpec()): Bundle {
  const dir = Deno.makeTempDirSync({ prefix: "drun-test-" });
  // A user-namespaced root maps to an unprivileged host uid that must reach the rootfs.
  Deno.chmodSync(dir, 0o755);
  const rootfs = join(dir, "rootfs");
  for (const d of ["proc", "dev", "sys", "tmp"]) {
    Deno.mkdirSync(join(rootfs, d), { recursive: true });
  }
  Deno.copyFileSync(PROBE, join(rootfs, "probe"));
  Deno.chmodSync(join(rootfs, "probe"), 0o755);
  const root = join(dir, "state");
  const b: Bundle = {
    dir,
    rootfs,
    root,
    write(s: Spec) {
      Deno.writeTextFileSync(join(dir, "config.json"), JSON.stringify(s, null, 1));
    },
    async cleanup() {
      for (const id of listDir(root)) await drun(b, ["delete", "--force", id]);
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
  b.write(spec);
  return b;
}

function listDir(p: string): string[] {
  try {
    return [...Deno.readDirSync(p)].filter((e) => e.isDirectory).map((e) => e.name);
  } catch {
    return [];
  }
}

/** Output of a CLI run. */
export interface CliResult {
  /** Exit code. */
  code: number;
  /** Captured stdout. */
  stdout: string;
  /** Captured stderr. */
  stderr: string;
}

/** Runs `deno run -A cli.ts --root <bundle.root> ...args` with the bundle as cwd. */
export async function drun(
  b: { dir: string; root: string },
  args: string[],
  opts: { stdin?: string; env?: Record<string, string> } = {},
): Promise<CliResult> {
  const cmd = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CLI, "--root", b.root, ...args],
    cwd: b.dir,
    stdout: "piped",
    stderr: "piped",
    stdin: opts.stdin !== undefined ? "piped" : "null",
    env: opts.env,
  });
  const child = cmd.spawn();
  if (opts.stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(opts.stdin));
    await w.close();
  }
  return await outputUntilExit(child);
}

/**
 * A spawned command's exit code and output. A created container's init inherits the pipes
 * and keeps them open until it execs, so this reads until the command exits, then takes what
 * has arrived instead of waiting for EOF.
 *
 * @example
 * ```ts
 * const r = await outputUntilExit(new Deno.Command("true", { stdout: "piped", stderr: "piped" }).spawn());
 * ```
 */
export async function outputUntilExit(child: Deno.ChildProcess): Promise<CliResult> {
  const stdout = drain(child.stdout);
  const stderr = drain(child.stderr);
  const status = await child.status;
  await new Promise((r) => setTimeout(r, 20));
  return { code: status.code, stdout: stdout.take(), stderr: stderr.take() };
}

/** Parses the probe's report line from stdout. */
export function probeReport(stdout: string): Record<string, unknown> {
  const line = stdout.split("\n").find((l) => l.startsWith('{"pid"'));
  if (!line) throw new Error(`no probe report in output: ${stdout}`);
  return JSON.parse(line);
}

/** Namespace inodes of a host process. */
export function hostNamespaces(pid: number | "self" = "self"): Record<string, number> {
  const out: Record<string, number> = {};
  for (const t of ["mnt", "pid", "net", "ipc", "uts", "user", "cgroup", "time"]) {
    out[t] = Number(/\[(\d+)\]/.exec(Deno.readLinkSync(`/proc/${pid}/ns/${t}`))![1]);
  }
  return out;
}

/** What a failed create must not change: mounts, state entries, processes. */
export interface HostSnapshot {
  /** Lines of /proc/self/mountinfo. */
  mounts: string[];
  /** Entries of the state root. */
  state: string[];
  /** Pids of processes whose parent is this test process or which run the probe. */
  procs: string[];
}

/** Takes a snapshot for `root`. */
export function snapshot(root: string): HostSnapshot {
  const mounts = Deno.readTextFileSync("/proc/self/mountinfo").trim().split("\n").sort();
  const procs: string[] = [];
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    try {
      const cmd = Deno.readTextFileSync(`/proc/${e.name}/cmdline`);
      if (cmd.startsWith("/probe") || cmd.includes("drun-test-")) procs.push(`${e.name} ${cmd}`);
    } catch { /* gone */ }
  }
  let state: string[] = [];
  try {
    state = [...Deno.readDirSync(root)].map((e) => e.name).sort();
  } catch { /* no root yet */ }
  return { mounts, state, procs: procs.sort() };
}

/** A busybox rootfs with the applets tests use. */
export function busyboxRootfs(rootfs: string): void {
  Deno.mkdirSync(join(rootfs, "bin"), { recursive: true });
  for (const d of ["proc", "dev", "sys", "tmp", "etc"]) {
    Deno.mkdirSync(join(rootfs, d), { recursive: true });
  }
  Deno.copyFileSync("/bin/busybox", join(rootfs, "bin/busybox"));
  Deno.chmodSync(join(rootfs, "bin/busybox"), 0o755);
  for (
    const applet of ["sh", "true", "false", "echo", "cat", "ls", "id", "hostname", "sleep", "ps"]
  ) {
    Deno.symlinkSync("busybox", join(rootfs, "bin", applet));
  }
}

/** A probe bundle with a busybox rootfs, a Runtime on its state root, and specs on it. */
export function busyboxBundle(): { b: Bundle; rt: Runtime; spec: (args: string[]) => Spec } {
  const b = makeProbeBundle();
  busyboxRootfs(b.rootfs);
  const spec = (args: string[]): Spec => {
    const s = defaultSpec({ args, terminal: false });
    s.root = { path: b.rootfs, readonly: false };
    return s;
  };
  return { b, rt: new Runtime(b.root), spec };
}

/**
 * Runs `runc run` on the bundle at `dir` (state under `dir/runc-state`), for tests that
 * compare drun with runc on the same config.
 */
export async function runcRun(dir: string, id: string): Promise<CliResult> {
  const out = await new Deno.Command("runc", {
    args: ["--root", join(dir, "runc-state"), "run", "--bundle", dir, id],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}
