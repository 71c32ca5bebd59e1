/**
 * `run` with a terminal and no console socket: drun itself holds the pty master and joins
 * it to its own stdin/stdout (raw mode when stdin is a terminal), forwarding window sizes.
 * @module
 */
import { closeFd, copyWinsize, readFd, writeFd } from "../lib/native/ffi.ts";

/**
 * A running proxy.
 *
 * @example
 * ```ts
 * const proxy: PtyProxy = proxyPty(masterFd);
 * await proxy.done;
 * proxy.stop();
 * ```
 */
export interface PtyProxy {
  /** Resolves when the container side of the pty has closed (its processes are gone). */
  done: Promise<void>;
  /** Stops forwarding, restores the terminal and closes the master. */
  stop(): void;
}

/**
 * Starts copying between the pty master and this process's stdio.
 *
 * @example
 * ```ts
 * const proxy = proxyPty(masterFd); // copies until proxy.stop()
 * ```
 */
export function proxyPty(master: number): PtyProxy {
  const tty = Deno.stdin.isTerminal();
  const onWinch = () => copyWinsize(0, master);
  if (tty) {
    Deno.stdin.setRaw(true);
    onWinch();
    Deno.addSignalListener("SIGWINCH", onWinch);
  }
  const reader = Deno.stdin.readable.getReader();
  (async () => {
    try {
      while (true) {
        const { value, done } = await reader.read();
        if (done) break;
        writeFd(master, new Uint8Array(value));
      }
    } catch { /* stopped, or the container is gone */ }
  })();
  let stopped = false;
  const done = (async () => {
    const buf = new Uint8Array(16384);
    while (!stopped) {
      const chunk = await readFd(master, buf, 200);
      if (chunk === null) break;
      if (chunk.length) await Deno.stdout.write(chunk);
    }
  })();
  return {
    done,
    stop() {
      if (stopped) return;
      stopped = true;
      reader.cancel().catch(() => {});
      if (tty) {
        Deno.removeSignalListener("SIGWINCH", onWinch);
        Deno.stdin.setRaw(false);
      }
      closeFd(master);
    },
  };
}
