/**
 * Kernel counters are uint64: the cgroup statistics keep them as bigints from the file readers
 * to the JSON printer, so `events --stats` prints 9223372036854771712 (a v1 "no limit") and
 * 18446744073709551615 as the kernel wrote them. Through JS numbers they would print as
 * 9223372036854772000 and 18446744073709552000 (the assertions below fail on the old readers).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { openCgroups } from "../../lib/cgroup/mod.ts";
import { stringifyJson } from "../../lib/json.ts";

const NO_LIMIT = "9223372036854771712";
const U64_MAX = "18446744073709551615";

Deno.test("stats: uint64 counters print exactly, end to end from the v1 files", () => {
  const root = Deno.makeTempDirSync({ prefix: "drun-stats-" });
  try {
    for (const h of ["memory", "pids", "cpu,cpuacct"]) {
      Deno.mkdirSync(join(root, h, "own", "drun-c1"), { recursive: true });
    }
    const mem = join(root, "memory", "own", "drun-c1");
    const w = (dir: string, f: string, t: string) => Deno.writeTextFileSync(join(dir, f), t);
    w(mem, "memory.limit_in_bytes", `${NO_LIMIT}\n`);
    w(mem, "memory.usage_in_bytes", "4096\n");
    w(mem, "memory.failcnt", "0\n");
    w(mem, "memory.stat", `cache 8192\nhierarchical_memory_limit ${NO_LIMIT}\nx ${U64_MAX}\n`);
    const acct = join(root, "cpu,cpuacct", "own", "drun-c1");
    w(acct, "cpuacct.usage", `${U64_MAX}\n`);
    w(acct, "cpuacct.usage_percpu", `${U64_MAX} 1\n`);
    const m = openCgroups({ ociVersion: "1.2.0" }, "c1", {
      root,
      procSelfCgroup: "3:memory:/own\n2:pids:/own\n1:cpu,cpuacct:/own\n",
    })!;
    const s = m.stats();
    assert.equal(s.memory.usage.limit, BigInt(NO_LIMIT));
    const text = stringifyJson({ type: "stats", id: "c1", data: s });
    assert.ok(text.includes(`"limit":${NO_LIMIT}`), text);
    assert.ok(text.includes(`"hierarchical_memory_limit":${NO_LIMIT}`), text);
    assert.ok(text.includes(`"x":${U64_MAX}`), text);
    assert.ok(text.includes(`"total":${U64_MAX}`), text);
    assert.ok(text.includes(`"percpu":[${U64_MAX},1]`), text);
    assert.ok(!text.includes("9223372036854772000"), text);
    assert.equal(String(Number(NO_LIMIT)), "9223372036854772000", "why bigints are needed");
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("stats: stringifyJson is JSON.stringify for everything but bigints", () => {
  const v = { a: 1, b: "x", c: [true, null], d: { e: 10n ** 20n }, f: undefined };
  assert.equal(stringifyJson(v), '{"a":1,"b":"x","c":[true,null],"d":{"e":100000000000000000000}}');
  assert.equal(stringifyJson({ a: 1n }, 2), '{\n  "a": 1\n}');
});
