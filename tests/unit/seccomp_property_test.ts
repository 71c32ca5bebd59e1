/**
 * Property test: for seeded random profiles and syscalls, the compiled filter run in the
 * interpreter must return what a direct reading of the profile says. The reference below works
 * on the raw profile with its own constants; it shares only the syscall name tables (data)
 * with the compiler.
 */
import assert from "node:assert/strict";
import {
  compileSeccomp,
  type HostArch,
  type LinuxSeccomp,
  type LinuxSeccompArg,
  type LinuxSyscall,
} from "../../lib/seccomp/compile.ts";
import { type SeccompArch, SYSCALLS } from "../../lib/seccomp/tables.generated.ts";
import { checkProgram, run, type SeccompData } from "./seccomp_bpf_interp.ts";

// ---- the reference meaning of a profile ----

const BIT_X32 = 0x40000000;
const KILL_PROCESS = 0x80000000;
const ENOSYS_RET = 0x00050000 + 38;

const ACTION_BASE: Record<string, number> = {
  SCMP_ACT_KILL: 0,
  SCMP_ACT_KILL_THREAD: 0,
  SCMP_ACT_KILL_PROCESS: 0x80000000,
  SCMP_ACT_TRAP: 0x00030000,
  SCMP_ACT_ERRNO: 0x00050000,
  SCMP_ACT_TRACE: 0x7ff00000,
  SCMP_ACT_ALLOW: 0x7fff0000,
  SCMP_ACT_LOG: 0x7ffc0000,
  SCMP_ACT_NOTIFY: 0x7fc00000,
};

const ARCH_OF_NAME: Record<string, SeccompArch> = {
  SCMP_ARCH_X86_64: "x86_64",
  SCMP_ARCH_X86: "x86",
  SCMP_ARCH_X32: "x32",
  SCMP_ARCH_AARCH64: "aarch64",
  SCMP_ARCH_ARM: "arm",
  SCMP_ARCH_RISCV64: "riscv64",
  SCMP_ARCH_LOONGARCH64: "loongarch64",
  SCMP_ARCH_PPC64LE: "ppc64le",
  SCMP_ARCH_S390X: "s390x",
};

const AUDIT_OF: Record<SeccompArch, number> = {
  x86_64: 0xc000003e,
  x32: 0xc000003e,
  x86: 0x40000003,
  aarch64: 0xc00000b7,
  arm: 0x40000028,
  riscv64: 0xc00000f3,
  loongarch64: 0xc0000102,
  ppc64le: 0xc0000015,
  s390x: 0x80000016,
};

const HOST_RUNS: Record<HostArch, SeccompArch[]> = {
  x86_64: ["x86_64", "x86", "x32"],
  x86: ["x86"],
  aarch64: ["aarch64", "arm"],
  arm: ["arm"],
  riscv64: ["riscv64"],
  loongarch64: ["loongarch64"],
  ppc64le: ["ppc64le"],
  s390x: ["s390x"],
};

function actionValue(action: string, data?: number): number {
  const base = ACTION_BASE[action];
  if (action === "SCMP_ACT_ERRNO" || action === "SCMP_ACT_TRACE") return base + (data ?? 1);
  return base;
}

function nrOf(arch: SeccompArch, name: string): number | undefined {
  const table = SYSCALLS[arch];
  if (!Object.hasOwn(table, name)) return undefined;
  return arch === "x32" ? table[name] + BIT_X32 : table[name];
}

const knownCache = new Map<SeccompArch, number[]>();
function knownNumbers(arch: SeccompArch): number[] {
  let k = knownCache.get(arch);
  if (!k) {
    k = Object.keys(SYSCALLS[arch]).map((n) => nrOf(arch, n)!).sort((a, b) => a - b);
    knownCache.set(arch, k);
  }
  return k;
}

/** Past the last known number, or in a hole of more than 4096 between two known ones. */
function isUnknownNumber(arch: SeccompArch, nr: number): boolean {
  const known = knownNumbers(arch);
  const below = known.filter((k) => k <= nr).at(-1);
  const above = known.find((k) => k >= nr);
  if (above === undefined) return true;
  if (below === undefined) return false;
  return above - below > 0x1000;
}

function conditionHolds(c: LinuxSeccompArg, args: bigint[]): boolean {
  const a = args[c.index] ?? 0n;
  const v = BigInt(c.value);
  switch (c.op) {
    case "SCMP_CMP_NE":
      return a !== v;
    case "SCMP_CMP_LT":
      return a < v;
    case "SCMP_CMP_LE":
      return a <= v;
    case "SCMP_CMP_EQ":
      return a === v;
    case "SCMP_CMP_GE":
      return a >= v;
    case "SCMP_CMP_GT":
      return a > v;
    case "SCMP_CMP_MASKED_EQ":
      return (a & v) === BigInt(c.valueTwo ?? 0);
  }
  throw new Error(`op ${c.op}`);
}

