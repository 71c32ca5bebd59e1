/**
 * The text of an installed launcher (`DIR/bin/drun`). Engines run their runtime with an
 * almost empty environment (podman passes only XDG_RUNTIME_DIR to most commands) and from
 * any cwd, so the script holds absolute paths only, and switches off everything Deno would
 * otherwise look up from the environment or the cwd: the update check, deno.json and
 * package.json discovery, permission prompts, and a cache under $HOME (with HOME unset Deno
 * falls back to the passwd entry's home; the bundle needs no cache, so one on the runtime
 * tmpfs serves).
 * @module
 */

/**
 * Where a launcher finds what it runs.
 * @example
 * ```ts
 * const t: LauncherTarget = { deno: "/opt/drun/lib/drun/deno", entry: "/opt/drun/lib/drun/drun.js" };
 * ```
 */
export interface LauncherTarget {
  /** Absolute path of the Deno executable. */
  deno: string;
  /** Absolute path of the bundled CLI (drun.js). */
  entry: string;
  /** sh run before Deno starts (the shim's shim/fast_delete.sh). */
  prelude?: string;
}

/** Quotes a word for sh. */
function shQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/**
 * A POSIX sh launcher running target.entry with target.deno.
 * @example
 * ```ts
 * const text = launcherScript({ deno: "/opt/drun/lib/drun/deno", entry: "/opt/drun/lib/drun/drun.js" });
 * text.startsWith("#!/bin/sh\n"); // true
 * ```
 */
export function launcherScript(target: LauncherTarget): string {
  for (const k of ["deno", "entry"] as const) {
    const v = target[k];
    if (!v.startsWith("/")) throw new Error(`${k}: must be an absolute path, got ${v}`);
  }
  return [
    "#!/bin/sh",
    "# drun, installed by `deno task install`: the bundled CLI on a private copy of Deno.",
    "# Works with an empty environment and any cwd (engines call it so).",
    "export DENO_NO_UPDATE_CHECK=1 DENO_NO_PROMPT=1 DENO_NO_PACKAGE_JSON=1",
    '[ -n "${DENO_DIR:-}" ] || export DENO_DIR="${XDG_RUNTIME_DIR:-/run}/drun/.cache/deno"',
    ...(target.prelude ? [target.prelude.trimEnd()] : []),
    `exec ${shQuote(target.deno)} run -A --quiet --no-config --no-lock ${
      shQuote(target.entry)
    } "$@"`,
    "",
  ].join("\n");
}
