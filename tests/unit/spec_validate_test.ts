/**
 * validateSpec on what it accepts: the default and rootless default specs, edge cases, its
 * copy normalised and its input untouched, checkFs=false, loadSpec, parseCpuList and runc's own
 * specs; its error messages as documented; linux.seccomp checked once, by the seccomp module's
 * rules.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { SpecError } from "../../lib/errors.ts";
import { defaultSpec } from "../../lib/spec/default.ts";
import type { Spec } from "../../lib/spec/types.ts";
import {
  isBindMount,
  loadSpec,
  parseCpuList,
  validatedSeccomp,
  validateSpec,
} from "../../lib/spec/validate.ts";
import { type AnySpec, base, withBundle } from "./spec_validate_helpers.ts";

/** Whether runc is installed, for the tests that compare with its `spec`. */
function hasRunc(): boolean {
  try {
    new Deno.Command("runc", { args: ["--version"], stdout: "null", stderr: "null" }).outputSync();
    return true;
  } catch {
    return false;
  }
}

Deno.test("default spec validates against a bundle with a rootfs", async () => {
  await withBundle((dir) => {
    const spec = validateSpec(defaultSpec(), { bundle: dir, checkFs: true });
    assert.equal(spec.root?.path, join(dir, "rootfs"));
    assert.deepEqual(spec.process?.args, ["sh"]);
    assert.equal(spec.mounts?.length, 7);
  });
});

Deno.test("rootless default spec validates", async () => {
  await withBundle((dir) => {
    const spec = validateSpec(base({ rootless: true }), { bundle: dir, checkFs: true });
    assert.deepEqual(spec.linux?.uidMappings, [{ containerID: 0, hostID: 1000, size: 1 }]);
    assert.ok(!spec.linux?.namespaces?.some((n) => n.type === "network"));
    assert.ok(isBindMount(spec.mounts!.find((m) => m.destination === "/sys")!));
  });
});

Deno.test("defaultSpec honours args and returns independent copies", () => {
  const a = defaultSpec({ args: ["/bin/true", "x"] });
  const b = defaultSpec();
  a.process!.capabilities!.bounding!.push("CAP_SYS_ADMIN");
  assert.deepEqual(a.process?.args, ["/bin/true", "x"]);
  assert.equal(b.process!.capabilities!.bounding!.length, 3);
});

Deno.test("validateSpec does not mutate its input and normalises the copy", async () => {
  await withBundle(async (dir) => {
    await Deno.writeTextFile(join(dir, "data.txt"), "x");
    const raw = base();
    raw.mounts.push({ destination: "data", source: "data.txt", options: ["bind", "ro"] });
    raw.linux.namespaces.push({ type: "cgroup", path: "" });
    raw.linux.resources.memory = null;
    raw.process.apparmorProfile = null;
    const before = JSON.stringify(raw);
    const spec = validateSpec(raw, { bundle: dir, checkFs: true });
    assert.equal(JSON.stringify(raw), before);
    const m = spec.mounts!.at(-1)!;
    assert.equal(m.destination, "/data");
    assert.equal(m.source, join(dir, "data.txt"));
    assert.deepEqual(spec.linux!.namespaces!.at(-1), { type: "cgroup" });
    assert.ok(!("memory" in spec.linux!.resources!));
    assert.ok(!("apparmorProfile" in spec.process!));
  });
});

Deno.test("accepted edge cases", async () => {
  await withBundle((dir) => {
    const raw = JSON.parse(
      JSON.stringify(base()).replace(
        '"hard":1024,"soft":1024',
        '"hard":18446744073709551615,"soft":18446744073709551615',
      ),
    );
    assert.equal(raw.process.rlimits[0].hard, 2 ** 64);
    raw.mounts.push({ destination: "/x", type: "tmpfs", options: ["weirdword", "size=1m"] });
    raw.mounts.push({ destination: "/y", type: "fuse.sshfs", source: "host:/" });
    raw.linux.sysctl = { "net.ipv4.ip_forward": "1", "kernel.shmmax": "1", "fs.mqueue.x": "1" };
    raw.linux.resources.cpu = { cpus: "0-2,4", mems: "0", quota: -1, period: 100000 };
    raw.linux.resources.memory = { limit: -1, swap: -1, swappiness: 60 };
    raw.linux.resources.pids = { limit: -1 };
    raw.linux.resources.unified = { "memory.high": "1G" };
    raw.linux.devices = [{ type: "p", path: "/dev/fifo" }, {
      type: "c",
      path: "/dev/null2",
      major: 1,
      minor: 3,
      fileMode: 0o666,
    }];
    raw.linux.seccomp = {
      defaultAction: "SCMP_ACT_ERRNO",
      defaultErrnoRet: 1,
      architectures: ["SCMP_ARCH_X86_64"],
      listenerPath: "/run/agent.sock",
      syscalls: [
        { names: ["mkdir"], action: "SCMP_ACT_NOTIFY" },
        {
          names: ["read"],
          action: "SCMP_ACT_ALLOW",
          args: [{ index: 0, value: 1, op: "SCMP_CMP_EQ" }],
        },
      ],
    };
    raw.process.user.umask = 0o22;
    raw.process.oomScoreAdj = -1000;
    raw.process.scheduler = { policy: "SCHED_FIFO", priority: 10 };
    raw.process.consoleSize = { height: 24, width: 80 };
    raw.hooks = { poststop: [{ path: "/bin/true", timeout: 5, env: ["A=b"] }] };
    raw.annotations = { "org.example": "v" };
    raw.linux.namespaces.push({ type: "time" });
    raw.linux.timeOffsets = { monotonic: { secs: -5, nanosecs: 0 } };
    const spec: Spec = validateSpec(raw, { bundle: dir, checkFs: true });
    assert.equal(spec.linux?.sysctl?.["net.ipv4.ip_forward"], "1");
  });
});

