/**
 * Places where drun differed from the runtime-spec, runc and crun (the OCI validation suite
 * and real workloads found them); each test fails on the code before its fix:
 * - rootfsPropagation shared/unbindable was applied to / before the pivot (EINVAL);
 * - device nodes got the caller's umask, and a node whose parent dir was missing failed;
 * - a failing poststart/poststop hook stopped the hooks after it; a hook without `env` got
 *   an empty environment instead of the runtime's.
 */
import "./needs_root.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  type Bundle,
  CLI,
  type CliResult,
  drun,
  makeProbeBundle,
  outputUntilExit,
  probeReport,
  probeSpec,
} from "../helpers.ts";

for (const prop of ["shared", "unbindable"] as const) {
  Deno.test(`spec parity: rootfsPropagation ${prop} runs and applies to the new /`, async () => {
    const spec = probeSpec(["cat", "/proc/self/mountinfo"]);
    spec.linux!.rootfsPropagation = prop;
    const b = makeProbeBundle(spec);
    try {
      const r = await drun(b, ["run", "--bundle", b.dir, `prop-${prop}-${Deno.pid}`]);
      assert.equal(r.code, 0, r.stderr);
      const root = r.stdout.split("\n").find((l) => l.split(" ")[4] === "/")!;
      const want = { shared: /shared:\d+/, unbindable: /unbindable/ }[prop];
      assert.match(root, want, root);
    } finally {
      await b.cleanup();
    }
  });
}

Deno.test("spec parity: device nodes get their configured mode and missing parents", async () => {
  const spec = probeSpec(["sleep", "10"]);
  spec.linux!.devices = [
    { path: "/dev/net/tun/", type: "c", major: 10, minor: 200, fileMode: 0o660, uid: 0, gid: 0 },
    { path: "/dev/cpu/0/fake", type: "c", major: 1, minor: 3, fileMode: 0o640, uid: 0, gid: 0 },
  ];
  const b = makeProbeBundle(spec);
  const id = `devmode-${Deno.pid}`;
  try {
    const c = await drun(b, ["run", "-d", "--bundle", b.dir, id]);
    assert.equal(c.code, 0, c.stderr);
    const pid = JSON.parse((await drun(b, ["state", id])).stdout).pid;
    const mode = (p: string) => Deno.statSync(`/proc/${pid}/root${p}`).mode! & 0o7777;
    assert.equal(mode("/dev/net/tun"), 0o660);
    assert.equal(mode("/dev/cpu/0/fake"), 0o640);
    assert.equal(mode("/dev/null"), 0o666, "not trimmed by the runtime's umask 022");
    assert.equal(mode("/dev/net"), 0o755);
  } finally {
    await b.cleanup();
  }
});

