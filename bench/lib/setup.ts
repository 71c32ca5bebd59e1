/**
 * The bench's workspace: one rootfs holding only the probe, bundles (config.json per runtime
 * and variant, all from drun's defaultSpec), and the three runtimes behind one small
 * interface with their own state roots. Everything lives under one temporary directory.
 * @module
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { defaultSpec } from "../../lib/spec/default.ts";
import type { LinuxSeccomp, Spec } from "../../lib/spec/types.ts";
import { type CgroupInfo, commandLine, crunWrapper, which } from "./host.ts";
import { check, type RunOptions, type RunResult, runTimed } from "./proc.ts";

/** The repository root. */
export const REPO = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
/** The static probe put in the rootfs. */
export const PROBE = join(REPO, "zig/out/probe");
/** Docker's default seccomp profile for amd64, as vendored in the repository. */
export const DOCKER_PROFILE = join(REPO, "vendor", "docker-default-amd64.json");
/** The executable engines are given (`deno run -A --no-config cli.ts`). */
export const DRUN_BIN = join(REPO, "bin/drun");
/** The same on the single-file bundle dist/drun.js. */
export const DRUN_SINGLE = join(REPO, "bin/drun-single");
/** Prefix of every container id and cgroup the bench makes. */
export const PREFIX = "drun-bench-";
/** File in a workspace naming the pid of the bench that made it. */
export const OWNER_FILE = "owner.pid";
/** File in a workspace listing the cgroup directories that existed before the run. */
export const CHAIN_FILE = "cgroup-dirs-before.json";

/** The runtimes compared. */
export type RtName = "drun" | "drun-bundle" | "drun-split" | "runc" | "crun";

/** One runtime: how to invoke it, where its state lives. */
export interface Rt {
  /** Short name used as the JSON key. */
  name: RtName;
  /** Label for tables. */
  label: string;
  /** Version line. */
  version: string;
  /** Its state root (--root). */
  root: string;
  /** Full argv for a command of this runtime (global --root included). */
  argv(args: string[]): string[];
  /** Its executable (deno for drun). */
  bin: string;
  /** The command prefix it runs under, if any (crun's private mount namespace). */
  wrapper?: string[];
  /** Extra environment its commands need. */
  env?: Record<string, string>;
}

/**
 * A spec for the probe with `args`, valid for drun, runc 1.1 and crun 1.8: terminal off, the
 * rootfs given by absolute path, and ociVersion 1.0.2 (crun 1.8.1 rejects "1.2.0", the
 * version drun's defaultSpec writes, with "unknown version specified").
 */
export function probeSpec(rootfs: string, args: string[]): Spec {
  const spec = defaultSpec({ args: ["/probe", ...args] });
  spec.ociVersion = "1.0.2";
  spec.process!.terminal = false;
  spec.root = { path: rootfs, readonly: true };
  return spec;
}

/** Docker's default profile, or undefined when vendor/ does not have it. */
export function dockerProfile(): LinuxSeccomp | undefined {
  try {
    return JSON.parse(Deno.readTextFileSync(DOCKER_PROFILE));
  } catch {
    return undefined;
  }
}

/**
 * Docker's profile with `syscall` moved from the allow list to a NOTIFY rule, and the agent's
 * socket as listenerPath (libseccomp refuses two rules with different actions for a syscall).
 */
export function notifyProfile(docker: LinuxSeccomp, syscall: string, socket: string) {
  const p = structuredClone(docker);
  for (const r of p.syscalls ?? []) r.names = r.names.filter((n) => n !== syscall);
  p.syscalls = (p.syscalls ?? []).filter((r) => r.names.length > 0);
  p.syscalls.push({ names: [syscall], action: "SCMP_ACT_NOTIFY" });
  p.listenerPath = socket;
  return p;
}

/** The temporary directory with the rootfs, bundles and state roots. */
export class Workspace {
  /** Its path. */
  readonly dir: string;
  /** The shared rootfs (only /probe and empty mount points). */
  readonly rootfs: string;
  /** Cgroup layout. */
  readonly cgroups: CgroupInfo;
  /** Runtimes by name (only those present). */
  readonly runtimes = new Map<RtName, Rt>();
  /** Runtimes that could not be used, with why. */
  readonly missing: Record<string, string> = {};
  /** Every runtime and extra state root, for the final cleanup. */
  readonly all: Rt[] = [];
  #serial = 0;

  constructor(cgroups: CgroupInfo) {
    this.cgroups = cgroups;
    this.dir = Deno.makeTempDirSync({ prefix: PREFIX });
    // A user-namespaced root would need to reach it; 0755 keeps the bundles usable for all.
    Deno.chmodSync(this.dir, 0o755);
    this.rootfs = join(this.dir, "rootfs");
    for (const d of ["proc", "dev", "sys", "tmp"]) {
      Deno.mkdirSync(join(this.rootfs, d), { recursive: true });
    }
    Deno.copyFileSync(PROBE, join(this.rootfs, "probe"));
    Deno.chmodSync(join(this.rootfs, "probe"), 0o755);
    // Lets a later run clean up after this one if it dies without cleaning (SIGKILL).
    Deno.writeTextFileSync(join(this.dir, OWNER_FILE), String(Deno.pid));
  }

