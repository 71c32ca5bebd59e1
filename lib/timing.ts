/**
 * Phase marks for measuring where a command's time goes: off unless DRUN_TIMING=1 (and the
 * env permission for it), then one line per phase on stderr.
 * @module
 */

let timing: boolean | undefined;
let sink: ((phase: string, ms: number) => void) | undefined;

/**
 * Also hands every mark to `fn` with the ms since the process started (the CLI writes them as
 * `--debug` lines); `undefined` stops it.
 *
 * @example
 * ```ts
 * onMark((phase, ms) => console.error(`${phase} at ${ms.toFixed(1)} ms`));
 * ```
 */
export function onMark(fn: ((phase: string, ms: number) => void) | undefined): void {
  sink = fn;
}

/** Marks the start of a phase (a line on stderr with DRUN_TIMING=1, and the `onMark` sink). */
export function mark(phase: string): void {
  sink?.(phase, performance.now());
  timing ??= Deno.permissions.querySync({ name: "env", variable: "DRUN_TIMING" }).state ===
      "granted" && Deno.env.get("DRUN_TIMING") === "1";
  if (!timing) return;
  const now = performance.now();
  const at = (performance.timeOrigin + now).toFixed(3);
  const line = `drun-timing ${phase} ${at} ${now.toFixed(3)}\n`;
  Deno.stderr.writeSync(new TextEncoder().encode(line));
}
