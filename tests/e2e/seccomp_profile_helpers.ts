/**
 * What the `linux.seccomp` profile suites share: Docker's default profile, kernel numbers, and
 * running the probe under a profile in a fresh bundle, its syscall results parsed.
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import type { LinuxSeccomp, Spec } from "../../lib/spec/types.ts";
import { type Bundle, DOCKER_PROFILE, drun, makeProbeBundle, probeSpec } from "../helpers.ts";

/** Docker's default amd64 profile, read from the path tests/helpers.ts gives. */
const DOCKER: LinuxSeccomp = JSON.parse(
  Deno.readTextFileSync(DOCKER_PROFILE),
);
/** A fresh copy of Docker's default amd64 profile. */
export const docker = (): LinuxSeccomp => structuredClone(DOCKER);

/** Numbers of the calls the probe has no name for, or whose number a result line shows. */
export const NR = { getpid: 39, getpriority: 140 };
/** Errnos the rules here return. */
export const EPERM = 1, ESRCH = 3, ENOSYS = 38, ENETDOWN = 100;
/** Exit status of `run` when the container process dies of SIGSYS. */
export const SIGSYS_EXIT = 128 + 31;
/** unshare(2)'s flag for a mount namespace. */
export const CLONE_NEWNS = 0x20000;
/** The capability mount and unshare need when no filter is in the way. */
export const CAP_SYS_ADMIN = "CAP_SYS_ADMIN";

/** One `syscall` action of the probe; bigints are passed as hex so all 64 bits survive. */
export function sys(nr: number | string, ...args: (number | bigint | string)[]): string[] {
  return [
    "syscall",
    String(nr),
    ...args.map((a) => typeof a === "bigint" ? `0x${a.toString(16)}` : String(a)),
  ];
}

/** A probe `syscall` result line. */
export interface SysResult {
  syscall: number;
  ret: number;
  errno: number;
}

/** Outcome of one `run`. */
export interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
  /** The probe's `syscall` lines, in order. */
  calls: SysResult[];
}

let serial = 0;

/** Runs the probe with `args` under `seccomp` in a fresh bundle, removed afterwards. */
export async function runProbe(
  seccomp: LinuxSeccomp | undefined,
  args: string[],
  tweak?: (s: Spec) => void,
): Promise<Outcome> {
  const spec = probeSpec(args);
  if (seccomp) spec.linux!.seccomp = seccomp;
  tweak?.(spec);
  const b = makeProbeBundle(spec);
  try {
    return await runIn(b, `sc${++serial}`);
  } finally {
    await b.cleanup();
  }
}

/** Runs the bundle as container `id` and parses the probe's `syscall` lines. */
export async function runIn(b: Bundle, id: string): Promise<Outcome> {
  const r = await drun(b, ["run", "--bundle", b.dir, id]);
  const calls = r.stdout.split("\n").filter((l) => l.startsWith('{"syscall"')).map((l) =>
    JSON.parse(l)
  );
  return { ...r, calls };
}

/** Asserts a clean exit and returns the errno of each probe syscall. */
export function errnos(o: Outcome): number[] {
  assert.equal(o.code, 0, `exit ${o.code}\nstdout: ${o.stdout}\nstderr: ${o.stderr}`);
  return o.calls.map((c) => c.errno);
}

/** A profile allowing everything except `rules`. */
export function allowAllBut(...rules: LinuxSeccomp["syscalls"] & object): LinuxSeccomp {
  return { defaultAction: "SCMP_ACT_ALLOW", syscalls: rules };
}

/** Adds busybox and applet links to a probe bundle's rootfs. */
export function addBusybox(b: Bundle) {
  Deno.mkdirSync(join(b.rootfs, "bin"), { recursive: true });
  Deno.copyFileSync("/bin/busybox", join(b.rootfs, "bin/busybox"));
  Deno.chmodSync(join(b.rootfs, "bin/busybox"), 0o755);
  for (const applet of ["sh", "true", "echo", "cat", "ls", "grep", "id", "unshare", "mount"]) {
    Deno.symlinkSync("busybox", join(b.rootfs, "bin", applet));
  }
}

/** Gives the process `cap` in its bounding, effective and permitted sets. */
export function hasCap(s: Spec, cap: string) {
  const c = s.process!.capabilities!;
  for (const set of [c.bounding, c.effective, c.permitted]) {
    if (!set!.includes(cap)) set!.push(cap);
  }
}
