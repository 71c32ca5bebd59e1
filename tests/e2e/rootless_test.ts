/**
 * drun run by an unprivileged user, as rootless podman runs it: `drun spec --rootless` and a
 * busybox rootfs the user owns. Before rootless support every one of these failed: the state
 * root was /run/drun (EACCES), and gid_map could not be written without denying setgroups.
 */
import "./needs_root.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import type { Spec } from "../../lib/spec/types.ts";
import { makeTestUser, type TestUser } from "./rootless_user.ts";

/** `drun spec --rootless` as the user, with `edit` applied to the config. */
async function rootlessSpec(u: TestUser, edit: (c: Spec) => void): Promise<void> {
  const path = join(u.bundle, "config.json");
  try {
    Deno.removeSync(path);
  } catch { /* the first config */ }
  const r = await u.drun(["spec", "--rootless"]);
  assert.equal(r.code, 0, r.stderr);
  const c: Spec = JSON.parse(Deno.readTextFileSync(path));
  c.process!.terminal = false;
  edit(c);
  Deno.writeTextFileSync(path, JSON.stringify(c));
}

async function status(u: TestUser, id: string): Promise<string> {
  const r = await u.drun(["state", id]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout).status;
}

Deno.test("rootless: spec --rootless maps the user to root and runs `id` as uid 0", async () => {
  const u = makeTestUser();
  try {
    await rootlessSpec(u, (c) => c.process!.args = ["id"]);
    const c = JSON.parse(Deno.readTextFileSync(join(u.bundle, "config.json")));
    // runc's rootless spec: a user namespace, no network namespace, the caller's ids as 0.
    const ns = c.linux.namespaces.map((n: { type: string }) => n.type);
    assert.ok(ns.includes("user") && !ns.includes("network"), ns.join(","));
    assert.deepEqual(c.linux.uidMappings, [{ containerID: 0, hostID: u.uid, size: 1 }]);
    assert.deepEqual(c.linux.gidMappings, [{ containerID: 0, hostID: u.gid, size: 1 }]);
    assert.equal(c.linux.resources, undefined);

    const r = await u.drun(["run", "rl-id"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^uid=0\(?\S*\s+gid=0/);
    assert.deepEqual([...Deno.readDirSync(u.runtimeDir)], [], "state left in XDG_RUNTIME_DIR");
  } finally {
    u.remove();
  }
});

Deno.test("rootless: create/start/kill/delete with state under $XDG_RUNTIME_DIR/drun", async () => {
  const u = makeTestUser();
  try {
    await rootlessSpec(u, (c) => c.process!.args = ["sleep", "600"]);
    const c = await u.drun(["create", "rl-life"]);
    assert.equal(c.code, 0, c.stderr);
    assert.ok(Deno.statSync(join(u.runtimeDir, "drun", "rl-life")).isDirectory);
    assert.equal(await status(u, "rl-life"), "created");
    assert.equal((await u.drun(["start", "rl-life"])).code, 0);
    assert.equal(await status(u, "rl-life"), "running");
    const pid = JSON.parse((await u.drun(["state", "rl-life"])).stdout).pid;
    // The init runs as the user on the host: it is root only inside its namespace.
    const owner = Deno.readTextFileSync(`/proc/${pid}/status`).match(/^Uid:\s+(\d+)/m)?.[1];
    assert.equal(Number(owner), u.uid);
    // exec joins the user namespace, whose setgroups is denied: no setgroups call for it.
    const ex = await u.drun(["exec", "rl-life", "id", "-u"]);
    assert.equal(ex.code, 0, ex.stderr);
    assert.equal(ex.stdout.trim(), "0");
    const k = await u.drun(["kill", "rl-life", "KILL"]);
    assert.equal(k.code, 0, k.stderr);
    for (let i = 0; i < 100 && await status(u, "rl-life") !== "stopped"; i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(await status(u, "rl-life"), "stopped");
    const d = await u.drun(["delete", "rl-life"]);
    assert.equal(d.code, 0, d.stderr);
    assert.deepEqual([...Deno.readDirSync(u.runtimeDir)], [], "state left in XDG_RUNTIME_DIR");
  } finally {
    u.remove();
  }
});

Deno.test("rootless: limits without a writable cgroup and extra gids are refused by field", async () => {
  const u = makeTestUser();
  try {
    await rootlessSpec(u, (c) => c.linux!.resources = { memory: { limit: 64 << 20 } });
    let r = await u.drun(["run", "rl-mem"]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /linux\.resources\.memory: cannot be applied: a rootless container/);

    await rootlessSpec(u, (c) => c.process!.user!.additionalGids = [0]);
    r = await u.drun(["run", "rl-gids"]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /process\.user\.additionalGids: cannot be set/);

    await rootlessSpec(u, (c) => {
      c.linux!.namespaces = c.linux!.namespaces!.filter((n) => n.type !== "user");
      delete c.linux!.uidMappings;
      delete c.linux!.gidMappings;
    });
    r = await u.drun(["run", "rl-nouserns"]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /linux\.namespaces: a rootless container needs a user namespace/);
    assert.deepEqual([...Deno.readDirSync(u.runtimeDir)], [], "state left in XDG_RUNTIME_DIR");
  } finally {
    u.remove();
  }
});

/** The user's first range in /etc/subuid or /etc/subgid (useradd gives every new user one). */
function subordinate(file: string, name: string): { start: number; count: number } {
  const line = Deno.readTextFileSync(file).split("\n").find((l) => l.startsWith(`${name}:`));
  assert.ok(line, `${file} has no range for ${name}`);
  const [, start, count] = line.split(":").map(Number);
  return { start, count };
}

Deno.test("rootless: ranges from /etc/subuid and /etc/subgid through newuidmap/newgidmap", async () => {
  const u = makeTestUser();
  try {
    const su = subordinate("/etc/subuid", u.name);
    const sg = subordinate("/etc/subgid", u.name);
    await rootlessSpec(u, (c) => {
      c.process!.args = ["sh", "-c", "cat /proc/self/uid_map /proc/self/gid_map; id"];
      c.process!.user = { uid: 1000, gid: 1000, additionalGids: [5] };
      c.linux!.uidMappings!.push({ containerID: 1, hostID: su.start, size: su.count });
      c.linux!.gidMappings!.push({ containerID: 1, hostID: sg.start, size: sg.count });
    });
    const r = await u.drun(["run", "rl-sub"]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split("\n").map((l) => l.trim().split(/\s+/).join(" "));
    assert.deepEqual(lines.slice(0, 4), [
      `0 ${u.uid} 1`,
      `1 ${su.start} ${su.count}`,
      `0 ${u.gid} 1`,
      `1 ${sg.start} ${sg.count}`,
    ]);
    // With the helpers, setgroups stays allowed: the extra gid is set.
    assert.match(lines[4], /^uid=1000 gid=1000 groups=(1000,)?5$/);
    assert.deepEqual([...Deno.readDirSync(u.runtimeDir)], [], "state left in XDG_RUNTIME_DIR");
  } finally {
    u.remove();
  }
});
