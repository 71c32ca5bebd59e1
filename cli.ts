#!/usr/bin/env -S deno run -A
/**
 * drun's command line, compatible with runc's (`./cli` of the package): global options, then
 * a command. The commands are in cli/commands/, one file each; cli/main.ts dispatches.
 *
 * @example
 * ```sh
 * deno run -A cli.ts --root /run/drun state c1
 * ```
 * @module
 */
import { main } from "./cli/main.ts";
import { exitUnlessPermitted } from "./lib/permissions.ts";

export { main };

if (import.meta.main) {
  // Before anything can start a process or write state: one line naming what is missing.
  exitUnlessPermitted();
  Deno.exit(await main(Deno.args));
}
