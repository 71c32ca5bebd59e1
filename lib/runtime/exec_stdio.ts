/**
 * `exec` with library stdio: the pipes (or /dev/null) the process gets, its output read to the
 * end while it runs (a full pipe would otherwise stop it), its input fed, and its status; or,
 * detached, the parent's ends handed to the caller.
 * @module
 */
import type { Process } from "../spec/types.ts";
import { killPid, waitPid } from "../native/ffi.ts";
import { checkStdioOptions, openStdio, type StdioOption } from "../stdio.ts";
import { feedAndClose, readAll } from "../streams.ts";
import { execInContainer, type ExecOptions, type ExecResult } from "./exec.ts";

/**
 * Runs `process` in container `id` with `opts.stdio` / `opts.input`; an abort of `signal`
 * kills the process (SIGKILL) and rejects with its reason.
 *
 * @example
 * ```ts ignore
 * const r = await execWithStdio("/run/drun", "web", { args: ["/bin/cat"], cwd: "/" }, {
 *   input: "hello\n",
 *   stdio: { stdout: "pipe" },
 * });
 * console.log(new TextDecoder().decode(r.stdout)); // "hello\n"
 * ```
 */
export async function execWithStdio(
  root: string,
  id: string,
  process: Process,
  opts: ExecOptions & { signal?: AbortSignal },
): Promise<ExecResult> {
  const { stdio: asked, input, signal, ...rest } = opts;
  const stdio: StdioOption = asked ?? { stdin: input !== undefined ? "pipe" : "inherit" };
  checkStdioOptions(stdio, opts.stdioFds, () => process.terminal === true);
  signal?.throwIfAborted();
  const io = openStdio(stdio);
  // Read and fed from the start: the process may fill a pipe before exec returns.
  const out = opts.detach ? undefined : readAll(io.stdout);
  const err = opts.detach ? undefined : readAll(io.stderr);
  let pid = 0;
  try {
    ({ pid } = await execInContainer(root, id, process, {
      ...rest,
      stdioFds: io.childFds,
      detach: true,
    }));
  } catch (e) {
    io.close();
    // Nobody awaits the readers now: whatever they end with must not go unhandled.
    out?.catch(() => {});
    err?.catch(() => {});
    throw e;
  } finally {
    // The process has its own copies now: ours would keep its pipes open past its exit.
    io.closeChildEnds();
  }
  if (opts.detach) {
    const streams = { stdin: io.stdin, stdout: io.stdout, stderr: io.stderr };
    return { pid, streams, wait: () => waitPid(pid) };
  }
  const kill = () => killPid(pid, 9);
  signal?.addEventListener("abort", kill, { once: true });
  if (signal?.aborted) kill();
  try {
    const fed = feedAndClose(io.stdin, input);
    const status = await waitPid(pid);
    signal?.throwIfAborted();
    const [stdout, stderr] = await Promise.all([out, err, fed]);
    return { pid, status, stdout, stderr };
  } finally {
    signal?.removeEventListener("abort", kill);
    io.close();
  }
}