function ruleMatches(conds: LinuxSeccompArg[], args: bigint[]): boolean {
  const indexes = conds.map((c) => c.index);
  const repeated = new Set(indexes).size !== indexes.length;
  return repeated
    ? conds.some((c) => conditionHolds(c, args))
    : conds.every((c) => conditionHolds(c, args));
}

/** What the profile says should happen to this syscall on a kernel of `host`. */
function reference(p: LinuxSeccomp, host: HostArch, d: SeccompData): number {
  const def = actionValue(p.defaultAction, p.defaultErrnoRet);
  const runs = HOST_RUNS[host];
  const handled = new Set<SeccompArch>([runs[0]]);
  for (const name of p.architectures ?? []) {
    const a = ARCH_OF_NAME[name];
    if (a && runs.includes(a)) handled.add(a);
  }
  let arch: SeccompArch | undefined;
  if (d.arch === AUDIT_OF.x86_64 && (handled.has("x86_64") || handled.has("x32"))) {
    arch = (d.nr & BIT_X32) !== 0 ? "x32" : "x86_64";
    if (!handled.has(arch)) return KILL_PROCESS;
  } else {
    arch = [...handled].find((a) => AUDIT_OF[a] === d.arch);
    if (!arch) return KILL_PROCESS;
  }
  let named = false;
  for (const rule of p.syscalls ?? []) {
    if (!rule.names.some((n) => nrOf(arch, n) === d.nr)) continue;
    named = true;
    const act = actionValue(rule.action, rule.errnoRet);
    if (act === def) continue;
    if (ruleMatches(rule.args ?? [], d.args)) return act;
  }
  if (!named && isUnknownNumber(arch, d.nr)) return ENOSYS_RET;
  return def;
}

// ---- random generation ----

/** mulberry32: small, seedable, good enough to spread test cases. */
function prng(seed: number) {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  return {
    int,
    chance: (p: number) => next() < p,
    pick: <T>(xs: readonly T[]): T => xs[int(xs.length)],
    u32: () => int(0x100000000),
    u64: () => (BigInt(int(0x100000000)) << 32n) | BigInt(int(0x100000000)),
  };
}
type Rng = ReturnType<typeof prng>;

const NAMES = [
  "read",
  "write",
  "openat",
  "open",
  "close",
  "personality",
  "clone",
  "clone3",
  "socket",
  "mount",
  "ioctl",
  "getpid",
  "chown32",
  "mmap2",
  "arch_prctl",
  "cacheflush",
  "breakpoint",
  "rt_sigaction",
  "rseq_slice_yield",
  "listns",
  "io_setup",
  "no_such_syscall",
  "socketcall",
];
const ACTIONS = Object.keys(ACTION_BASE);
const OPS = [
  "SCMP_CMP_NE",
  "SCMP_CMP_LT",
  "SCMP_CMP_LE",
  "SCMP_CMP_EQ",
  "SCMP_CMP_GE",
  "SCMP_CMP_GT",
  "SCMP_CMP_MASKED_EQ",
];
const ARCH_NAMES = [...Object.keys(ARCH_OF_NAME), "SCMP_ARCH_MIPS", "SCMP_ARCH_PPC64"];
const HOSTS: HostArch[] = [
  "x86_64",
  "x86_64",
  "x86_64",
  "aarch64",
  "aarch64",
  "x86",
  "arm",
  "riscv64",
  "loongarch64",
  "ppc64le",
  "s390x",
];
const INTERESTING = [
  0n,
  1n,
  2n,
  0x7fn,
  0xffn,
  0x7fffffffn,
  0x80000000n,
  0xffffffffn,
  0x100000000n,
  0x100000001n,
  0xffffffff00000000n,
  1n << 63n,
  (1n << 64n) - 1n,
];
const U64_MAX = (1n << 64n) - 1n;

function randomValue(r: Rng): bigint {
  return r.chance(0.7) ? r.pick(INTERESTING) : r.chance(0.5) ? BigInt(r.u32()) : r.u64();
}

/** Profiles carry numbers like JSON would, bigints only where a number cannot be exact. */
const asJson = (v: bigint): number | bigint => v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;

function randomRule(r: Rng): LinuxSyscall {
  const action = r.pick(ACTIONS);
  const rule: LinuxSyscall = {
    names: Array.from({ length: 1 + r.int(3) }, () => r.pick(NAMES)),
    action,
  };
  if ((action === "SCMP_ACT_ERRNO" || action === "SCMP_ACT_TRACE") && r.chance(0.5)) {
    rule.errnoRet = r.int(200);
  }
  const nargs = r.chance(0.4) ? 0 : 1 + r.int(3);
  if (nargs) {
    rule.args = Array.from({ length: nargs }, () => {
      const op = r.pick(OPS);
      const arg: LinuxSeccompArg = { index: r.int(r.chance(0.5) ? 2 : 6), value: 0, op };
      arg.value = asJson(randomValue(r));
      if (op === "SCMP_CMP_MASKED_EQ" && r.chance(0.8)) {
        // A datum inside the mask can match; one outside never can.
        const datum = r.chance(0.8) ? BigInt(arg.value) & randomValue(r) : randomValue(r);
        arg.valueTwo = asJson(datum);
      }
      return arg;
    });
  }
  return rule;
}

