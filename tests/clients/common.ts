/**
 * Shared by the engine suites (podman, containerd): running commands with a deadline, a
 * private cgroup subtree under this process's own cgroup, a busybox image as a rootfs
 * tarball and as an OCI image layout, and a pty driver for interactive sessions.
 * @module
 */
import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { busyboxRootfs, DOCKER_PROFILE, pidsMentioning, REPO } from "../helpers.ts";

export { REPO };
/** scripts/setup_clients.sh. */
export const SETUP = join(REPO, "scripts/setup_clients.sh");
/** The wrapper engines use as their runtime binary. */
export const WRAPPER = join(REPO, "bin/drun");
/** The seccomp profile both runtimes get. */
export const PROFILE = DOCKER_PROFILE;

/** What a command did. */
export interface Result {
  /** Exit code (124 when the deadline killed it). */
  code: number;
  /** Captured stdout. */
  stdout: string;
  /** Captured stderr. */
  stderr: string;
}

/** Runs cmd with stdin closed (or given), failing the wait after timeoutMs. */
export async function sh(
  cmd: string[],
  opts: { stdin?: string; timeoutMs?: number } = {},
): Promise<Result> {
  const child = new Deno.Command(cmd[0], {
    args: cmd.slice(1),
    stdin: opts.stdin !== undefined ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
  }, opts.timeoutMs ?? 60_000);
  if (opts.stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(opts.stdin));
    await w.close();
  }
  const out = await child.output();
  clearTimeout(timer);
  const dec = new TextDecoder();
  return {
    code: out.signal === "SIGKILL" ? 124 : out.code,
    stdout: dec.decode(out.stdout),
    stderr: dec.decode(out.stderr),
  };
}

/** Like sh, but throws with both streams when the command fails. */
export async function must(cmd: string[], opts: { timeoutMs?: number } = {}): Promise<string> {
  const r = await sh(cmd, opts);
  if (r.code !== 0) {
    throw new Error(`${cmd.join(" ")}: exit ${r.code}\n${r.stdout}\n${r.stderr}`);
  }
  return r.stdout;
}

/** Installs the engines from Debian when missing (never skips: the suite needs them). */
export async function ensureClients(): Promise<void> {
  await must(["bash", SETUP, "install"], { timeoutMs: 600_000 });
}

