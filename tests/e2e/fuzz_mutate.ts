/**
 * The fuzz test's mutations, driven by a seeded generator so a seed replays a run: of a
 * config tree (fields deleted, wrong types, odd numbers and strings, grown arrays, unknown
 * fields; never the fields that could reach the host), and of `create` and `exec` argument
 * lists (odd flags and ids, paths kept inside the test's dir).
 * @module
 */
import { join } from "node:path";
import type { Spec } from "../../lib/spec/types.ts";

/** mulberry32: small, seedable, good enough to pick mutations. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A config as a JSON tree, the shape the mutations work on. */
export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const ODD_STRINGS: string[] = [
  "",
  " ",
  "relative/path",
  "/nonexistent/deeper",
  "../../../../etc",
  "/a/../../b",
  "/./././x",
  "//double//slash",
  "/" + "c".repeat(300),
  "/" + "ab/".repeat(1700),
  "x".repeat(20_000),
  "nul\u0000inside",
  "émoji-🦕",
  "--flag-like",
  "=",
  "KEY=",
  "\n",
];
const ODD_NUMBERS: number[] = [
  -1,
  -(2 ** 31),
  0,
  1,
  255,
  256,
  65535,
  4294967294,
  4294967295,
  4294967296,
  2 ** 53,
  -(2 ** 53),
  1e308,
  -1e308,
  0.5,
];

/** Paths (as key lists) the fuzzer must not change: they could reach the host. */
function forbidden(path: (string | number)[]): boolean {
  const p = path.join(".");
  return p.startsWith("hooks") || p === "linux.rootfsPropagation" || p === "linux.cgroupsPath";
}

/** Every path into the tree (objects and arrays included), in a stable order. */
function paths(v: Json, at: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [at];
  if (Array.isArray(v)) v.forEach((x, i) => out.push(...paths(x, [...at, i])));
  else if (v && typeof v === "object") {
    for (const k of Object.keys(v)) out.push(...paths(v[k], [...at, k]));
  }
  return out;
}

function getAt(v: Json, path: (string | number)[]): Json {
  let cur: Json = v;
  for (const k of path) cur = (cur as Record<string, Json>)[k as string];
  return cur;
}

/** One mutation of `spec` in place; returns what it did, for the failure report. */
export function mutate(spec: Json, rand: () => number): string {
  const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)];
  const all = paths(spec).filter((p) => p.length > 0 && !forbidden(p));
  const path = pick(all);
  const parent = getAt(spec, path.slice(0, -1)) as Record<string, Json>;
  const key = path[path.length - 1] as string;
  const where = path.join(".");
  const isRootPath = where === "root.path";
  const isBindSource = /^mounts\.\d+\.source$/.test(where);
  const kind = Math.floor(rand() * 8);
  const set = (v: Json, what: string) => {
    parent[key] = v;
    return `${where} = ${what}`;
  };
  switch (kind) {
    case 0:
      if (Array.isArray(parent)) {
        parent.splice(Number(key), 1);
      } else delete parent[key];
      return `delete ${where}`;
    case 1:
      return set(null, "null");
    case 2: {
      const v = pick<Json>([true, 42, "str", [], {}, [1, "a"], { x: 1 }]);
      return set(v, JSON.stringify(v));
    }
    case 3: {
      const n = pick(ODD_NUMBERS);
      return set(n, String(n));
    }
    case 4: {
      // root.path and bind sources only ever get strings that cannot name a host path.
      const s = isRootPath || isBindSource
        ? pick(["", "relative/nonexistent", "/nonexistent/x", "/" + "c".repeat(300)])
        : pick(ODD_STRINGS);
      return set(s, JSON.stringify(s.slice(0, 40)) + (s.length > 40 ? `… (${s.length})` : ""));
    }
    case 5: {
      // Grow an array with a copy of one of its entries, or with junk.
      if (Array.isArray(parent[key])) {
        const arr = parent[key] as Json[];
        // Up to 200: more than 255 args+env entries do not fit one op of the plan format yet.
        const n = pick([1, 40, 200]);
        for (let i = 0; i < n; i++) arr.push(arr.length ? structuredClone(arr[0]) : "x");
        return `grow ${where} by ${n}`;
      }
      return set([parent[key]], "[value]");
    }
    case 6: {
      if (parent[key] && typeof parent[key] === "object" && !Array.isArray(parent[key])) {
        (parent[key] as Record<string, Json>)[pick(["unknownField", "", "x".repeat(500)])] = 1;
        return `add unknown field to ${where}`;
      }
      return set({}, "{}");
    }
    default: {
      if (typeof parent[key] === "string" && !isRootPath && !isBindSource) {
        return set(
          (parent[key] as string) + pick(["/..", "/x", "\u0000", "/" + "n".repeat(256)]),
          "suffix",
        );
      }
      if (typeof parent[key] === "number") {
        return set(-(parent[key] as number) - 1, "negated");
      }
      return set(pick(ODD_STRINGS.slice(0, 6)), "odd string");
    }
  }
}

