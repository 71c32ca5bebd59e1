/**
 * A process's stdio from the fifos containerd names. Without a terminal the output fifos go
 * to the process as they are (no copy through the shim: the process writes where the client
 * reads), and stdin goes through a pipe so CloseIO can end it. With a terminal the shim
 * copies between the fifos and the pty master.
 * @module
 */
import { closeFd, openFd, pipe, readFd, writeFdAsync } from "../lib/native/ffi.ts";

const O_RDONLY = 0;
const O_RDWR = 2;
/** How often a copy loop looks whether it should stop (ms). */
const POLL_MS = 250;

/** The fifo paths of one process ("" for none) and whether it has a terminal. */
export interface StdioPaths {
  /** stdin fifo. */
  stdin: string;
  /** stdout fifo. */
  stdout: string;
  /** stderr fifo. */
  stderr: string;
  /** process.terminal. */
  terminal: boolean;
}

/**
 * A fifo opened read-write: the open never blocks for a peer that has not come yet, and the
 * fifo's buffer lives as long as the shim holds it, whatever the client does meanwhile.
 */
function openFifo(path: string): number {
  return path ? openFd(path, O_RDWR) : openFd("/dev/null", O_RDWR);
}

/** Copies src to dst until src ends or stop() is called; resolves then. */
async function copy(src: number, dst: number, stopped: () => boolean): Promise<void> {
  const buf = new Uint8Array(32 * 1024);
  while (!stopped()) {
    const data = await readFd(src, buf, POLL_MS);
    if (data === null) return;
    if (data.length === 0) continue;
    try {
      await writeFdAsync(dst, data.slice());
    } catch {
      return; // the reader went away
    }
  }
}

/** The stdio of one container process, owned by the shim until the process is deleted. */
export class ProcessIO {
  /** The fds the process gets as 0, 1, 2. */
  readonly stdioFds: [number, number, number];
  readonly #own = new Set<number>();
  #stdinFifo = -1;
  #stdinWrite = -1;
  #stdoutFifo = -1;
  #stopped = false;
  #copies: Promise<void>[] = [];

  private constructor(readonly paths: StdioPaths) {
    this.stdioFds = [-1, -1, -1];
  }

  /**
   * Opens the fifos of `paths` (closing what it opened if one fails).
   *
   * @example
   * ```ts ignore
   * import { ProcessIO } from "./stdio.ts";
   * const io = ProcessIO.open({ stdin: "", stdout: "/run/x/out", stderr: "", terminal: false });
   * io.close();
   * ```
   */
  static open(paths: StdioPaths): ProcessIO {
    const io = new ProcessIO(paths);
    try {
      if (paths.terminal) {
        // The pty's slave is the process's stdio; the shim copies to and from the master.
        if (paths.stdin) io.#stdinFifo = io.#keep(openFifo(paths.stdin));
        if (paths.stdout) io.#stdoutFifo = io.#keep(openFifo(paths.stdout));
        return io;
      }
      if (paths.stdin) {
        io.#stdinFifo = io.#keep(openFifo(paths.stdin));
        const [r, w] = pipe();
        io.#keep(r);
        io.#stdinWrite = io.#keep(w);
        io.stdioFds[0] = r;
        io.#copies.push(
          copy(io.#stdinFifo, w, () => io.#stopped || io.#stdinWrite < 0).then(() =>
            io.closeStdin()
          ),
        );
      } else {
        io.stdioFds[0] = io.#keep(openFd("/dev/null", O_RDONLY));
      }
      io.stdioFds[1] = io.#keep(openFifo(paths.stdout));
      io.stdioFds[2] = paths.stderr === paths.stdout && paths.stderr
        ? io.stdioFds[1]
        : io.#keep(openFifo(paths.stderr));
      return io;
    } catch (e) {
      io.close();
      throw e;
    }
  }

  #keep(fd: number): number {
    this.#own.add(fd);
    return fd;
  }

  #release(fd: number): void {
    if (fd >= 0 && this.#own.delete(fd)) closeFd(fd);
  }

  /** With a terminal: starts copying between the fifos and the pty master (taken over). */
  attachConsole(master: number): void {
    this.#keep(master);
    if (this.#stdoutFifo >= 0) {
      // The master reads EIO once the last holder of the slave is gone: the output ends.
      this.#copies.push(
        copy(master, this.#stdoutFifo, () => this.#stopped).then(() =>
          this.#release(this.#stdoutFifo)
        ),
      );
    }
    if (this.#stdinFifo >= 0) {
      this.#copies.push(copy(this.#stdinFifo, master, () => this.#stopped));
    }
    this.master = master;
  }

  /** The pty master, with a terminal once the process has one. */
  master: number = -1;

  /** Ends the process's stdin (CloseIO): it reads EOF. */
  closeStdin(): void {
    const w = this.#stdinWrite;
    this.#stdinWrite = -1;
    this.#release(w);
  }

  /** Once the process is started: the shim's copies of what only the process needs. */
  afterStart(): void {
    // The read end of the stdin pipe is the process's now.
    this.#release(this.stdioFds[0]);
  }

  /**
   * After the process exited: the output fifos are released (the client sees EOF once the
   * process's own copies are gone too), the copy loops stop.
   */
  async exited(): Promise<void> {
    if (this.paths.terminal) {
      // Let the master drain into stdout before anything closes.
      await Promise.race([
        this.#copies[0] ?? Promise.resolve(),
        new Promise((r) => setTimeout(r, 2000)),
      ]);
    }
    this.#release(this.stdioFds[1]);
    this.#release(this.stdioFds[2]);
    this.#release(this.#stdoutFifo);
  }

  /** Closes everything (on delete); copy loops end at their next poll. */
  close(): void {
    this.#stopped = true;
    const fds = [...this.#own];
    // Loops blocked in a read hold these fds: close after they noticed the stop.
    const done = Promise.race([
      Promise.allSettled(this.#copies),
      new Promise((r) => setTimeout(r, POLL_MS * 2)),
    ]);
    done.then(() => {
      for (const fd of fds) this.#release(fd);
    });
  }
}
