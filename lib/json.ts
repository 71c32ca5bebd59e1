/**
 * JSON text for values that hold bigints. Kernel counters are uint64: through a JS number
 * 9223372036854771712 would print as 9223372036854772000, so they are bigints and are written
 * as the exact JSON numbers Go's encoder prints (JSON.stringify alone refuses bigints).
 * @module
 */

/** JSON.rawJSON (ES2025), not yet in every TypeScript lib. */
const rawJSON = (JSON as unknown as { rawJSON(text: string): unknown }).rawJSON;

/**
 * JSON.stringify, with every bigint written as its exact decimal number.
 *
 * @example
 * ```ts
 * stringifyJson({ usage: 9223372036854771712n }); // '{"usage":9223372036854771712}'
 * ```
 */
export function stringifyJson(value: unknown, indent?: number | string): string {
  return JSON.stringify(
    value,
    (_k, v) => typeof v === "bigint" ? rawJSON(v.toString()) : v,
    indent,
  );
}
