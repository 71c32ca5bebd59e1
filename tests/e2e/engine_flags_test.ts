/**
 * The runc flags engines pass: --no-new-keyring, --preserve-fds, LISTEN_FDS, --keep, and
 * signal forwarding by a foreground `run`.
 */
import "./needs_root.ts";
import assert from "node:assert/strict";
import { CLI, drun, makeProbeBundle, probeReport, probeSpec } from "../helpers.ts";

const KEYCTL = 250;

function sessionKeyring(stdout: string): number {
  const line = stdout.split("\n").find((l) => l.includes(`"syscall":${KEYCTL}`))!;
  return JSON.parse(line).ret;
}

Deno.test("flags: a new session keyring by default, the caller's with --no-new-keyring", async () => {
  // keyctl(KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, create=0)
  const b = makeProbeBundle(probeSpec(["syscall", String(KEYCTL), "0", "-3", "0"]));
  try {
    const fresh = await drun(b, ["run", "--bundle", b.dir, "kr1"]);
    const kept = await drun(b, ["run", "--no-new-keyring", "--bundle", b.dir, "kr2"]);
    const kept2 = await drun(b, ["run", "--no-new-keyring", "--bundle", b.dir, "kr3"]);
    const a = sessionKeyring(fresh.stdout), k = sessionKeyring(kept.stdout);
    assert.ok(a > 0 && k > 0, fresh.stdout + kept.stdout);
    assert.notEqual(a, k);
    assert.equal(k, sessionKeyring(kept2.stdout), "the caller's keyring, shared");
  } finally {
    await b.cleanup();
  }
});

Deno.test("flags: --preserve-fds and LISTEN_FDS pass fds 3.. and set LISTEN_*", async () => {
  const b = makeProbeBundle(probeSpec(["report"]));
  try {
    // bash opens fds 3 and 4 for the child; drun must hand exactly those on.
    const cmd =
      `exec 3</dev/null 4</dev/null; exec ${Deno.execPath()} run -A ${CLI} --root ${b.root}`;
    const run = async (extra: string, env: Record<string, string> = {}) => {
      const out = await new Deno.Command("bash", {
        args: ["-c", `${cmd} run ${extra} --bundle ${b.dir} lf`],
        env,
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
      return probeReport(new TextDecoder().decode(out.stdout));
    };
    assert.deepEqual((await run("")).fds, [0, 1, 2]);
    assert.deepEqual((await run("--preserve-fds 2")).fds, [0, 1, 2, 3, 4]);
    const la = await run("", { LISTEN_FDS: "1" });
    assert.deepEqual(la.fds, [0, 1, 2, 3]);
    assert.ok((la.env as string[]).includes("LISTEN_FDS=1"));
    assert.ok((la.env as string[]).includes("LISTEN_PID=1"));
  } finally {
    await b.cleanup();
  }
});

Deno.test("flags: run --keep leaves the stopped container; foreground run forwards signals", async () => {
  const b = makeProbeBundle(probeSpec(["exit", "0"]));
  try {
    assert.equal((await drun(b, ["run", "--keep", "--bundle", b.dir, "keep1"])).code, 0);
    assert.equal(JSON.parse((await drun(b, ["state", "keep1"])).stdout).status, "stopped");
    assert.equal((await drun(b, ["delete", "keep1"])).code, 0);

    b.write(probeSpec(["signal"]));
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", CLI, "--root", b.root, "run", "--bundle", b.dir, "fwd1"],
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const reader = child.stdout.getReader();
    let text = "";
    while (!text.includes("ready")) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    child.kill("SIGTERM");
    while (true) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    const status = await child.status;
    await child.stderr.cancel();
    assert.match(text, /"signal":15/);
    assert.equal(status.code, 128 + 15);
  } finally {
    await b.cleanup();
  }
});
