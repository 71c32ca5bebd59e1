/**
 * `deno task install [--prefix DIR] [--deno FILE]`: installs drun as a runtime binary engines
 * can call (`podman --runtime`, containerd's `BinaryName`, a CRI runtime handler).
 *
 *   DIR/bin/drun            a launcher with nothing but absolute paths in it
 *   DIR/lib/drun/drun.js    the single-file bundle (`deno task bundle`)
 *   DIR/lib/drun/deno       a copy of the Deno running this script (or of FILE)
 *   DIR/bin/containerd-shim-drun-v2   containerd's shim for io.containerd.drun.v2
 *   DIR/lib/drun/containerd-shim-drun-v2.js   its bundle (docs/shim.md)
 *
 * Deno is copied rather than referenced: the Deno that ran the install may live in a
 * checkout's `.tools/`, a user's home or a package cache that a later cleanup removes. DIR
 * defaults to /usr/local.
 * @module
 */
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { bundle, bundleSplit } from "./bundle.ts";
import { launcherScript } from "./launcher.ts";

const repo = join(dirname(fileURLToPath(import.meta.url)), "..");

/**
 * What `install` puts where.
 * @example
 * ```ts
 * const p: InstallPaths = installPaths("/opt/drun"); // p.deno: /opt/drun/lib/drun/deno
 * ```
 */
export interface InstallPaths {
  /** The launcher engines call: DIR/bin/drun. */
  launcher: string;
  /** The bundled CLI and library in one file: DIR/lib/drun/drun.js. */
  bundle: string;
  /**
   * The split build the launcher runs: DIR/lib/drun/split/cli.js and its chunks (a command
   * parses only its own code: the fastest form, docs/performance.md).
   */
  split: string;
  /** The private copy of Deno: DIR/lib/drun/deno. */
  deno: string;
  /** containerd's shim launcher: DIR/bin/containerd-shim-drun-v2. */
  shimLauncher: string;
  /** The bundled shim: DIR/lib/drun/containerd-shim-drun-v2.js. */
  shimBundle: string;
}

/**
 * The file layout of an install under prefix.
 * @example
 * ```ts
 * installPaths("/usr/local").launcher; // "/usr/local/bin/drun"
 * ```
 */
export function installPaths(prefix: string): InstallPaths {
  const p = resolve(prefix);
  return {
    launcher: join(p, "bin", "drun"),
    bundle: join(p, "lib", "drun", "drun.js"),
    split: join(p, "lib", "drun", "split"),
    deno: join(p, "lib", "drun", "deno"),
    shimLauncher: join(p, "bin", "containerd-shim-drun-v2"),
    shimBundle: join(p, "lib", "drun", "containerd-shim-drun-v2.js"),
  };
}

/**
 * Parsed command line of the install task.
 * @example
 * ```ts
 * const a: InstallArgs = { prefix: "/opt/drun", deno: Deno.execPath() };
 * ```
 */
export interface InstallArgs {
  /** Where to install (default /usr/local). */
  prefix: string;
  /** The Deno executable to copy (default: the one running this script). */
  deno: string;
}

/**
 * Parses `--prefix DIR`, `--prefix=DIR`, `--deno FILE`, `--deno=FILE`; throws one line naming
 * the flag on anything else.
 * @example
 * ```ts
 * parseInstallArgs(["--prefix", "/opt/drun"]).prefix; // "/opt/drun"
 * ```
 */
export function parseInstallArgs(argv: string[]): InstallArgs {
  const out: InstallArgs = { prefix: "/usr/local", deno: Deno.execPath() };
  for (let i = 0; i < argv.length; i++) {
    const m = /^--(prefix|deno)(?:=(.*))?$/.exec(argv[i]);
    if (!m) throw new Error(`unknown argument ${argv[i]} (usage: [--prefix DIR] [--deno FILE])`);
    const value = m[2] ?? argv[++i];
    if (!value) throw new Error(`--${m[1]}: needs a value`);
    out[m[1] as "prefix" | "deno"] = value;
  }
  return out;
}

/** Writes path atomically (temp file and rename), so a running engine never sees half a file. */
function writeAtomic(path: string, data: Uint8Array, mode: number): void {
  const tmp = `${path}.${Deno.pid}.tmp`;
  Deno.writeFileSync(tmp, data, { mode });
  Deno.chmodSync(tmp, mode); // writeFileSync's mode is filtered by the umask
  Deno.renameSync(tmp, path);
}

/**
 * Bundles drun and installs it under args.prefix; returns the installed paths.
 * @example
 * ```ts ignore
 * const { launcher } = await install({ prefix: "/opt/drun", deno: Deno.execPath() });
 * ```
 */
export async function install(args: InstallArgs): Promise<InstallPaths> {
  const paths = installPaths(args.prefix);
  let deno: string;
  try {
    deno = Deno.realPathSync(args.deno);
  } catch {
    throw new Error(`--deno: ${args.deno} does not exist`);
  }
  await bundle();
  Deno.mkdirSync(dirname(paths.launcher), { recursive: true });
  Deno.mkdirSync(dirname(paths.bundle), { recursive: true });
  writeAtomic(paths.deno, Deno.readFileSync(deno), 0o755);
  writeAtomic(paths.bundle, Deno.readFileSync(join(repo, "dist/drun.js")), 0o644);
  await bundleSplit();
  // A fresh directory each time: old chunks of another build must not stay beside new ones.
  const splitTmp = `${paths.split}.${Deno.pid}.tmp`;
  Deno.mkdirSync(splitTmp, { recursive: true });
  for (const e of Deno.readDirSync(join(repo, "dist/split"))) {
    Deno.copyFileSync(join(repo, "dist/split", e.name), join(splitTmp, e.name));
  }
  try {
    Deno.removeSync(paths.split, { recursive: true });
  } catch { /* first install */ }
  Deno.renameSync(splitTmp, paths.split);
  const script = launcherScript({ deno: paths.deno, entry: join(paths.split, "cli.js") });
  writeAtomic(paths.launcher, new TextEncoder().encode(script), 0o755);
  await bundle("shim/main.ts", "dist/containerd-shim-drun-v2.js");
  writeAtomic(
    paths.shimBundle,
    Deno.readFileSync(join(repo, "dist/containerd-shim-drun-v2.js")),
    0o644,
  );
  const shim = launcherScript({
    deno: paths.deno,
    entry: paths.shimBundle,
    prelude: Deno.readTextFileSync(join(repo, "shim/fast_delete.sh")),
  });
  writeAtomic(paths.shimLauncher, new TextEncoder().encode(shim), 0o755);
  return paths;
}

if (import.meta.main) {
  try {
    const paths = await install(parseInstallArgs(Deno.args));
    console.log(`installed ${paths.launcher} (Deno and the bundle in ${dirname(paths.bundle)})`);
  } catch (e) {
    console.error(`install: ${e instanceof Error ? e.message : e}`);
    Deno.exit(1);
  }
}