function randomProfile(r: Rng, host: HostArch): LinuxSeccomp {
  const p: LinuxSeccomp = {
    defaultAction: r.chance(0.5) ? r.pick(["SCMP_ACT_ERRNO", "SCMP_ACT_ALLOW"]) : r.pick(ACTIONS),
    listenerPath: "/run/agent.sock",
    syscalls: Array.from({ length: r.int(9) }, () => randomRule(r)),
  };
  if (
    (p.defaultAction === "SCMP_ACT_ERRNO" || p.defaultAction === "SCMP_ACT_TRACE") &&
    r.chance(0.5)
  ) {
    p.defaultErrnoRet = r.int(200);
  }
  // Sometimes the default equals a rule's action, which must then change nothing.
  if (r.chance(0.2) && p.syscalls!.length) {
    const rule = p.syscalls![0];
    p.defaultAction = rule.action;
    p.defaultErrnoRet = rule.errnoRet;
  }
  if (r.chance(0.8)) {
    // Mostly architectures the host runs, so most inputs get past the arch check.
    const runnable = ARCH_NAMES.filter((n) => HOST_RUNS[host].includes(ARCH_OF_NAME[n]));
    p.architectures = Array.from(
      { length: r.int(5) },
      () => r.pick(r.chance(0.7) ? runnable : ARCH_NAMES),
    );
  }
  return p;
}

function randomInput(r: Rng, p: LinuxSeccomp, host: HostArch): SeccompData {
  const arches = Object.keys(AUDIT_OF) as SeccompArch[];
  const arch = r.chance(0.1) ? r.pick(arches) : r.pick(HOST_RUNS[host]);
  const audit = r.chance(0.03) ? r.u32() : AUDIT_OF[arch];
  const names = (p.syscalls ?? []).flatMap((s) => s.names);
  let nr: number;
  const roll = r.int(10);
  if (roll < 6 && names.length) nr = nrOf(arch, r.pick(names)) ?? r.int(500);
  else if (roll < 8) nr = r.int(600) + (arch === "x32" ? BIT_X32 : 0);
  else {
    nr = r.pick([
      0,
      471,
      472,
      1000,
      0xf0000,
      0xf0002,
      0xf0006,
      0xf0007,
      BIT_X32 - 1,
      BIT_X32,
      BIT_X32 + 547,
      BIT_X32 + 548,
      0xffffffff,
      r.u32(),
    ]);
  }
  const values = (p.syscalls ?? []).flatMap((s) =>
    (s.args ?? []).flatMap((a) => [BigInt(a.value), BigInt(a.valueTwo ?? 0)])
  );
  const args = Array.from({ length: 6 }, () => {
    if (values.length && r.chance(0.6)) {
      const v = r.pick(values) + BigInt(r.int(3) - 1);
      return v < 0n ? 0n : v > U64_MAX ? U64_MAX : v;
    }
    return randomValue(r);
  });
  return { nr: nr >>> 0, arch: audit, args };
}

Deno.test("compiled filters mean what the profiles say (seeded random cases)", () => {
  const r = prng(0x5eccd0c);
  const PROFILES = 2000;
  const INPUTS = 30;
  let cases = 0;
  for (let i = 0; i < PROFILES; i++) {
    const host = r.pick(HOSTS);
    const profile = randomProfile(r, host);
    const compiled = compileSeccomp(profile, { hostArch: host });
    const le = host !== "s390x";
    const prog = checkProgram(compiled.program, le);
    for (let j = 0; j < INPUTS; j++) {
      const input = randomInput(r, profile, host);
      const want = reference(profile, host, input);
      const got = run(prog, input, le).ret;
      if (got !== want) {
        assert.fail(
          `case ${i}/${j} on ${host}: got 0x${got.toString(16)}, want 0x${want.toString(16)}\n` +
            `input ${JSON.stringify(input, (_k, v) => typeof v === "bigint" ? `${v}` : v)}\n` +
            `profile ${JSON.stringify(profile, (_k, v) => typeof v === "bigint" ? `${v}n` : v)}`,
        );
      }
      cases++;
    }
  }
  assert.ok(cases >= 10_000);
});

Deno.test("Docker's profile agrees with the reference on every number", () => {
  const docker = JSON.parse(
    Deno.readTextFileSync(
      new URL("../../vendor/docker-default-amd64.json", import.meta.url),
    ),
  ) as LinuxSeccomp;
  const r = prng(42);
  for (const host of ["x86_64", "aarch64"] as HostArch[]) {
    const prog = checkProgram(compileSeccomp(docker, { hostArch: host }).program);
    for (const arch of HOST_RUNS[host]) {
      const base = arch === "x32" ? BIT_X32 : 0;
      for (let nr = base; nr < base + 1100; nr++) {
        const input = { nr, arch: AUDIT_OF[arch], args: [r.pick(INTERESTING), r.u64()] };
        assert.equal(run(prog, input).ret, reference(docker, host, input), `${arch} ${nr}`);
      }
    }
  }
});
