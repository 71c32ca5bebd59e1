/**
 * Phase marks for measuring where a command's time goes: off unless DRUN_TIMING=1 (and the
 * env permission for it), then one line per phase on stderr.
 * @module
 */

let timing: boolean | undefined;

export function mark(phase: string): void {
  timing ??= Deno.permissions.querySync({ name: "env", variable: "DRUN_TIMING" }).state ===
      "granted" && Deno.env.get("DRUN_TIMING") === "1";
  if (!timing) return;
  const now = performance.now();
  const at = (performance.timeOrigin + now).toFixed(3);
  const line = `drun-timing ${phase} ${at} ${now.toFixed(3)}\n`;
  Deno.stderr.writeSync(new TextEncoder().encode(line));
}