/** Polls fn every 100 ms until it returns true or ms pass. */
export async function until(fn: () => Promise<boolean>, ms = 10_000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await fn()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

/** Mount points of every cgroup hierarchy (v1 controllers, named ones, the v2 tree). */
function cgroupMounts(): string[] {
  return Deno.readTextFileSync("/proc/self/mountinfo").trim().split("\n").flatMap((l) => {
    const f = l.split(" ");
    const fstype = f[f.indexOf("-") + 1];
    return fstype === "cgroup" || fstype === "cgroup2" ? [f[4]] : [];
  });
}

/** Hierarchy name (v1 controllers as in /proc/pid/cgroup, "" for v2) to path, of a pid. */
export function cgroupsOf(pid: number | "self"): Map<string, string> {
  const m = new Map<string, string>();
  for (const l of Deno.readTextFileSync(`/proc/${pid}/cgroup`).trim().split("\n")) {
    const [, ctrl, path] = /^\d+:([^:]*):(.*)$/.exec(l)!;
    for (const c of ctrl.split(",")) m.set(c, path);
  }
  return m;
}

/**
 * A cgroup path nested under this process's own (its memory cgroup on v1, else the v2
 * one), for the engines' cgroup parent. Engines create it in every hierarchy; `cleanup`
 * removes it and any ancestor that did not exist before, and nothing else.
 */
export class CgroupScope {
  /** The cgroup path engines get, e.g. /x/y/drun-clients-123. */
  readonly path: string;
  readonly #missing: string[] = [];
  readonly #own = cgroupsOf("self");

  constructor(tag: string) {
    const base = this.#own.get("memory") ?? this.#own.get("") ?? "/";
    this.path = join(base, `${tag}-${Deno.pid}`);
    for (const mnt of cgroupMounts()) {
      for (let p = this.path; p !== "/"; p = dirname(p)) {
        if (!exists(join(mnt, p))) this.#missing.push(join(mnt, p));
      }
    }
  }

  /** Throws unless every cgroup of pid is in this scope or is the test's own. */
  assertContains(pid: number): void {
    for (const [ctrl, path] of cgroupsOf(pid)) {
      const inside = path === this.path || path.startsWith(this.path + "/");
      if (!inside && path !== this.#own.get(ctrl)) {
        throw new Error(`pid ${pid} is in ${ctrl}:${path}, outside ${this.path}`);
      }
    }
  }

  /** Hierarchy file of pid's cgroup, e.g. ("memory", "memory.limit_in_bytes"). */
  static read(pid: number, ctrl: string, file: string): string {
    const path = cgroupsOf(pid).get(ctrl)!;
    const mnt = cgroupMounts().find((m) => m.endsWith(`/${ctrl}`))!;
    return Deno.readTextFileSync(join(mnt, path, file)).trim();
  }

  /** SIGKILLs every process left in the subtree (only this test's containers go there). */
  killAll(): number[] {
    const pids = new Set<number>();
    for (const mnt of cgroupMounts()) {
      const top = join(mnt, this.path);
      if (!exists(top)) continue;
      for (const d of walkDirs(top)) {
        for (const p of readLines(join(d, "cgroup.procs"))) pids.add(Number(p));
      }
    }
    for (const p of pids) killPid(p);
    return [...pids];
  }

  /** Removes the subtree (deepest first) and the ancestors it created; returns leftovers. */
  async cleanup(): Promise<string[]> {
    const left: string[] = [];
    for (const mnt of cgroupMounts()) {
      const top = join(mnt, this.path);
      if (!exists(top)) continue;
      for (const d of [...walkDirs(top)].reverse()) {
        // A cgroup whose last process just exited can stay busy for a moment.
        await until(() => Promise.resolve(tryRmdir(d)), 3000);
      }
    }
    for (const d of this.#missing) tryRmdir(d); // listed deepest first
    for (const mnt of cgroupMounts()) {
      if (exists(join(mnt, this.path))) left.push(join(mnt, this.path));
    }
    return left;
  }
}

/** SIGKILLs the processes whose command line mentions `fragment` (a unique temp path). */
export function killMentioning(fragment: string): number[] {
  const pids = pidsMentioning(fragment);
  for (const p of pids) killPid(p);
  return pids;
}

function killPid(pid: number): void {
  try {
    Deno.kill(pid, "SIGKILL");
  } catch { /* gone */ }
}

function readLines(path: string): string[] {
  try {
    return Deno.readTextFileSync(path).split("\n").filter((l) => l);
  } catch {
    return [];
  }
}

function exists(p: string): boolean {
  try {
    Deno.statSync(p);
    return true;
  } catch {
    return false;
  }
}

function tryRmdir(d: string): boolean {
  try {
    Deno.removeSync(d);
    return true;
  } catch (e) {
    return e instanceof Deno.errors.NotFound;
  }
}

/** top and its subdirectories, parents before children. */
function* walkDirs(top: string): Generator<string> {
  yield top;
  for (const e of Deno.readDirSync(top)) {
    if (e.isDirectory) yield* walkDirs(join(top, e.name));
  }
}

/** Applets the scenarios use, beyond those busyboxRootfs links. */
const EXTRA_APPLETS = ["grep", "touch", "chown", "unshare", "tty", "tr", "head", "wc", "stat"];

/** A busybox rootfs under dir/rootfs and its tarball dir/rootfs.tar. */
export async function busyboxTarball(dir: string): Promise<{ rootfs: string; tar: string }> {
  const rootfs = join(dir, "rootfs");
  busyboxRootfs(rootfs);
  for (const a of EXTRA_APPLETS) Deno.symlinkSync("busybox", join(rootfs, "bin", a));
  const tar = join(dir, "rootfs.tar");
  await must(["tar", "--numeric-owner", "-C", rootfs, "-cf", tar, "."]);
  return { rootfs, tar };
}

async function sha256(bytes: Uint8Array): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as BufferSource));
  return [...d].map((b) => b.toString(16).padStart(2, "0")).join("");
}

async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  const s = new Blob([bytes as BlobPart]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(s).arrayBuffer());
}

/**
 * An OCI image layout tarball (oci-layout, index.json, manifest, config, one gzip layer)
 * of a rootfs tarball, named `name` for containerd's import (`entrypoint`: the image's, none
 * by default). Returns its path.
 */
