/**
 * drun's version, in a module of its own so `drun --version` loads nothing else.
 * @module
 */

/**
 * drun's version (the `version` of deno.json).
 *
 * @example
 * ```ts
 * import { VERSION } from "./version.ts";
 * console.log(`drun ${VERSION}`);
 * ```
 */
export const VERSION = "0.1.0";
