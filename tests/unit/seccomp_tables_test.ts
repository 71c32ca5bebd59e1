import assert from "node:assert/strict";
import { generateTables } from "../../scripts/gen_syscalls.ts";
import {
  AUDIT_ARCH,
  SCMP_ARCH,
  SECCOMP_ARCHES,
  SYSCALL_BLOCKS,
  SYSCALL_MAX,
  SYSCALLS,
  SYSCALLS_CSV_SHA256,
} from "../../lib/seccomp/tables.generated.ts";

const root = new URL("../../", import.meta.url);
const csvUrl = new URL("vendor/syscalls.csv", root);
const tablesUrl = new URL("lib/seccomp/tables.generated.ts", root);

Deno.test("the generated tables are up to date and regenerate byte for byte", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const out = `${dir}/tables.generated.ts`;
    const cmd = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-read",
        "--allow-write",
        new URL("scripts/gen_syscalls.ts", root).pathname,
        csvUrl.pathname,
        out,
      ],
      stdout: "null",
      stderr: "piped",
    });
    const { code, stderr } = await cmd.output();
    assert.equal(code, 0, new TextDecoder().decode(stderr));
    const fresh = await Deno.readFile(out);
    assert.deepEqual(fresh, await Deno.readFile(tablesUrl));
    // And the generator itself is a pure function of the CSV.
    const csv = await Deno.readTextFile(csvUrl);
    assert.equal(generateTables(csv), generateTables(csv));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("tables agree with well-known numbers", () => {
  assert.equal(SYSCALLS.x86_64.read, 0);
  assert.equal(SYSCALLS.x86_64.clone3, 435);
  assert.equal(SYSCALLS.x86.read, 3);
  assert.equal(SYSCALLS.x86.socketcall, 102);
  assert.equal(SYSCALLS.x32.rt_sigaction, 512);
  assert.equal(SYSCALLS.aarch64.openat, 56);
  assert.equal(SYSCALLS.arm.cacheflush, 0xf0002);
  assert.equal(SYSCALLS.riscv64.read, 63);
  assert.ok(!Object.hasOwn(SYSCALLS.aarch64, "open"));
  assert.ok(!Object.hasOwn(SYSCALLS.x86, "accept")); // PNR: only via socketcall
  assert.equal(AUDIT_ARCH.x86_64, 0xc000003e);
  assert.equal(AUDIT_ARCH.x32, AUDIT_ARCH.x86_64);
  assert.equal(AUDIT_ARCH.aarch64, 0xc00000b7);
  assert.equal(SCMP_ARCH.SCMP_ARCH_X32, "x32");
  assert.equal(SCMP_ARCH.SCMP_ARCH_MIPS, null);
  assert.match(SYSCALLS_CSV_SHA256, /^[0-9a-f]{64}$/);
  for (const arch of SECCOMP_ARCHES) {
    const numbers = Object.values(SYSCALLS[arch]);
    assert.equal(SYSCALL_MAX[arch], Math.max(...numbers), arch);
    assert.ok(numbers.every((n) => Number.isInteger(n) && n >= 0), arch);
    const blocks = SYSCALL_BLOCKS[arch];
    assert.equal(blocks.at(-1)![1], SYSCALL_MAX[arch]);
    assert.ok(numbers.every((n) => blocks.some(([a, b]) => a <= n && n <= b)), arch);
  }
  assert.deepEqual(SYSCALL_BLOCKS.arm.length, 2);
});