export async function ociImageTarball(
  dir: string,
  rootfsTar: string,
  name: string,
  entrypoint?: string[],
) {
  const layout = join(dir, entrypoint ? "oci-entrypoint" : "oci");
  const blobs = join(layout, "blobs/sha256");
  Deno.mkdirSync(blobs, { recursive: true });
  const blob = async (bytes: Uint8Array, mediaType: string) => {
    const digest = await sha256(bytes);
    Deno.writeFileSync(join(blobs, digest), bytes);
    return { mediaType, digest: `sha256:${digest}`, size: bytes.length };
  };
  const json = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
  const layerTar = Deno.readFileSync(rootfsTar);
  const layer = await blob(await gzip(layerTar), "application/vnd.oci.image.layer.v1.tar+gzip");
  const config = await blob(
    json({
      architecture: "amd64",
      os: "linux",
      config: {
        Env: ["PATH=/bin"],
        ...(entrypoint ? { Entrypoint: entrypoint } : { Cmd: ["/bin/sh"] }),
      },
      rootfs: { type: "layers", diff_ids: [`sha256:${await sha256(layerTar)}`] },
    }),
    "application/vnd.oci.image.config.v1+json",
  );
  const manifest = await blob(
    json({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      config,
      layers: [layer],
    }),
    "application/vnd.oci.image.manifest.v1+json",
  );
  const tag = name.slice(name.lastIndexOf(":") + 1);
  Deno.writeTextFileSync(
    join(layout, "oci-layout"),
    JSON.stringify({ imageLayoutVersion: "1.0.0" }),
  );
  Deno.writeTextFileSync(
    join(layout, "index.json"),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [{
        ...manifest,
        platform: { architecture: "amd64", os: "linux" },
        annotations: { "io.containerd.image.name": name, "org.opencontainers.image.ref.name": tag },
      }],
    }),
  );
  const tar = join(dir, entrypoint ? "image-entrypoint.tar" : "image.tar");
  await must(["tar", "-C", layout, "-cf", tar, "."]);
  return tar;
}

/** Quotes words for `sh -c`. */
function shellJoin(words: string[]): string {
  return words.map((w) => /^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replaceAll("'", `'\\''`)}'`)
    .join(" ");
}

/**
 * Runs cmd under a pty (script(1)) as a person would: waits for the shell prompt, types
 * `input`, and returns the exit code and the screen text without carriage returns and
 * escape sequences.
 */
export async function ptySession(
  cmd: string[],
  input: string,
  opts: { prompt?: RegExp; timeoutMs?: number } = {},
): Promise<Result> {
  const child = new Deno.Command("script", {
    args: ["-qefc", shellJoin(cmd), "/dev/null"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
  }, opts.timeoutMs ?? 30_000);
  let screen = "";
  const dec = new TextDecoder();
  const reading = (async () => {
    for await (const chunk of child.stdout) screen += dec.decode(chunk, { stream: true });
  })();
  const stderr = new Response(child.stderr).text();
  const w = child.stdin.getWriter();
  const prompt = opts.prompt ?? /# $/m;
  await until(() => Promise.resolve(prompt.test(plain(screen))), (opts.timeoutMs ?? 30_000) / 2);
  await w.write(new TextEncoder().encode(input)).catch(() => {});
  const status = await child.status;
  clearTimeout(timer);
  await w.close().catch(() => {});
  await reading;
  return {
    code: status.signal === "SIGKILL" ? 124 : status.code,
    stdout: plain(screen),
    stderr: await stderr,
  };
}

/** Terminal output without escape sequences and carriage returns. */
function plain(screen: string): string {
  // deno-lint-ignore no-control-regex
  return screen.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "").replaceAll("\r", "");
}

/** Replaces every occurrence of each key by its value (runtime names, ids). */
export function normalize(text: string, subs: Record<string, string>): string {
  let t = text;
  for (const [k, v] of Object.entries(subs)) t = t.replaceAll(k, v);
  return t.replace(/\b[0-9a-f]{64}\b/g, "<id>");
}

/** One engine scenario: run under runc and under drun, compared. */
export interface Scenario<C> {
  /** What it shows. */
  name: string;
  /** What runc's transcript must look like (so a broken setup is not "the same"). */
  expect?: RegExp;
  /** Set while drun differs from runc here: why, and what drun needs. */
  knownGap?: string;
  /** Runs it under one runtime and returns a normalised transcript. */
  run(ctx: C, runtime: "drun" | "runc"): Promise<string>;
}

/**
 * Runs every scenario as a test step under runc and then drun and asserts the transcripts
 * are equal; a scenario with `knownGap` is reported instead of asserted.
 */
export async function compareScenarios<C>(
  t: Deno.TestContext,
  scenarios: Scenario<C>[],
  ctx: C,
): Promise<void> {
  const gaps: string[] = [];
  for (const s of scenarios) {
    await t.step(s.name, async () => {
      const runc = await s.run(ctx, "runc");
      const drun = await s.run(ctx, "drun");
      if (Deno.env.get("DRUN_CLIENTS_VERBOSE")) console.log(`${s.name}\n${runc}`);
      if (s.expect) assert.match(runc, s.expect, `${s.name}: runc itself did not behave`);
      if (s.knownGap) {
        const same = runc === drun;
        gaps.push(
          `${s.name}: ${same ? "now matches runc (remove knownGap)" : s.knownGap}` +
            (same ? "" : `\n  runc: ${runc}\n  drun: ${drun}`),
        );
        return;
      }
      assert.equal(drun, runc, `${s.name}: drun differs from runc`);
    });
  }
  if (gaps.length) console.log(`known gaps (not failures):\n${gaps.join("\n")}`);
}
