/**
 * The cgroup v2 device filter on the real kernel: the verifier takes the programs drun
 * builds, and an attached filter lets a process open /dev/null and refuses /dev/zero.
 *
 * Safety: the only cgroups touched are new directories in the cgroup2 hierarchy, nested under
 * this test process's own v2 cgroup; only a bash started here joins them (it moves itself), and
 * the directories are removed once it has exited. Nothing is attached anywhere else.
 */
import "./needs_root.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import { attachDeviceFilter, loadDeviceProgram } from "../../lib/cgroup/devices_attach.ts";
import { compileDeviceFilter } from "../../lib/cgroup/devices_bpf.ts";
import { deviceRuleList } from "../../lib/cgroup/v1.ts";
import { V2Manager } from "../../lib/cgroup/v2.ts";
import { closeFd } from "../../lib/native/ffi.ts";
import type { LinuxDeviceCgroup } from "../../lib/spec/types.ts";

/** This process's own directory in the cgroup2 hierarchy, or undefined when there is none. */
function ownV2Dir(): string | undefined {
  const mount = Deno.readTextFileSync("/proc/self/mountinfo").trim().split("\n")
    .map((l) => l.split(" - "))
    .find(([, right]) => right?.startsWith("cgroup2 "))?.[0].split(" ")[4];
  const own = Deno.readTextFileSync("/proc/self/cgroup").split("\n")
    .find((l) => l.startsWith("0::"))?.slice(3);
  if (!mount || own === undefined) return undefined;
  return join(mount, own);
}

const OWN = Deno.uid() === 0 ? ownV2Dir() : undefined;
const ignore = OWN === undefined;

/** Runs bash inside `dir` (it moves itself there) trying to read /dev/null and /dev/zero. */
async function probe(dir: string): Promise<string> {
  const script = `echo $$ > ${dir}/cgroup.procs || exit 99
head -c1 /dev/null; echo null=$?
head -c1 /dev/zero >/dev/null; echo zero=$?`;
  const out = await new Deno.Command("bash", { args: ["-c", script], stderr: "piped" }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, text);
  return text;
}

/** rmdir with a few retries (the kernel drops an exited task from the cgroup shortly after). */
async function rmdirCgroup(dir: string): Promise<void> {
  for (let i = 0;; i++) {
    try {
      Deno.removeSync(dir);
      return;
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return;
      if (i >= 50) throw e;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

Deno.test({
  name: "cgroup v2 devices: the verifier accepts the default list and a wildcard rule",
  ignore,
  fn() {
    const lists: LinuxDeviceCgroup[][] = [
      deviceRuleList([{ allow: false, access: "rwm" }], []),
      [...deviceRuleList([{ allow: false, access: "rwm" }], []), { allow: true }],
      [{ allow: true }],
      [],
      deviceRuleList([
        { allow: false },
        { allow: true, type: "b", major: 8, access: "rw" },
        { allow: false, type: "c", major: 1, minor: 5, access: "w" },
      ], [{ type: "c", major: 10, minor: 200, access: "rwm" }]),
    ];
    for (const rules of lists) closeFd(loadDeviceProgram(compileDeviceFilter(rules)));
  },
});

Deno.test({
  name: "cgroup v2 devices: a load the verifier refuses reports its log",
  ignore,
  fn() {
    // r0 never written before exit.
    const bad = new Uint8Array([0x95, 0, 0, 0, 0, 0, 0, 0]);
    assert.throws(() => loadDeviceProgram(bad), /BPF_PROG_LOAD[\s\S]*R0/);
  },
});

Deno.test({
  name: "cgroup v2 devices: an attached filter allows /dev/null and refuses /dev/zero",
  ignore,
  async fn() {
    const dir = join(OWN!, `drun-devtest-${Deno.pid}`);
    Deno.mkdirSync(dir);
    try {
      attachDeviceFilter(dir, [
        { allow: true, type: "c", major: 1, minor: 3, access: "rwm" },
        { allow: false, type: "c", major: 1, minor: 5, access: "rwm" },
      ]);
      const out = await probe(dir);
      assert.match(out, /null=0/);
      assert.match(out, /zero=[1-9]/);
      assert.match(out, /Operation not permitted/);
    } finally {
      await rmdirCgroup(dir);
    }
  },
});

Deno.test({
  name: "cgroup v2 devices: the v2 driver attaches the config's rules plus the defaults",
  ignore,
  async fn() {
    const dir = join(OWN!, `drun-devtest-${Deno.pid}-driver`);
    const warnings: string[] = [];
    const m = new V2Manager(
      { dir, mount: OWN! },
      [],
      (w) => warnings.push(w),
      undefined,
      [],
      attachDeviceFilter,
    );
    try {
      m.create();
      // Deny all, then (defaults slot in here: null, zero, ...) deny zero again.
      m.apply({
        devices: [{ allow: false, access: "rwm" }, {
          allow: false,
          type: "c",
          major: 1,
          minor: 5,
          access: "rwm",
        }],
      });
      assert.deepEqual(warnings, []);
      const out = await probe(dir);
      assert.match(out, /null=0/);
      assert.match(out, /zero=[1-9]/);
    } finally {
      await rmdirCgroup(dir);
    }
  },
});