Deno.test("spec parity: a failing poststart or poststop hook does not stop the next ones", async () => {
  const spec = probeSpec(["exit", "0"]);
  const b = makeProbeBundle(spec);
  const out = join(b.dir, "hooks.out");
  const note = (what: string) => ({
    path: "/bin/sh",
    args: ["sh", "-c", `echo ${what} "$DRUN_TEST_MARK" >> ${out}`],
  });
  spec.hooks = {
    poststart: [{ path: "/bin/false" }, note("poststart")],
    poststop: [{ path: "/bin/false" }, note("poststop")],
  };
  b.write(spec);
  try {
    const r = await drun(b, ["run", "--bundle", b.dir, `hooks-${Deno.pid}`], {
      env: { DRUN_TEST_MARK: "inherited" },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /hooks\.poststart\[0\]/);
    assert.match(r.stderr, /hooks\.poststop\[0\]/);
    // Both second hooks ran, and without `env` they saw the runtime's environment.
    assert.deepEqual(Deno.readTextFileSync(out).trim().split("\n"), [
      "poststart inherited",
      "poststop inherited",
    ]);
  } finally {
    await b.cleanup();
  }
});

Deno.test("spec parity: engines get runc's wording and a log file every time", async () => {
  const spec = probeSpec(["exit", "0"]);
  spec.process!.args = ["/noexec"];
  const b = makeProbeBundle(spec);
  try {
    Deno.copyFileSync(join(b.rootfs, "probe"), join(b.rootfs, "noexec"));
    Deno.chmodSync(join(b.rootfs, "noexec"), 0o644);
    const log = join(b.dir, "log.json");
    const r = await drun(b, [
      "--log",
      log,
      "--log-format",
      "json",
      "run",
      "--bundle",
      b.dir,
      `nx-${Deno.pid}`,
    ]);
    assert.notEqual(r.code, 0);
    // podman maps "not found" to 127; a file that is there but not executable is 126.
    const line = JSON.parse(Deno.readTextFileSync(log).trim().split("\n").at(-1)!);
    assert.equal(line.level, "error");
    assert.match(line.msg, /process\.args\[0\].*permission denied/);
    assert.doesNotMatch(line.msg, /not found/);
    // The log file exists after a command that logged nothing, as runc leaves it.
    const quiet = join(b.dir, "quiet.json");
    assert.equal((await drun(b, ["--log", quiet, "list"])).code, 0);
    assert.equal(Deno.readTextFileSync(quiet), "");
  } finally {
    await b.cleanup();
  }
});

Deno.test("spec parity: unknown syscall names in a profile are debug lines, not warnings", async () => {
  const spec = probeSpec(["exit", "0"]);
  spec.linux!.seccomp = {
    defaultAction: "SCMP_ACT_ALLOW",
    syscalls: [{ names: ["no_such_syscall_x"], action: "SCMP_ACT_ERRNO" }],
  };
  const b = makeProbeBundle(spec);
  try {
    const r = await drun(b, ["run", "--bundle", b.dir, `unk-${Deno.pid}`]);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /no_such_syscall_x/, "no warning for engines to show");
    const d = await drun(b, ["--debug", "run", "--bundle", b.dir, `unk2-${Deno.pid}`]);
    assert.match(d.stderr, /level=debug.*unknown syscall \\"no_such_syscall_x\\"/);
  } finally {
    await b.cleanup();
  }
});

Deno.test("spec parity: a missing cwd is created and HOME comes from the image's passwd", async () => {
  const spec = probeSpec(["report"]);
  spec.process!.cwd = "/work/deep/dir";
  spec.process!.user = { uid: 1000, gid: 1000 };
  spec.process!.env = ["PATH=/bin"];
  const b = makeProbeBundle(spec);
  try {
    Deno.mkdirSync(join(b.rootfs, "etc"));
    Deno.writeTextFileSync(
      join(b.rootfs, "etc/passwd"),
      "root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000::/home/user:/bin/sh\n",
    );
    const r = await drun(b, ["run", "--bundle", b.dir, `cwd-${Deno.pid}`]);
    assert.equal(r.code, 0, r.stderr);
    const rep = probeReport(r.stdout);
    assert.equal(rep.cwd, "/work/deep/dir");
    assert.ok((rep.env as string[]).includes("HOME=/home/user"), String(rep.env));
  } finally {
    await b.cleanup();
  }
});

Deno.test("spec parity: a tmpfs without mode= keeps the mode of the directory it covers", async () => {
  const spec = probeSpec(["sleep", "10"]);
  spec.mounts!.push(
    { destination: "/data", type: "tmpfs", source: "tmpfs", options: ["nosuid"] },
    { destination: "/given", type: "tmpfs", source: "tmpfs", options: ["mode=700"] },
  );
  const b = makeProbeBundle(spec);
  const id = `tmpfsmode-${Deno.pid}`;
  try {
    Deno.mkdirSync(join(b.rootfs, "data"), { mode: 0o750 });
    Deno.chmodSync(join(b.rootfs, "data"), 0o750);
    assert.equal((await drun(b, ["run", "-d", "--bundle", b.dir, id])).code, 0);
    const pid = JSON.parse((await drun(b, ["state", id])).stdout).pid;
    const mode = (p: string) => Deno.statSync(`/proc/${pid}/root${p}`).mode! & 0o7777;
    assert.equal(mode("/data"), 0o750, "the kernel's default would be 1777");
    assert.equal(mode("/given"), 0o700);
  } finally {
    await b.cleanup();
  }
});

