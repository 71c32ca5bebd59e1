/**
 * The library's container lifetime: `wait()` from a process that did not create the
 * container (a pidfd: without it the waiter gets ECHILD at once), `await using` deleting the
 * container, and AbortSignal leaving nothing behind on create, start, run, wait and exec.
 */
import "./needs_root.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import { busyboxBundle, REPO } from "../helpers.ts";

function alive(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return !/^\S+ \(.*\) [ZX]/.test(stat);
  } catch {
    return false;
  }
}

/** Nothing of the container is left: no state entry, no process, no cgroup. */
function nothingLeft(root: string, pid: number, cgroups: string[] = []): void {
  let entries: string[] = [];
  try {
    entries = [...Deno.readDirSync(root)].map((e) => e.name);
  } catch { /* no root at all */ }
  assert.deepEqual(entries, [], "state entries left behind");
  assert.ok(!alive(pid), `process ${pid} left running`);
  for (const p of cgroups) assert.throws(() => Deno.statSync(p), `cgroup ${p} left behind`);
}

/**
 * `p`, or a rejection after 30 s: an abort that is ignored must fail the test, not hang it
 * (and the cleanup must still run). A guard against hangs, not a timing check.
 */
function settles<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} ignored its abort`)), 30_000);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

async function until(what: string, cond: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 2000 && !(await cond()); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(await cond(), `timed out waiting for ${what}`);
}

/** Ids unique to this test process: cgroups are named after them, host-wide. */
const id = (name: string) => `${name}-${Deno.pid}`;

Deno.test("library wait: from a second process, until the container is killed", async () => {
  const { b, rt, spec } = busyboxBundle();
  const waiter = join(b.dir, "waiter.ts");
  Deno.writeTextFileSync(
    waiter,
    `import { Runtime } from ${JSON.stringify(`file://${REPO}/mod.ts`)};
const c = new Runtime(Deno.args[0]).get(Deno.args[1]);
console.log("waiting");
console.log(JSON.stringify(await c.wait()));`,
  );
  try {
    const c = await rt.create(id("w1"), { spec: spec(["/bin/sleep", "100"]) });
    await c.start();
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", waiter, b.root, id("w1")],
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let out = "";
    while (!out.includes("waiting\n")) {
      const { value, done } = await lines.read();
      if (done) break;
      out += value;
    }
    // The waiter must still be waiting while the container runs.
    await new Promise((r) => setTimeout(r, 300));
    await c.kill("SIGKILL");
    for (;;) {
      const { value, done } = await lines.read();
      if (done) break;
      out += value;
    }
    const status = await child.status;
    const err = await new Response(child.stderr).text();
    assert.equal(status.code, 0, err);
    // Not its parent: the status is the creating process's alone.
    assert.equal(out, "waiting\n{}\n");
    // The creating process still gets the code.
    assert.deepEqual(await c.wait(), { code: 137, signal: 9 });
    await c.delete();
  } finally {
    await b.cleanup();
  }
});

Deno.test("library dispose: await using deletes the container with force", async () => {
  const { b, rt, spec } = busyboxBundle();
  try {
    let pid = 0;
    {
      await using c = await rt.create(id("d1"), {
        spec: spec(["/bin/sleep", "100"]),
        stdio: "pipe",
      });
      await c.start();
      pid = c.state().pid!;
      assert.ok(alive(pid));
    }
    assert.ok(!alive(pid), "the init runs on after dispose");
    assert.deepEqual(rt.list(), []);
    {
      // Deleted already: disposing is a no-op, not an error.
      await using c = await rt.create(id("d2"), { spec: spec(["/bin/true"]) });
      await c.start();
      await c.wait();
      await c.delete();
    }
  } finally {
    await b.cleanup();
  }
});

Deno.test("library abort: during create (a slow createRuntime hook) leaves nothing", async () => {
  const { b, rt, spec } = busyboxBundle();
  try {
    const marker = join(b.dir, "hook-ran");
    const s = spec(["/bin/true"]);
    s.hooks = {
      createRuntime: [{ path: "/bin/sh", args: ["sh", "-c", `touch ${marker}; sleep 1`] }],
    };
    const ac = new AbortController();
    const created = rt.create(id("a1"), { spec: s, signal: ac.signal });
    await until("the hook", () => {
      try {
        Deno.statSync(marker);
        return true;
      } catch {
        return false;
      }
    });
    const st = JSON.parse(Deno.readTextFileSync(join(b.root, id("a1"), "state.json")));
    const cgroups = Object.values(st.cgroupPaths ?? {}) as string[];
    assert.ok(alive(st.pid));
    ac.abort();
    await assert.rejects(created, (e) => (e as Error).name === "AbortError");
    nothingLeft(b.root, st.pid, cgroups);
  } finally {
    await b.cleanup();
  }
});

Deno.test("library abort: run, wait and exec", async () => {
  const { b, rt, spec } = busyboxBundle();
  try {
    // run: the container is killed and deleted.
    const ac = new AbortController();
    const running = rt.run(spec(["/bin/sleep", "100"]), { id: id("a2"), signal: ac.signal });
    await until("a2 running", () => rt.list().some((s) => s.status === "running"));
    const pid = rt.state(id("a2")).pid!;
    const cgroups = Object.values(
      JSON.parse(Deno.readTextFileSync(join(b.root, id("a2"), "state.json"))).cgroupPaths ?? {},
    ) as string[];
    ac.abort();
    await assert.rejects(settles(running, "run"), (e) => (e as Error).name === "AbortError");
    nothingLeft(b.root, pid, cgroups);

    await using c = await rt.create(id("a3"), { spec: spec(["/bin/sleep", "100"]) });
    await c.start();
    // wait: stops waiting, leaves the container running.
    await assert.rejects(
      c.wait({ signal: AbortSignal.timeout(200) }),
      (e) => (e as Error).name === "TimeoutError",
    );
    assert.equal(c.state().status, "running");
    // exec: the exec'd process is killed.
    const ex = new AbortController();
    const process = { args: ["/bin/sleep", "100"], cwd: "/", user: { uid: 0, gid: 0 } };
    const exec = c.exec(process, { signal: ex.signal });
    await until("the exec'd sleep", async () => (await rt.ps(id("a3"))).length === 2);
    ex.abort();
    await assert.rejects(settles(exec, "exec"), (e) => (e as Error).name === "AbortError");
    assert.equal((await rt.ps(id("a3"))).length, 1, "the exec'd process runs on");
    // start: an aborted start deletes the container it was to start.
    const d = await rt.create(id("a4"), { spec: spec(["/bin/true"]) });
    await assert.rejects(d.start({ signal: AbortSignal.abort() }));
    assert.equal(rt.state(id("a4")).status, "created", "an already-aborted start does nothing");
    await d.delete();
  } finally {
    await b.cleanup();
  }
});