/** A `create` argument list with one or two odd flags or ids; paths stay inside `dir`. */
export function mutatedArgs(rand: () => number, dir: string, n: number): string[] {
  const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)];
  const id = pick([
    `fza${n}`,
    `.fza${n}`,
    "",
    "../escape",
    "a/b",
    "x".repeat(2000),
    "-dash",
    "sp ace",
    "..",
  ]);
  const extras: string[][] = [
    ["--preserve-fds", pick(["-1", "1e9", "99999999999", "abc", "0", "2", ""])],
    ["--pid-file", pick([join(dir, "p.pid"), join(dir, "nodir", "p.pid"), join(dir, "data"), ""])],
    ["--console-socket", pick([join(dir, "nosock"), ""])],
    ["--no-pivot"],
    ["--no-such-flag"],
    ["--bundle", pick([join(dir, "nonexistent"), join(dir, "data"), ""])],
  ];
  const args = ["create", "--bundle", dir];
  const k = 1 + Math.floor(rand() * 2);
  for (let i = 0; i < k; i++) args.push(...pick(extras));
  args.push(id);
  if (rand() < 0.1) args.push("extra-positional");
  return args;
}

/** An `exec` argument list with odd flags, or a --process file mutated like a config. */
export function mutatedExec(
  rand: () => number,
  dir: string,
  n: number,
  proc: NonNullable<Spec["process"]>,
  id: string,
): string[] {
  const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)];
  const args = ["exec"];
  if (rand() < 0.3) {
    const tree = { process: structuredClone(proc) } as unknown as Json;
    mutate(tree, rand);
    const file = join(dir, `process-${n}.json`);
    Deno.writeTextFileSync(file, JSON.stringify((tree as Record<string, Json>).process));
    return [...args, "--process", file, id];
  }
  const flags: string[][] = [
    ["--user", pick(["4294967295", "-1", "abc", "0:4294967295", "65534", "1:1", ""])],
    ["--cwd", pick(["relative", "/nonexistent", "/" + "ab/".repeat(1500), "/tmp"])],
    ["--env", pick(["NOEQ", "=x", "A=" + "v".repeat(5000), "A=1"])],
    ["--cap", pick(["CAP_NOPE", "CAP_CHOWN", "", "cap_chown"])],
    ["--additional-gids", pick(["4294967295", "x", "10"])],
    ["--preserve-fds", pick(["99999999999", "-3", "1"])],
    ["--pid-file", pick([join(dir, "e.pid"), join(dir, "nodir", "e.pid")])],
    ["-d"],
    ["--tty"],
    ["--no-new-privs"],
    ["--ignore-paused"],
  ];
  const k = 1 + Math.floor(rand() * 2);
  for (let i = 0; i < k; i++) args.push(...pick(flags));
  args.push(pick([id, id, id, "nosuch", ".."]));
  args.push(...pick([["/bin/true"], ["/bin/true"], ["relative"], ["/nonexistent"], [""]]));
  return args;
}
