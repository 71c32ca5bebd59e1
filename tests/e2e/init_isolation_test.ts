/**
 * The container's init is drun-init run from a sealed memfd, never a copy of the runtime:
 * a process that can see it (a second container sharing its pid namespace, the podman pod
 * case) can neither rewrite the runtime's binary through /proc/<init>/exe nor read the
 * runtime's memory, and nothing drun loads comes from a directory another user controls.
 *
 * Before drun-init, the init was a fork of Deno: /proc/<init>/exe was the deno binary, and
 * the attack below (hold /proc/1/exe open, wait for the init to exec the container's
 * program, reopen the held fd for writing) rewrote the temp copy of Deno that ran `create`;
 * /proc/<init>/maps listed it too. Both checks here fail on that code.
 */
import "./needs_root.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import { busyboxRootfs, drun, makeProbeBundle, probeSpec } from "../helpers.ts";
import { defaultSpec } from "../../lib/spec/default.ts";

async function sha256(path: string): Promise<string> {
  const d = await crypto.subtle.digest("SHA-256", await Deno.readFile(path));
  return Array.from(new Uint8Array(d)).map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * `drun` through a given Deno binary (a temp copy the attack may target). Output goes to
 * files: a created init keeps its stdio until it execs, so pipes would never reach EOF.
 */
async function drunWith(deno: string, root: string, cwd: string, args: string[]) {
  const out = join(cwd, "drun-with.out");
  const sh =
    `d=$0 c=$1 r=$2; shift 2; exec "$d" run -A "$c" --root "$r" "$@" >"${out}" 2>&1 </dev/null`;
  const st = await new Deno.Command("sh", {
    args: ["-c", sh, deno, join(import.meta.dirname!, "../../cli.ts"), root, ...args],
    cwd,
  }).output();
  return { code: st.code, output: Deno.readTextFileSync(out) };
}

Deno.test("init isolation: a container sharing the pid namespace cannot rewrite the runtime through /proc/<init>/exe", async () => {
  const a = makeProbeBundle(probeSpec(["sleep", "5"]));
  const b = makeProbeBundle();
  const denoCopy = join(a.dir, "deno-copy");
  Deno.copyFileSync(Deno.execPath(), denoCopy);
  Deno.chmodSync(denoCopy, 0o755);
  const before = await sha256(denoCopy);
  const exchange = Deno.makeTempDirSync({ prefix: "drun-isolation-" });
  const victim = `victim-${crypto.randomUUID().slice(0, 8)}`;
  try {
    const c = await drunWith(denoCopy, a.root, a.dir, ["create", "--bundle", a.dir, victim]);
    assert.equal(c.code, 0, c.output);
    const init = JSON.parse((await drun(a, ["state", victim])).stdout).pid as number;
    // Nothing of Deno in the waiting init: its executable and every mapping are drun-init's.
    assert.equal(Deno.readLinkSync(`/proc/${init}/exe`), "/memfd:drun-init (deleted)");
    const maps = Deno.readTextFileSync(`/proc/${init}/maps`);
    assert.ok(!maps.includes(denoCopy) && !maps.includes("deno"), maps);

    // The attacker: root with the default capabilities, in the victim's pid namespace.
    busyboxRootfs(b.rootfs);
    for (const applet of ["readlink", "touch", "test", "["]) {
      Deno.symlinkSync("busybox", join(b.rootfs, "bin", applet));
    }
    Deno.mkdirSync(join(b.rootfs, "x"));
    const spec = defaultSpec({
      args: [
        "/bin/sh",
        "-c",
        [
          "echo exe=$(readlink /proc/1/exe)",
          "exec 3</proc/1/exe || echo cannot-hold",
          "echo x >/proc/1/exe 2>/dev/null && echo WROTE-WHILE-RUNNING",
          "touch /x/held",
          // Wait until the victim's init has exec'd its program: then nobody runs the file.
          "i=0; while [ $(readlink /proc/1/exe) != /probe ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done",
          "echo x >/proc/self/fd/3 2>/dev/null && echo WROTE-AFTER-EXEC",
          "echo x >>/proc/self/fd/3 2>/dev/null && echo APPENDED-AFTER-EXEC",
          "echo done",
        ].join("; "),
      ],
    });
    spec.process!.terminal = false;
    spec.linux!.namespaces = spec.linux!.namespaces!.map((ns) =>
      ns.type === "pid" ? { type: "pid", path: `/proc/${init}/ns/pid` } : ns
    );
    spec.mounts!.push({ destination: "/x", type: "bind", source: exchange, options: ["rbind"] });
    b.write(spec);
    const attacker = drun(b, ["run", "--bundle", b.dir, `attacker-${victim}`]);
    for (let i = 0; i < 200; i++) {
      try {
        Deno.statSync(join(exchange, "held"));
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 25));
      }
    }
    const s = await drun(a, ["start", victim]);
    assert.equal(s.code, 0, s.stderr);
    const r = await attacker;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^exe=\/memfd:drun-init \(deleted\)$/m);
    assert.match(r.stdout, /^done$/m);
    assert.doesNotMatch(r.stdout, /WROTE|APPENDED/, r.stdout);
    assert.equal(await sha256(denoCopy), before, "the Deno binary that ran create is unchanged");
  } finally {
    await b.cleanup();
    await a.cleanup();
    Deno.removeSync(exchange, { recursive: true });
  }
});