Deno.test("checkFs=false does not touch the filesystem", () => {
  const raw = base();
  raw.mounts.push({ destination: "/x", source: "/nonexistent/src", options: ["rbind"] });
  const spec = validateSpec(raw, { bundle: "/nonexistent/bundle" });
  assert.equal(spec.root?.path, "/nonexistent/bundle/rootfs");
});

Deno.test("parseCpuList", () => {
  assert.deepEqual(parseCpuList("0-2,4"), [0, 1, 2, 4]);
  assert.deepEqual(parseCpuList(""), []);
  assert.deepEqual(parseCpuList("3,1,1\n"), [1, 3]);
  assert.deepEqual(parseCpuList("0-7:2/4"), [0, 1, 4, 5]);
  for (const bad of ["2-1", "a", "1,", "-1", "0-999999", "0-7:5/4", "1 ,2"]) {
    assert.throws(() => parseCpuList(bad), Error, bad);
  }
});

Deno.test("loadSpec reads config.json and reports file problems", async () => {
  await withBundle(async (dir) => {
    await assert.rejects(
      () => loadSpec(dir),
      (e: Error) => e instanceof SpecError && e.message.startsWith("config.json: no such file"),
    );
    await Deno.writeTextFile(join(dir, "config.json"), "{ not json");
    await assert.rejects(
      () => loadSpec(dir),
      (e: Error) => e instanceof SpecError && e.message.startsWith("config.json: invalid JSON: "),
    );
    await Deno.writeTextFile(join(dir, "config.json"), JSON.stringify(base()));
    const spec = await loadSpec(dir);
    assert.equal(spec.root?.path, join(dir, "rootfs"));
    await Deno.remove(join(dir, "rootfs"));
    await assert.rejects(
      () => loadSpec(dir),
      (e: Error) => e instanceof SpecError && e.message.startsWith("root.path: no such directory"),
    );
  });
});

for (const rootless of [false, true]) {
  Deno.test({
    name: `runc spec${rootless ? " --rootless" : ""} output validates`,
    ignore: !hasRunc(),
    fn: async () => {
      await withBundle(async (dir) => {
        const out = await new Deno.Command("runc", {
          args: ["spec", ...(rootless ? ["--rootless"] : [])],
          cwd: dir,
        }).output();
        assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
        const spec = await loadSpec(dir);
        assert.equal(spec.root?.path, join(dir, "rootfs"));
      });
    },
  });
}

Deno.test("error messages are the documented ones", async () => {
  await withBundle((dir) => {
    const cases: [(s: AnySpec) => void, string][] = [
      [(s) => s.process.args = [], "process.args: must be a non-empty array"],
      [
        (s) => s.mounts[1].type = "foofs",
        'mounts[1].type: unknown mount type "foofs"',
      ],
      [
        (s) => s.linux.namespaces[2].type = "foo",
        'linux.namespaces[2].type: unknown namespace type "foo"',
      ],
      [
        (s) => s.mounts.push({ destination: "/x", source: "/x/y", options: ["bind"] }),
        "mounts[7].source: no such file or directory: /x/y",
      ],
      [
        (s) => s.root.path = "/nonexistent",
        "root.path: no such directory: /nonexistent",
      ],
    ];
    for (const [mutate, message] of cases) {
      const raw = base();
      mutate(raw);
      assert.throws(() => validateSpec(raw, { bundle: dir, checkFs: true }), { message });
    }
  });
});

Deno.test("validate: linux.seccomp is checked by the seccomp module's rules, once", () => {
  const spec = JSON.parse(JSON.stringify(defaultSpec()));
  // A rule only the seccomp module knew: an unknown architecture name in SCMP_ARCH_ form.
  spec.linux.seccomp = { defaultAction: "SCMP_ACT_ALLOW", architectures: ["SCMP_ARCH_VAX"] };
  assert.throws(
    () => validateSpec(spec, { bundle: "/tmp" }),
    /linux\.seccomp\.architectures\[0\]: unknown architecture/,
  );
  // A valid profile comes back checked, for the compiler to take as it is.
  spec.linux.seccomp = {
    defaultAction: "SCMP_ACT_ERRNO",
    syscalls: [{ names: ["read"], action: "SCMP_ACT_ALLOW" }],
  };
  const checked = validateSpec(spec, { bundle: "/tmp" });
  const valid = validatedSeccomp(checked.linux!.seccomp!);
  assert.equal(valid?.rules[0].names[0], "read");
  assert.equal(validatedSeccomp(spec.linux.seccomp), undefined, "only the returned copy");
});
