/**
 * The library's stdio plumbing around `create` and `run`: the pipes `Runtime.create` opens for
 * the process (and their ends it closes), and `run`'s defaults, captured output and fed input.
 * @module
 */
import { join, resolve } from "../path.ts";
import type { Spec } from "../spec/types.ts";
import { killPid } from "../native/ffi.ts";
import { checkStdioOptions, openStdio, type StdioOption } from "../stdio.ts";
import type { WaitStatus } from "../wait.ts";
import { feedAndClose, readAll } from "../streams.ts";
import { Container, type ContainerRuntime } from "./container.ts";
import type { CreateOptions, CreateResult, RunOptions, RunResult } from "./options.ts";

/**
 * What `create` with stdio needs of its Runtime.
 *
 * @example
 * ```ts ignore
 * const host: StdioHost = new Runtime("/run/drun");
 * ```
 */
export interface StdioHost extends ContainerRuntime {
  /** `create`, returning what the launch learned. */
  createWithResult(id: string, opts?: CreateOptions): Promise<CreateResult>;
}

/**
 * `Runtime.create`: opens the stdio `opts` asks for, creates the container with it, and
 * returns the handle that owns the parent's ends (closed here when create fails).
 *
 * @example
 * ```ts ignore
 * const c = await createWithStdio(new Runtime("/run/drun"), "web", { bundle, stdio: "pipe" });
 * ```
 */
export async function createWithStdio(
  rt: StdioHost,
  id: string,
  opts: CreateOptions,
): Promise<Container> {
  checkStdioOptions(opts.stdio, opts.stdioFds, () => wantsTerminal(opts));
  const io = openStdio(opts.stdio);
  try {
    const stdioFds = opts.stdio === undefined ? opts.stdioFds : io.childFds;
    const r = await rt.createWithResult(id, { ...opts, stdioFds });
    return new Container(rt, id, r, io);
  } catch (e) {
    io.close();
    throw e;
  } finally {
    // The init has its own copies now: ours would keep the pipes open past its exit.
    io.closeChildEnds();
  }
}

/** Whether the spec `create` will use asks for a terminal (false when it cannot be read). */
function wantsTerminal(opts: CreateOptions): boolean {
  if (opts.spec) return opts.spec.process?.terminal === true;
  try {
    const path = join(resolve(opts.bundle ?? Deno.cwd()), "config.json");
    return JSON.parse(Deno.readTextFileSync(path))?.process?.terminal === true;
  } catch {
    return false; // create reports the unreadable config itself
  }
}

/**
 * `Runtime.run`: creates, starts, waits for and deletes a container, its output captured and
 * its input fed unless `opts.stdio` says otherwise.
 *
 * @example
 * ```ts ignore
 * const r = await runContainer(new Runtime("/run/drun"), "/srv/job", { text: true });
 * ```
 */
export async function runContainer(
  rt: { create(id: string, opts: CreateOptions): Promise<Container> },
  source: Spec | string,
  opts: RunOptions,
): Promise<RunResult<string | Uint8Array>> {
  const { id = `run-${crypto.randomUUID()}`, input, text, ...rest } = opts;
  const stdio: StdioOption = opts.stdio ?? {
    stdin: input !== undefined ? "pipe" : "null",
    stdout: "pipe",
    stderr: "pipe",
  };
  // watchExec: a process that cannot exec fails `start` with the step, not a bare code.
  const create: CreateOptions = typeof source === "string"
    ? { ...rest, bundle: source, stdio, watchExec: true }
    : { ...rest, spec: source, stdio, watchExec: true };
  await using c = await rt.create(id, create);
  const stdout = readAll(c.stdout);
  const stderr = readAll(c.stderr);
  const fed = feedAndClose(c.stdin, input);
  await c.start({ signal: opts.signal });
  let status: WaitStatus;
  const kill = () => killPid(c.created!.state.pid, 9);
  opts.signal?.addEventListener("abort", kill, { once: true });
  try {
    // Our own child: the status is known.
    status = await c.wait();
  } finally {
    opts.signal?.removeEventListener("abort", kill);
  }
  opts.signal?.throwIfAborted();
  const [out, err] = await Promise.all([stdout, stderr, fed]);
  const dec = (b: Uint8Array) => text ? new TextDecoder().decode(b) : b;
  return { ...status, code: status.code!, stdout: dec(out), stderr: dec(err) };
}