Deno.test("spec parity: the container joins every hierarchy, name=systemd and the cgroup2 tree too", async () => {
  // Before, it stayed in the runtime's cgroup there (9:name=systemd:/ and 0::/ here).
  const own = Deno.readTextFileSync("/proc/self/cgroup");
  const spec = probeSpec(["cat", "/proc/self/cgroup"]);
  // No cgroup namespace: the host's view of the paths.
  spec.linux!.namespaces = spec.linux!.namespaces!.filter((n) => n.type !== "cgroup");
  const b = makeProbeBundle(spec);
  const id = `cgjoin-${Deno.pid}`;
  try {
    const r = await drun(b, ["run", "--bundle", b.dir, id]);
    assert.equal(r.code, 0, r.stderr);
    for (const line of own.trim().split("\n")) {
      const [h, ctl] = line.split(":");
      const mine = r.stdout.split("\n").find((l) => l.startsWith(`${h}:${ctl}:`));
      assert.ok(mine?.endsWith(`/drun-${id}`), `${line} -> ${mine}`);
    }
  } finally {
    await b.cleanup();
  }
});

Deno.test("spec parity: process.execCPUAffinity pins the process (it was accepted and ignored)", async () => {
  const spec = probeSpec(["cat", "/proc/self/status"]);
  spec.process!.execCPUAffinity = { initial: "0-1", final: "1" };
  const b = makeProbeBundle(spec);
  try {
    const r = await drun(b, ["run", "--bundle", b.dir, `affinity-${Deno.pid}`]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Cpus_allowed_list:\s+1$/m);
  } finally {
    await b.cleanup();
  }
});

/**
 * Runs a shell script in a private mount namespace of its own, so a container that inherits
 * "the runtime's" mount namespace inherits this one and the host's mount table is never
 * touched. `$drun` in the script is the CLI with the bundle's state root.
 */
