/**
 * What dist/drun.js holds: the library (mod.ts) and the command line's `main`. Run as a
 * program it is the command line (cli.ts starts it when it is the main module); imported,
 * it is the library, and nothing runs.
 *
 * @example
 * ```ts ignore
 * import { main, Runtime } from "./dist/drun.js";
 * ```
 * @module
 */
export * from "../mod.ts";
export { main } from "../cli.ts";
