/**
 * An unprivileged test user for the rootless tests: made with `useradd`, given a private
 * $XDG_RUNTIME_DIR, a busybox bundle it owns and a Deno it can execute, and removed again.
 * drun runs as that user through `setpriv --reuid --regid --init-groups`.
 * @module
 */
import { join } from "node:path";
import { busyboxRootfs, CLI, type CliResult, denoForOthers, outputUntilExit } from "../helpers.ts";

/**
 * The test user and its directories.
 *
 * @example
 * ```ts
 * const u: TestUser = makeTestUser();
 * console.log((await u.drun(["--version"])).stdout);
 * u.remove();
 * ```
 */
export interface TestUser {
  /** Login name. */
  name: string;
  /** Host uid and gid. */
  uid: number;
  gid: number;
  /** Its $XDG_RUNTIME_DIR (mode 0700, owned by the user). */
  runtimeDir: string;
  /** A bundle it owns: config.json is written by the test, rootfs/ is busybox. */
  bundle: string;
  /** Its home (made by useradd; inside the temp dir). */
  home: string;
  /** The Deno it runs (readable by it). */
  deno: string;
  /** Runs `argv` as the user in the bundle, in a clean environment with `env` added. */
  run(argv: string[], env?: Record<string, string>): Promise<CliResult>;
  /** Runs drun as the user in the bundle, with `env` added. */
  drun(args: string[], env?: Record<string, string>): Promise<CliResult>;
  /** Removes the user and every directory made for it. */
  remove(): void;
}

function sh(cmd: string, args: string[]): string {
  const out = new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).outputSync();
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  }
  return new TextDecoder().decode(out.stdout).trim();
}

/**
 * Makes a fresh user `drun-rl-<random>` (useradd gives it a range in /etc/subuid and
 * /etc/subgid) with a home and a busybox bundle in a temp dir owned by it.
 *
 * @example
 * ```ts
 * const u = makeTestUser();
 * try { await u.drun(["spec", "--rootless"]); } finally { u.remove(); }
 * ```
 */
export function makeTestUser(): TestUser {
  const name = `drun-rl-${crypto.randomUUID().slice(0, 8)}`;
  const base = Deno.makeTempDirSync({ prefix: "drun-rootless-" });
  Deno.chmodSync(base, 0o755);
  const home = join(base, "home");
  sh("useradd", ["--create-home", "--home-dir", home, "--shell", "/bin/sh", "--user-group", name]);
  try {
    const uid = Number(sh("id", ["-u", name]));
    const gid = Number(sh("id", ["-g", name]));
    const runtimeDir = join(base, "run");
    const bundle = join(base, "bundle");
    Deno.mkdirSync(runtimeDir, { mode: 0o700 });
    busyboxRootfs(join(bundle, "rootfs"));
    const deno = denoForOthers(base);
    sh("chown", ["-R", `${uid}:${gid}`, runtimeDir, bundle, home]);
    const run = (argv: string[], env: Record<string, string> = {}) => {
      const ids = ["--reuid", String(uid), "--regid", String(gid), "--init-groups"];
      const child = new Deno.Command("setpriv", {
        args: [...ids, "--", ...argv],
        cwd: bundle,
        clearEnv: true,
        env: {
          PATH: "/usr/sbin:/usr/bin:/sbin:/bin",
          HOME: home,
          USER: name,
          XDG_RUNTIME_DIR: runtimeDir,
          DENO_DIR: join(bundle, ".deno"),
          DENO_NO_UPDATE_CHECK: "1",
          ...env,
        },
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      return outputUntilExit(child);
    };
    const drun = (args: string[], env: Record<string, string> = {}) =>
      run([deno, "run", "-A", "--quiet", "--no-config", CLI, ...args], env);
    const remove = () => {
      Deno.removeSync(base, { recursive: true });
      sh("userdel", [name]);
    };
    return { name, uid, gid, runtimeDir, bundle, home, deno, run, drun, remove };
  } catch (e) {
    Deno.removeSync(base, { recursive: true });
    sh("userdel", [name]);
    throw e;
  }
}