async function inSandboxMountNs(b: Bundle, script: string): Promise<CliResult> {
  const drunCmd = `${Deno.execPath()} run -A ${CLI} --root ${b.root}`;
  const child = new Deno.Command("unshare", {
    args: ["--mount", "--propagation", "private", "bash", "-euc", script],
    cwd: b.dir,
    env: { drun: drunCmd, rootfs: b.rootfs, bundle: b.dir },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  return await outputUntilExit(child);
}

Deno.test("spec parity: no mount namespace listed: the runtime's is inherited, and cleaned", async () => {
  const spec = probeSpec(["sleep", "30"]);
  spec.linux!.namespaces = spec.linux!.namespaces!.filter((n) => n.type !== "mount");
  const b = makeProbeBundle(spec);
  Deno.writeTextFileSync(join(b.rootfs, "marker"), "in the rootfs\n");
  Deno.mkdirSync(join(b.dir, "k"));
  const held = structuredClone(spec);
  held.root!.path = b.rootfs;
  const pidFile = join(b.dir, "hook.pid");
  held.hooks = {
    createRuntime: [{ path: "/bin/sh", args: ["sh", "-c", `echo $$ > ${pidFile}; exec sleep 30`] }],
  };
  Deno.writeTextFileSync(join(b.dir, "k", "config.json"), JSON.stringify(held));
  const id = `inherit-mnt-${Deno.pid}`;
  try {
    const r = await inSandboxMountNs(
      b,
      `
      # "/" shared, as on a systemd host: runc would make it a slave; drun must leave it.
      mount --make-rshared /
      count() { grep -c " $rootfs" /proc/self/mountinfo || true; }
      echo "before $(count)"
      $drun create --bundle "$bundle" ${id}
      pid=$($drun state ${id} | sed -n 's/.*"pid": *\\([0-9]*\\).*/\\1/p')
      echo "ns $(readlink /proc/$pid/ns/mnt) $(readlink /proc/self/ns/mnt)"
      echo "root $(readlink /proc/$pid/root)"
      echo "during $(count)"
      echo "slash $(awk '$5 == "/" { print $7 }' /proc/self/mountinfo)"
      $drun exec ${id} /probe cat /marker
      $drun start ${id}
      $drun delete --force ${id}
      echo "after $(count)"
      # A create killed half-way: delete --force still detaches what the init mounted.
      # (Its createRuntime hook holds it once the mounts exist.)
      $drun create --bundle "$bundle/k" ${id}-k &
      for _ in $(seq 400); do [ -s "$bundle/hook.pid" ] && break; sleep 0.05; done
      kill -9 $!
      wait $! || true
      kill -9 "$(cat "$bundle/hook.pid")"
      $drun delete --force ${id}-k
      echo "killed $(count)"
      `,
    );
    assert.equal(r.code, 0, r.stderr);
    const line = (k: string) =>
      r.stdout.split("\n").find((l) => l.startsWith(k + " "))?.slice(k.length + 1);
    assert.equal(line("before"), "0");
    const [inner, outer] = line("ns")!.split(" ");
    assert.equal(inner, outer, "the container is in the runtime's mount namespace");
    assert.equal(line("root"), b.rootfs, "chrooted into the rootfs");
    assert.ok(Number(line("during")) > 0, "its mounts exist while it runs");
    assert.match(line("slash")!, /shared:\d+/, "the runtime's / keeps its propagation");
    assert.match(r.stdout, /^in the rootfs$/m, "exec runs in the container's root");
    assert.equal(line("after"), "0", "delete removes every mount it made");
    assert.equal(line("killed"), "0", "also after a killed create");
  } finally {
    await b.cleanup();
  }
});

Deno.test("spec parity: root.readonly without a mount namespace makes only the bind read-only", async () => {
  const spec = probeSpec(["sleep", "30"]);
  spec.linux!.namespaces = spec.linux!.namespaces!.filter((n) => n.type !== "mount");
  spec.root!.readonly = true;
  const b = makeProbeBundle(spec);
  const id = `inherit-ro-${Deno.pid}`;
  try {
    const r = await inSandboxMountNs(
      b,
      `
      $drun create --bundle "$bundle" ${id}
      # The filesystem the rootfs lies on stays writable beside it; the rootfs (our bind) not.
      touch "$bundle/beside" && echo "beside ok"
      touch "$rootfs/inside" 2>/dev/null && echo "inside ok" || echo "inside refused"
      $drun delete --force ${id}
      touch "$rootfs/inside" && echo "after ok"
      `,
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^beside ok$/m, "the runtime's own mount was not remounted");
    assert.match(r.stdout, /^inside refused$/m, "the container's root is read-only");
    assert.match(r.stdout, /^after ok$/m, "and writable again once the bind is gone");
  } finally {
    await b.cleanup();
  }
});

Deno.test("spec parity: a new user namespace without a mount namespace is refused by name", async () => {
  const spec = probeSpec(["exit", "0"]);
  spec.linux!.namespaces = [
    ...spec.linux!.namespaces!.filter((n) => n.type !== "mount"),
    { type: "user" },
  ];
  spec.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
  spec.linux!.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
  const b = makeProbeBundle(spec);
  try {
    const r = await drun(b, ["run", "--bundle", b.dir, `userns-nomnt-${Deno.pid}`]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /linux\.namespaces: a new user namespace needs a mount namespace/);
    const left = () => {
      try {
        return [...Deno.readDirSync(b.root)].map((e) => e.name);
      } catch {
        return [];
      }
    };
    assert.deepEqual(left(), [], "nothing left behind");
  } finally {
    await b.cleanup();
  }
});
