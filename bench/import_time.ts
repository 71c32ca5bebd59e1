/**
 * Imports each argument in order and prints how long each import took, as JSON on stdout,
 * with this process's timeOrigin so the caller can tell Deno's boot from module loading.
 *
 *   deno run -A bench/import_time.ts node:path ./mod.ts ...
 * @module
 */
const start = performance.now();
const steps: { specifier: string; ms: number }[] = [];
for (const specifier of Deno.args) {
  const t0 = performance.now();
  await import(specifier);
  steps.push({ specifier, ms: performance.now() - t0 });
}
console.log(JSON.stringify({ timeOrigin: performance.timeOrigin, start, steps }));