Deno.test("init isolation: nothing drun loads or runs comes from a cache dir another user owns", async () => {
  const b = makeProbeBundle(probeSpec(["report"]));
  const cache = Deno.makeTempDirSync({ prefix: "drun-hostile-cache-" });
  try {
    // What the old loader and filter cache would have read, made hostile and owned by nobody.
    Deno.mkdirSync(join(cache, "drun/seccomp"), { recursive: true });
    for (const f of ["drun/libdrun-0000000000000000.so", "drun/seccomp/0000000000000000.json"]) {
      Deno.writeTextFileSync(join(cache, f), "hostile");
    }
    for (const e of ["", "drun", "drun/seccomp"]) Deno.chownSync(join(cache, e), 65534, 65534);
    const spec = probeSpec(["report"]);
    spec.linux!.seccomp = {
      defaultAction: "SCMP_ACT_ALLOW",
      syscalls: [{ names: ["mkdir"], action: "SCMP_ACT_ERRNO", errnoRet: 1 }],
    };
    b.write(spec);
    const log = join(b.dir, "strace.log");
    const out = await new Deno.Command("strace", {
      args: [
        "-f",
        "-qq",
        "-e",
        "trace=openat,open,execve,execveat,mkdir,mkdirat,rename,renameat2,stat,newfstatat,statx",
        "-o",
        log,
        Deno.execPath(),
        "run",
        "-A",
        join(import.meta.dirname!, "../../cli.ts"),
        "--root",
        b.root,
        "run",
        "--bundle",
        b.dir,
        `hostile-${crypto.randomUUID().slice(0, 8)}`,
      ],
      // Deno's own module cache is the launcher's business (bin/drun and the installed
      // launcher point DENO_DIR at a root-owned place); here it is a trusted temp dir.
      env: { XDG_CACHE_HOME: cache, HOME: cache, DENO_DIR: join(b.dir, "deno-dir") },
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    // Deno looks for $HOME/.npmrc (npm registry settings; drun imports no npm package).
    const touched = Deno.readTextFileSync(log).split("\n")
      .filter((l) => l.includes(cache) && !l.includes(`${cache}/.npmrc"`));
    assert.deepEqual(touched, [], "no syscall named a path in the hostile cache dir");
    // The init itself came from a memfd: execveat on an fd, never a path.
    assert.match(Deno.readTextFileSync(log), /execveat\(\d+, "", \["drun-init"/);
  } finally {
    await b.cleanup();
    Deno.removeSync(cache, { recursive: true });
  }
});
