/**
 * `drun --version`, shaped like runc's: version, commit, runtime-spec version.
 * @module
 */
import { VERSION } from "../lib/version.ts";
import { OCI_VERSION } from "../lib/state/oci.ts";

// Set by `deno task bundle` (esbuild --define) to the commit the bundle was built from; a
// checkout run as cli.ts has no build step, and asking git at every run would cost a process.
declare const DRUN_COMMIT: string | undefined;

/**
 * The commit this build was made from, or `unknown`.
 *
 * @example
 * ```ts
 * console.log(`commit: ${COMMIT}`);
 * ```
 */
export const COMMIT: string = typeof DRUN_COMMIT === "string" && DRUN_COMMIT
  ? DRUN_COMMIT
  : "unknown";

/**
 * The text `drun --version` prints.
 *
 * @example
 * ```ts
 * console.log(versionText()); // drun version 0.1.0\ncommit: unknown\nspec: 1.2.0
 * ```
 */
export function versionText(): string {
  return `drun version ${VERSION}\ncommit: ${COMMIT}\nspec: ${OCI_VERSION}`;
}
