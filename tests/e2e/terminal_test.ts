/**
 * Terminals: a test acting as conmon receives the pty master on a console socket and talks
 * to a busybox shell in the container; `run` with a terminal under a real pty (script(1))
 * shows the prompt and exits with the shell's code; `exec --tty` with a console socket.
 */
import "./needs_root.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import { accept, recvWithFd, unixListen } from "../../lib/agent/ffi.ts";
import { closeFd, readFd, writeFd } from "../../lib/native/ffi.ts";
import { busyboxRootfs, CLI, drun, makeProbeBundle, probeSpec } from "../helpers.ts";

function shellBundle(args: string[]) {
  const spec = probeSpec();
  spec.process!.args = args;
  spec.process!.terminal = true;
  spec.process!.env = ["PATH=/bin", "TERM=xterm", "PS1=ctr# "];
  const b = makeProbeBundle(spec);
  busyboxRootfs(b.rootfs);
  return b;
}

/** Listens on a console socket; resolves with the pty master the runtime sends. */
function consoleSocket(path: string): Promise<number> {
  const lfd = unixListen(path);
  return (async () => {
    try {
      const c = await accept(lfd, 10_000);
      assert.ok(c !== null, "the runtime connected to the console socket");
      const r = await recvWithFd(c, new Uint8Array(256), 10_000);
      closeFd(c);
      assert.ok(r.fd >= 0, "a pty master came with the message");
      return r.fd;
    } finally {
      closeFd(lfd);
    }
  })();
}

/** Reads from the master until `want` appears (or fails after 10 s). */
async function readUntil(master: number, want: RegExp): Promise<string> {
  let text = "";
  const buf = new Uint8Array(4096);
  const until = Date.now() + 10_000;
  while (!want.test(text) && Date.now() < until) {
    const chunk = await readFd(master, buf, 200);
    if (chunk === null) break;
    text += new TextDecoder().decode(chunk);
  }
  assert.match(text, want);
  return text;
}

Deno.test("terminal: conmon-style console socket gets the pty master; echo hi comes back", async () => {
  const b = shellBundle(["/bin/sh"]);
  const sock = join(b.dir, "console.sock");
  try {
    const master = consoleSocket(sock);
    const c = await drun(b, ["create", "--bundle", b.dir, "--console-socket", sock, "tty1"]);
    assert.equal(c.code, 0, c.stderr);
    const m = await master;
    assert.equal((await drun(b, ["start", "tty1"])).code, 0);
    await readUntil(m, /ctr# /);
    writeFd(m, new TextEncoder().encode("echo h''i; tty\n"));
    const out = await readUntil(m, /\r\nhi\r\n\/dev\/pts\/0\r\n/);
    assert.match(out, /hi/);
    writeFd(m, new TextEncoder().encode("exit 7\n"));
    for (let i = 0; i < 100; i++) {
      if (JSON.parse((await drun(b, ["state", "tty1"])).stdout).status === "stopped") break;
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(JSON.parse((await drun(b, ["state", "tty1"])).stdout).status, "stopped");
    closeFd(m);
  } finally {
    await b.cleanup();
  }
});

Deno.test("terminal: a terminal without a console socket is refused for create", async () => {
  const b = shellBundle(["/bin/sh"]);
  try {
    const r = await drun(b, ["create", "--bundle", b.dir, "tty2"]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /process\.terminal: a terminal needs --console-socket/);
    let left: string[] = [];
    try {
      left = [...Deno.readDirSync(b.root)].map((e) => e.name);
    } catch { /* never created: fine */ }
    assert.deepEqual(left, []);
  } finally {
    await b.cleanup();
  }
});

Deno.test("terminal: run under a real pty shows the prompt and exits with the shell's code", async () => {
  const b = shellBundle(["/bin/sh"]);
  try {
    const cmd = `${Deno.execPath()} run -A ${CLI} --root ${b.root} run --bundle ${b.dir} tty3`;
    const child = new Deno.Command("script", {
      args: ["-qefc", cmd, "/dev/null"],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode("echo in-$((40+2))\nexit 5\n"));
    const out = await child.output().catch(async () => {
      await w.close().catch(() => {});
      return await child.output();
    });
    const text = new TextDecoder().decode(out.stdout);
    assert.match(text, /ctr# /, text);
    assert.match(text, /in-42/);
    assert.equal(out.code, 5, text + new TextDecoder().decode(out.stderr));
  } finally {
    await b.cleanup();
  }
});

Deno.test("terminal: exec --tty with a console socket", async () => {
  const b = makeProbeBundle(probeSpec(["sleep", "30"]));
  busyboxRootfs(b.rootfs);
  const sock = join(b.dir, "exec.sock");
  try {
    assert.equal((await drun(b, ["run", "-d", "--bundle", b.dir, "tty4"])).code, 0);
    const master = consoleSocket(sock);
    const ex = drun(b, [
      "exec",
      "--tty",
      "--console-socket",
      sock,
      "tty4",
      "/bin/sh",
      "-c",
      "tty; read x; exit 4",
    ]);
    const m = await master;
    await readUntil(m, /\/dev\/pts\/\d+/);
    writeFd(m, new TextEncoder().encode("go\n"));
    assert.equal((await ex).code, 4);
    closeFd(m);
  } finally {
    await b.cleanup();
  }
});

Deno.test("terminal: the waiting init holds none of the runtime's pipes (create's output ends)", async () => {
  const b = shellBundle(["/bin/sh"]);
  const sock = join(b.dir, "console.sock");
  try {
    const master = consoleSocket(sock);
    // Like containerd's shim: read create's stdout and stderr to EOF.
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        CLI,
        "--root",
        b.root,
        "create",
        "--bundle",
        b.dir,
        "--console-socket",
        sock,
        "tty5",
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    const m = await master;
    const pid = JSON.parse((await drun(b, ["state", "tty5"])).stdout).pid;
    const links = [...Deno.readDirSync(`/proc/${pid}/fd`)].map((e) =>
      Deno.readLinkSync(`/proc/${pid}/fd/${e.name}`)
    );
    assert.ok(!links.some((l) => l.startsWith("pipe:")), links.join(" "));
    closeFd(m);
  } finally {
    await b.cleanup();
  }
});
