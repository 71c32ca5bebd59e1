/**
 * Case 3: what a syscall costs inside the container under Docker's default profile, against
 * no seccomp, for each runtime's filter (drun compiles its own BPF; runc and crun use
 * libseccomp). One container per sample runs the probe's `loop NR COUNT` for each syscall.
 * @module
 */
import { add, type CaseResult, metric, newCase } from "../lib/report.ts";
import { deleteAll, probeSpec, runContainer } from "../lib/setup.ts";
import { type Ctx, interleave } from "./common.ts";

/** The syscalls timed, and why each. */
export const LOOPS = [
  {
    nr: 39,
    name: "getpid",
    why: "allowed without conditions: the kernel's seccomp action cache (5.11+) answers it " +
      "without running the filter, whoever compiled it",
  },
  {
    nr: 318,
    name: "getrandom",
    why: "allowed, high number (late in a linear dispatch); cached like getpid",
  },
  {
    nr: 135,
    name: "personality",
    why: "allowed only for some arguments (0 is one): not cacheable, the filter runs " +
      "on every call down to the argument check",
  },
  {
    nr: 169,
    name: "reboot",
    why: "not in the profile: the whole dispatch runs, then the default action (EPERM)",
  },
  {
    nr: 1000,
    name: "nr 1000",
    why: "no such syscall: above the highest known number (ENOSYS)",
  },
];

/** Case 3. */
export async function syscallCase(ctx: Ctx): Promise<CaseResult> {
  const { ws, counts } = ctx;
  const rts = ws.pick(["drun", "runc", "crun"]);
  const c = newCase(
    "3",
    `syscall cost inside the container (ns per call, ${counts.loopCount} calls per sample)`,
    rts.map((rt) => ({ key: rt.name, label: rt.label })),
  );
  if (!ctx.docker) {
    c.errors.push(`Docker's profile not found (vendor/docker-default-amd64.json); case skipped`);
    return c;
  }
  const args = LOOPS.flatMap((l) => ["loop", String(l.nr), String(counts.loopCount)]);
  const profiles = [
    { key: "none", label: "no seccomp" },
    { key: "docker", label: "Docker profile" },
  ];
  const bundles = new Map<string, string>();
  for (const rt of rts) {
    for (const p of profiles) {
      const spec = probeSpec(ws.rootfs, args);
      if (p.key === "docker") spec.linux!.seccomp = ctx.docker;
      bundles.set(`${rt.name}/${p.key}`, ws.bundle(rt, `loop-${p.key}`, spec));
    }
  }
  // Rows grouped by syscall: no seccomp, then the profile.
  const rows = new Map<string, ReturnType<typeof metric>>();
  for (const l of LOOPS) {
    for (const p of profiles) {
      rows.set(`${l.nr}/${p.key}`, metric(c, `${l.name} (${l.nr}), ${p.label}`, "ns"));
    }
  }
  ctx.log(`case 3: ${counts.loopReps} containers per runtime and profile`);
  await interleave(c, rts, counts.loopReps, async (rt) => {
    for (const p of profiles) {
      const r = await runContainer(rt, bundles.get(`${rt.name}/${p.key}`)!, ws.id(rt), {
        capture: true,
        cwd: ws.dir,
      });
      const got = new Set<number>();
      for (const line of r.stdout.split("\n")) {
        if (!line.startsWith('{"loop"')) continue;
        const o = JSON.parse(line) as { loop: number; ns_per_call: number };
        add(rows.get(`${o.loop}/${p.key}`)!, rt.name, o.ns_per_call);
        got.add(o.loop);
      }
      if (got.size !== LOOPS.length) {
        throw new Error(`probe printed ${got.size} of ${LOOPS.length} loops: ${r.stdout}`);
      }
    }
  }, ctx.log);
  for (const rt of rts) c.errors.push(...await deleteAll(rt));
  for (const l of LOOPS) c.notes.push(`${l.name} (${l.nr}): ${l.why}.`);
  c.notes.push(
    "The probe calls the syscall with all arguments 0 in a tight loop and divides the " +
      "elapsed CLOCK_MONOTONIC time by the count. drun's filter dispatches by binary search; " +
      "runc 1.1 and crun 1.8 use libseccomp 2.5's default layout.",
  );
  return c;
}
