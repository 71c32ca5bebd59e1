/**
 * Runs N containers from one Deno process through the library API (mod.ts): create, start,
 * wait, delete in a loop. Prints one JSON document on stdout: per-container timings, the
 * seccomp handoff latency when the bundle uses NOTIFY, the time to import mod.ts and the
 * process's peak RSS. Used by cases 4 and 5 and the breakdown.
 *
 *   deno run -A bench/lib_loop.ts --bundle DIR --root DIR --prefix ID [--n 100]
 * @module
 */
import { parseArgs } from "node:util";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    bundle: { type: "string" },
    root: { type: "string" },
    prefix: { type: "string", default: "drun-bench-lib" },
    n: { type: "string", default: "100" },
  },
});
if (!values.bundle || !values.root) throw new Error("--bundle and --root are required");

const t0 = performance.now();
const { Runtime } = await import("../mod.ts");
const importMs = performance.now() - t0;

const n = Number(values.n);
const rt = new Runtime(values.root, () => {});
const iterations: {
  create: number;
  start: number;
  wait: number;
  delete: number;
  total: number;
  handoffNs?: number;
}[] = [];
const loopStart = performance.now();
for (let i = 0; i < n; i++) {
  const id = `${values.prefix}-${i}`;
  const a = performance.now();
  const c = await rt.create(id, { bundle: values.bundle });
  const b = performance.now();
  await c.start();
  const d = performance.now();
  const status = await c.wait();
  const e = performance.now();
  await c.delete();
  const f = performance.now();
  if (status.code !== 0) throw new Error(`container ${id} exited with ${JSON.stringify(status)}`);
  iterations.push({
    create: b - a,
    start: d - b,
    wait: e - d,
    delete: f - e,
    total: f - a,
    handoffNs: c.created?.handoffNs,
  });
}
const loopMs = performance.now() - loopStart;
const hwm = /VmHWM:\s+(\d+) kB/.exec(Deno.readTextFileSync("/proc/self/status"));
console.log(JSON.stringify({
  importMs,
  loopMs,
  sinceOriginMs: performance.now(),
  timeOrigin: performance.timeOrigin,
  vmHwmKiB: hwm ? Number(hwm[1]) : undefined,
  iterations,
}));
