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

// deno-lint-ignore no-explicit-any
type AnySpec = any;

/** Runs `fn` with a fresh bundle directory holding an empty `rootfs`, removed afterwards. */
async function withBundle<T>(fn: (dir: string) => T | Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "drun-spec-" });
  await Deno.mkdir(join(dir, "rootfs"));
  try {
    return await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** A mutable plain-JSON copy of the default spec. */
function base(opts?: { rootless?: boolean }): AnySpec {
  return JSON.parse(JSON.stringify(defaultSpec({ ...opts, hostUid: 1000, hostGid: 1000 })));
}

function assertSpecError(fn: () => unknown, path: string): SpecError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof SpecError, `expected SpecError, got ${e}`);
    assert.ok(
      e.message.startsWith(`${path}: `),
      `expected message to start with "${path}: ", got "${e.message}"`,
    );
    assert.equal(e.path, path);
    assert.ok(!e.message.includes("\n"), "message must be one line");
    return e;
  }
  assert.fail(`expected SpecError at ${path}, but the spec was accepted`);
}

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

// Each case breaks one thing in an otherwise valid default spec and names the expected path.
const invalid: [string, (s: AnySpec, dir: string) => void, string][] = [
  ["config is not an object", () => {}, "config.json"],
  ["ociVersion not a string", (s) => s.ociVersion = 1, "ociVersion"],
  ["ociVersion unsupported major", (s) => s.ociVersion = "2.0.0", "ociVersion"],
  ["process missing", (s) => delete s.process, "process"],
  ["process.args empty", (s) => s.process.args = [], "process.args"],
  ["process.args non-string", (s) => s.process.args = [1], "process.args[0]"],
  ["process.args with NUL", (s) => s.process.args = ["sh", "a\0b"], "process.args[1]"],
  ["process.cwd relative", (s) => s.process.cwd = "tmp", "process.cwd"],
  ["process.env without =", (s) => s.process.env.push("NOEQUALS"), "process.env[2]"],
  ["process.user missing", (s) => delete s.process.user, "process.user"],
  ["process.user.uid negative", (s) => s.process.user.uid = -1, "process.user.uid"],
  ["process.user.gid too big", (s) => s.process.user.gid = 2 ** 32, "process.user.gid"],
  ["process.user.umask too big", (s) => s.process.user.umask = 0o1000, "process.user.umask"],
  ["process.oomScoreAdj out of range", (s) => s.process.oomScoreAdj = 1001, "process.oomScoreAdj"],
  [
    "process.consoleSize without terminal",
    (s) => {
      s.process.terminal = false;
      s.process.consoleSize = { height: 1, width: 1 };
    },
    "process.consoleSize",
  ],
  [
    "unknown capability",
    (s) => s.process.capabilities.bounding.push("CAP_FOO"),
    "process.capabilities.bounding[3]",
  ],
  [
    "prototype name is not a capability",
    (s) => s.process.capabilities.ambient = ["constructor"],
    "process.capabilities.ambient[0]",
  ],
  ["unknown rlimit", (s) => s.process.rlimits[0].type = "RLIMIT_FOO", "process.rlimits[0].type"],
  ["rlimit soft above hard", (s) => s.process.rlimits[0].soft = 2048, "process.rlimits[0].soft"],
  [
    "duplicate rlimit",
    (s) => s.process.rlimits.push({ type: "RLIMIT_NOFILE", hard: 1, soft: 1 }),
    "process.rlimits[1].type",
  ],
  [
    "ioPriority class",
    (s) => s.process.ioPriority = { class: "X", priority: 0 },
    "process.ioPriority.class",
  ],
  [
    "scheduler priority for SCHED_OTHER",
    (s) => s.process.scheduler = { policy: "SCHED_OTHER", priority: 5 },
    "process.scheduler.priority",
  ],
  ["root missing", (s) => delete s.root, "root"],
  ["root.path missing", (s) => s.root = {}, "root.path"],
  ["root.path does not exist", (s) => s.root.path = "nope", "root.path"],
  [
    "root.path is a file",
    (s, dir) => {
      Deno.writeTextFileSync(join(dir, "file"), "");
      s.root.path = "file";
    },
    "root.path",
  ],
  ["hostname without uts namespace", (s) => s.linux.namespaces.splice(3, 1), "hostname"],
  ["hostname too long", (s) => s.hostname = "x".repeat(65), "hostname"],
  ["mount destination missing", (s) => delete s.mounts[0].destination, "mounts[0].destination"],
  ["unknown mount type", (s) => s.mounts[1].type = "foofs", "mounts[1].type"],
  ["mount type none without bind", (s) => s.mounts[1].type = "none", "mounts[1].type"],
  ["non-bind mount without type", (s) => delete s.mounts[0].type, "mounts[0].type"],
  [
    "unknown option on bind mount",
    (s) => s.mounts.push({ destination: "/x", source: "/", options: ["rbind", "ro", "foo"] }),
    "mounts[7].options[2]",
  ],
  [
    "bind mount source missing",
    (s) => s.mounts.push({ destination: "/x", source: "/nonexistent/x", type: "bind" }),
    "mounts[7].source",
  ],
  [
    "relative bind source missing in bundle",
    (s) => s.mounts.push({ destination: "/x", source: "nothere", options: ["bind"] }),
    "mounts[7].source",
  ],
  [
    "bind mount without source",
    (s) => s.mounts.push({ destination: "/x", type: "bind" }),
    "mounts[7].source",
  ],
  ["idmap on a non-bind mount", (s) => s.mounts[0].options = ["idmap"], "mounts[0].options[0]"],
  ["mount options not an array", (s) => s.mounts[2].options = "ro", "mounts[2].options"],
  [
    "hook path relative",
    (s) => s.hooks = { prestart: [{ path: "hook" }] },
    "hooks.prestart[0].path",
  ],
  [
    "hook timeout zero",
    (s) => s.hooks = { poststop: [{ path: "/bin/true", timeout: 0 }] },
    "hooks.poststop[0].timeout",
  ],
  ["annotation not a string", (s) => s.annotations = { a: 1 }, 'annotations["a"]'],
  [
    "unknown namespace type",
    (s) => s.linux.namespaces.push({ type: "foo" }),
    "linux.namespaces[5].type",
  ],
  [
    "duplicate namespace type",
    (s) => s.linux.namespaces.push({ type: "pid" }),
    "linux.namespaces[5].type",
  ],
  [
    "namespace path does not exist",
    (s) => s.linux.namespaces[1].path = "/proc/999999999/ns/net",
    "linux.namespaces[1].path",
  ],
  [
    "user namespace without uidMappings",
    (s) => s.linux.namespaces.push({ type: "user" }),
    "linux.uidMappings",
  ],
  [
    "uidMappings without user namespace",
    (s) => s.linux.uidMappings = [{ containerID: 0, hostID: 1000, size: 1 }],
    "linux.uidMappings",
  ],
  [
    "uidMappings size zero",
    (s) => s.linux.uidMappings = [{ containerID: 0, hostID: 1000, size: 0 }],
    "linux.uidMappings[0].size",
  ],
  [
    "overlapping uidMappings",
    (s) => {
      s.linux.namespaces.push({ type: "user" });
      s.linux.uidMappings = [
        { containerID: 0, hostID: 1000, size: 10 },
        { containerID: 5, hostID: 5000, size: 10 },
      ];
    },
    "linux.uidMappings[1]",
  ],
  [
    "process uid not mapped",
    (s) => {
      s.linux.namespaces.push({ type: "user" });
      s.linux.uidMappings = [{ containerID: 0, hostID: 1000, size: 1 }];
      s.linux.gidMappings = [{ containerID: 0, hostID: 1000, size: 1 }];
      s.process.user.uid = 5;
    },
    "process.user.uid",
  ],
  [
    "time namespace path with timeOffsets",
    (s, dir) => {
      // Any existing file will do: only the combination with timeOffsets is under test.
      s.linux.namespaces.push({ type: "time", path: dir });
      s.linux.timeOffsets = { boottime: { secs: 1 } };
    },
    "linux.timeOffsets",
  ],
  [
    "timeOffsets without time namespace",
    (s) => s.linux.timeOffsets = { monotonic: { secs: 1 } },
    "linux.timeOffsets",
  ],
  [
    "timeOffsets nanosecs too big",
    (s) => s.linux.timeOffsets = { monotonic: { nanosecs: 1e9 } },
    "linux.timeOffsets.monotonic.nanosecs",
  ],
  [
    "unknown device type",
    (s) => s.linux.devices = [{ type: "x", path: "/dev/x" }],
    "linux.devices[0].type",
  ],
  [
    "char device without major",
    (s) => s.linux.devices = [{ type: "c", path: "/dev/x", minor: 1 }],
    "linux.devices[0].major",
  ],
  ["cgroupsPath not a string", (s) => s.linux.cgroupsPath = 5, "linux.cgroupsPath"],
  [
    "unknown rootfsPropagation",
    (s) => s.linux.rootfsPropagation = "bogus",
    "linux.rootfsPropagation",
  ],
  [
    "net sysctl without network namespace",
    (s) => {
      s.linux.namespaces.splice(1, 1);
      s.linux.sysctl = { "net.ipv4.ip_forward": "1" };
    },
    'linux.sysctl["net.ipv4.ip_forward"]',
  ],
  [
    "host-wide sysctl",
    (s) => s.linux.sysctl = { "kernel.panic": "1" },
    'linux.sysctl["kernel.panic"]',
  ],
  [
    "sysctl escaping /proc/sys",
    (s) => s.linux.sysctl = { "net/../../etc": "1" },
    'linux.sysctl["net/../../etc"]',
  ],
  ["sysctl value not a string", (s) => s.linux.sysctl = { "net.x": 1 }, 'linux.sysctl["net.x"]'],
  ["maskedPaths relative", (s) => s.linux.maskedPaths[0] = "proc/kcore", "linux.maskedPaths[0]"],
  [
    "unknown personality domain",
    (s) => s.linux.personality = { domain: "BSD" },
    "linux.personality.domain",
  ],
  [
    "memory limit below -1",
    (s) => s.linux.resources.memory = { limit: -2 },
    "linux.resources.memory.limit",
  ],
  [
    "memory swap below limit",
    (s) => s.linux.resources.memory = { limit: 2000, swap: 1000 },
    "linux.resources.memory.swap",
  ],
  ["bad cpu list", (s) => s.linux.resources.cpu = { cpus: "2-1" }, "linux.resources.cpu.cpus"],
  ["bad mems list", (s) => s.linux.resources.cpu = { mems: "x" }, "linux.resources.cpu.mems"],
  ["pids without limit", (s) => s.linux.resources.pids = {}, "linux.resources.pids.limit"],
  [
    "device cgroup access",
    (s) => s.linux.resources.devices[0].access = "rwx",
    "linux.resources.devices[0].access",
  ],
  [
    "device cgroup type",
    (s) => s.linux.resources.devices[0].type = "z",
    "linux.resources.devices[0].type",
  ],
  [
    "unified key escaping the cgroup",
    (s) => s.linux.resources.unified = { "../escape": "1" },
    'linux.resources.unified["../escape"]',
  ],
  [
    "hugepage size",
    (s) => s.linux.resources.hugepageLimits = [{ pageSize: "2M", limit: 1 }],
    "linux.resources.hugepageLimits[0].pageSize",
  ],
  [
    "seccomp unknown action",
    (s) => s.linux.seccomp = { defaultAction: "SCMP_ACT_NOPE" },
    "linux.seccomp.defaultAction",
  ],
  [
    "seccomp notify without listener",
    (s) =>
      s.linux.seccomp = {
        defaultAction: "SCMP_ACT_ALLOW",
        syscalls: [{ names: ["mkdir"], action: "SCMP_ACT_NOTIFY" }],
      },
    "linux.seccomp.listenerPath",
  ],
  [
    "seccomp arg index",
    (s) =>
      s.linux.seccomp = {
        defaultAction: "SCMP_ACT_ALLOW",
        syscalls: [{
          names: ["read"],
          action: "SCMP_ACT_ERRNO",
          args: [{ index: 6, value: 0, op: "SCMP_CMP_EQ" }],
        }],
      },
    "linux.seccomp.syscalls[0].args[0].index",
  ],
];

for (const [name, mutate, path] of invalid) {
  Deno.test(`invalid: ${name} -> ${path}`, async () => {
    await withBundle((dir) => {
      let raw: AnySpec = base();
      if (path === "config.json") raw = [raw];
      else mutate(raw, dir);
      assertSpecError(() => validateSpec(raw, { bundle: dir, checkFs: true }), path);
    });
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