  /** Registers the runtimes that exist on this host. */
  addRuntimes(opts: { bundleJs?: string; splitJs?: string }): void {
    const deno = Deno.execPath();
    const denoVersion = `deno ${Deno.version.deno}`;
    const state = (n: string) => join(this.dir, "state", n);
    // The form engines call: bin/drun (deno run -A --quiet --no-config cli.ts) and
    // bin/drun-single (the same on dist/drun.js), with this Deno.
    const env = { DRUN_DENO: deno };
    this.add({
      name: "drun",
      label: "drun (bin/drun)",
      version: denoVersion,
      bin: DRUN_BIN,
      root: state("drun"),
      argv: (a) => [DRUN_BIN, "--root", state("drun"), ...a],
      env,
    });
    if (opts.bundleJs) {
      this.add({
        name: "drun-bundle",
        label: "drun (bin/drun-single)",
        version: denoVersion,
        bin: DRUN_SINGLE,
        root: state("drun-bundle"),
        argv: (a) => [DRUN_SINGLE, "--root", state("drun-bundle"), ...a],
        env: { ...env, DRUN_ENTRY: opts.bundleJs },
      });
    }
    if (opts.splitJs) {
      this.add({
        name: "drun-split",
        label: "drun (bin/drun, dist/split)",
        version: denoVersion,
        bin: DRUN_BIN,
        root: state("drun-split"),
        argv: (a) => [DRUN_BIN, "--root", state("drun-split"), ...a],
        env: { ...env, DRUN_ENTRY: opts.splitJs },
      });
    }
    const runc = which("runc");
    if (runc) {
      this.add({
        name: "runc",
        label: "runc",
        version: commandLine(runc, ["--version"]) ?? "runc",
        bin: runc,
        root: state("runc"),
        argv: (a) => [runc, "--root", state("runc"), ...a],
      });
    } else this.missing.runc = "not installed";
    const crun = which("crun");
    if (crun) {
      const wrap = crunWrapper(this.cgroups);
      this.add({
        name: "crun",
        label: wrap.length ? "crun (private mntns)" : "crun",
        version: commandLine(crun, ["--version"]) ?? "crun",
        bin: crun,
        root: state("crun"),
        argv: (a) => [...wrap, crun, "--root", state("crun"), ...a],
        wrapper: wrap.length ? wrap : undefined,
      });
    } else this.missing.crun = "not installed";
  }

  private add(rt: Rt): void {
    Deno.mkdirSync(rt.root, { recursive: true });
    this.runtimes.set(rt.name, rt);
    this.all.push(rt);
  }

  /** drun's CLI over another state root (for containers made through the library). */
  drunAt(name: string): Rt {
    const root = join(this.dir, "state", name);
    Deno.mkdirSync(root, { recursive: true });
    const rt: Rt = {
      name: "drun",
      label: `drun (library, ${name})`,
      version: `deno ${Deno.version.deno}`,
      bin: DRUN_BIN,
      root,
      argv: (a) => [DRUN_BIN, "--root", root, ...a],
      env: { DRUN_DENO: Deno.execPath() },
    };
    this.all.push(rt);
    return rt;
  }

  /** The runtimes among `names` that exist, in that order. */
  pick(names: RtName[]): Rt[] {
    return names.flatMap((n) => this.runtimes.get(n) ?? []);
  }

  /** The cgroup every container of `rt` is placed in (nested under this process's own). */
  cgroupsPath(rt: Rt): string {
    return `${this.cgroups.base}/${PREFIX}${rt.name}-${Deno.pid}`;
  }

  /** Writes `spec` as the bundle of `variant` for `rt` and returns the bundle directory. */
  bundle(rt: Rt, variant: string, spec: Spec): string {
    const dir = join(this.dir, "bundles", `${variant}-${rt.name}`);
    Deno.mkdirSync(dir, { recursive: true });
    const s = structuredClone(spec);
    s.linux = { ...s.linux, cgroupsPath: this.cgroupsPath(rt) };
    Deno.writeTextFileSync(join(dir, "config.json"), JSON.stringify(s, null, 1));
    return dir;
  }

  /** A fresh container id for `rt`. */
  id(rt: Rt): string {
    return `${PREFIX}${rt.name}-${Deno.pid}-${++this.#serial}`;
  }

  /** A scratch path in the workspace. */
  path(name: string): string {
    return join(this.dir, name);
  }
}

/** `run` of one container; throws when it fails. */
export async function runContainer(
  rt: Rt,
  bundle: string,
  id: string,
  opts: RunOptions = {},
): Promise<RunResult> {
  const r = await runTimed(rt.argv(["run", "--bundle", bundle, id]), withEnv(rt, opts));
  return check(r, `${rt.name} run ${id}`);
}

/** Container ids present in a runtime's state root. */
export function listState(rt: Rt): string[] {
  try {
    return [...Deno.readDirSync(rt.root)]
      .filter((e) => e.isDirectory && !e.name.startsWith("."))
      .map((e) => e.name);
  } catch {
    return [];
  }
}

/** Deletes (forcibly) every container left in the runtime's state root. */
export async function deleteAll(rt: Rt): Promise<string[]> {
  const problems: string[] = [];
  for (const id of listState(rt)) {
    const r = await runTimed(
      rt.argv(["delete", "--force", id]),
      withEnv(rt, { timeoutMs: 20_000, cleanup: true }),
    );
    if (r.code !== 0) problems.push(`${rt.name} delete --force ${id}: ${r.stderr.trim()}`);
  }
  return problems;
}

/** `opts` with the runtime's own environment added (bin/drun needs DRUN_DENO, DRUN_ENTRY). */
export function withEnv(rt: Rt, opts: RunOptions = {}): RunOptions {
  return rt.env ? { ...opts, env: { ...rt.env, ...opts.env } } : opts;
}
