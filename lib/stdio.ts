/**
 * A container's stdio from the library's `stdio` option: the fds its process gets as 0, 1
 * and 2, and this process's ends of any pipes as Deno streams. Deno cannot hand its own
 * files to another process by number, so everything here is raw fds from libdrun, read and
 * written off the JS thread.
 * @module
 */
import { DrunError } from "./errors.ts";
import { closeFd, openFd, pipe, readFd, writeFdAsync } from "./native/ffi.ts";

/**
 * Where one stream of the container process goes: this process's own (`"inherit"`), a pipe
 * to this process (`"pipe"`), /dev/null (`"null"`), or an fd of this process by number (the
 * caller keeps and closes it).
 *
 * @example
 * ```ts
 * const mode: StdioMode = "pipe"; // or "inherit", "null", an fd number
 * ```
 */
export type StdioMode = "inherit" | "pipe" | "null" | number;

/**
 * One mode per stream; an absent stream is `"inherit"`.
 *
 * @example
 * ```ts
 * const stdio: StdioStreams = { stdin: "null", stdout: "pipe", stderr: 2 };
 * ```
 */
export interface StdioStreams {
  /** The process's fd 0. */
  stdin?: StdioMode;
  /** The process's fd 1. */
  stdout?: StdioMode;
  /** The process's fd 2. */
  stderr?: StdioMode;
}

/**
 * The `stdio` option: one mode for all three streams, or one per stream.
 *
 * @example
 * ```ts
 * const all: StdioOption = "pipe";
 * const each: StdioOption = { stdout: "pipe" }; // stdin and stderr inherited
 * ```
 */
export type StdioOption = StdioMode | StdioStreams;

const NAMES = ["stdin", "stdout", "stderr"] as const;
const O_RDWR = 2;
/** How long one read waits before it checks whether its stream was closed. */
const SLICE_MS = 250;

/**
 * The stdio of one container process: the fds to give it, and the parent's ends.
 *
 * @example
 * ```ts ignore
 * import { openStdio } from "./stdio.ts";
 * const io = openStdio({ stdout: "pipe" });
 * // launch with io.childFds, then:
 * io.closeChildEnds();
 * console.log(await new Response(io.stdout).text());
 * ```
 */
export interface ContainerStdio {
  /** The fds the process gets as 0, 1, 2 (-1: this process's own). */
  readonly childFds: readonly [number, number, number];
  /** Writes to the process's stdin, when it is a pipe; closing it gives the process EOF. */
  readonly stdin?: WritableStream<Uint8Array>;
  /** Reads the process's stdout, when it is a pipe; ends when every holder has closed it. */
  readonly stdout?: ReadableStream<Uint8Array>;
  /** Reads the process's stderr, when it is a pipe. */
  readonly stderr?: ReadableStream<Uint8Array>;
  /** Closes this process's copies of the fds the child got (once it has its own). */
  closeChildEnds(): void;
  /** Closes the parent's ends: streams end (readers see EOF), writes fail. */
  close(): void;
}

/**
 * Opens what `opt` asks for: pipes, /dev/null. Throws one line naming the bad field
 * (`stdio.stdout: ...`) and leaves no fd open on failure.
 *
 * @example
 * ```ts ignore
 * import { openStdio } from "./stdio.ts";
 * const io = openStdio("null");
 * console.log(io.childFds); // three fds of /dev/null
 * io.closeChildEnds();
 * ```
 */
export function openStdio(opt: StdioOption = "inherit"): ContainerStdio {
  const modes = NAMES.map((n) => modeOf(opt, n));
  const childFds: number[] = [];
  const owned: number[] = []; // child ends this module opened
  const parent: (number | undefined)[] = [];
  try {
    modes.forEach((mode, i) => {
      if (mode === "inherit") childFds.push(-1);
      else if (typeof mode === "number") childFds.push(mode);
      else if (mode === "null") {
        const fd = openFd("/dev/null", O_RDWR);
        owned.push(fd);
        childFds.push(fd);
      } else {
        const [r, w] = pipe();
        const [mine, theirs] = i === 0 ? [w, r] : [r, w];
        owned.push(theirs);
        childFds.push(theirs);
        parent[i] = mine;
      }
    });
  } catch (e) {
    for (const fd of [...owned, ...parent]) if (fd !== undefined) closeFd(fd);
    throw e;
  }
  const inSide = parent[0] !== undefined ? fdWritable(parent[0]) : undefined;
  const outSide = parent[1] !== undefined ? fdReadable(parent[1]) : undefined;
  const errSide = parent[2] !== undefined ? fdReadable(parent[2]) : undefined;
  return {
    childFds: childFds as [number, number, number],
    stdin: inSide?.stream,
    stdout: outSide?.stream,
    stderr: errSide?.stream,
    closeChildEnds() {
      for (const fd of owned.splice(0)) closeFd(fd);
    },
    close() {
      this.closeChildEnds();
      inSide?.close();
      outSide?.close();
      errSide?.close();
    },
  };
}

/**
 * True when `opt` asks for any pipe: those cannot be combined with `process.terminal`,
 * where the process's stdio is the terminal.
 *
 * @example
 * ```ts
 * import { wantsPipes } from "./stdio.ts";
 * console.log(wantsPipes({ stdout: "pipe" })); // true
 * ```
 */
export function wantsPipes(opt: StdioOption | undefined): boolean {
  return opt !== undefined && NAMES.some((n) => modeOf(opt, n) === "pipe");
}

/**
 * Refuses what cannot be combined with library stdio: raw `stdioFds` beside it, and pipes
 * for a process with a terminal (its stdio is the terminal). `terminal` is asked only when
 * pipes are wanted (reading the config costs a file read).
 *
 * @example
 * ```ts
 * import { checkStdioOptions } from "./stdio.ts";
 * checkStdioOptions("pipe", undefined, () => false); // fine
 * ```
 */
export function checkStdioOptions(
  stdio: StdioOption | undefined,
  stdioFds: readonly number[] | undefined,
  terminal: () => boolean,
): void {
  if (stdio !== undefined && stdioFds) {
    throw new DrunError("EINVALID_ARG", "give stdio or stdioFds, not both", "stdio");
  }
  if (wantsPipes(stdio) && terminal()) {
    throw new DrunError(
      "EINVALID_ARG",
      "no pipes with process.terminal (the process's stdio is its terminal)",
      "stdio",
    );
  }
}

/** The checked mode of one stream. */
function modeOf(opt: StdioOption, name: typeof NAMES[number]): StdioMode {
  const isAll = typeof opt !== "object" || opt === null;
  const mode = isAll ? opt : opt[name] ?? "inherit";
  if (mode === "inherit" || mode === "pipe" || mode === "null") return mode;
  if (typeof mode === "number" && Number.isInteger(mode) && mode >= 0) return mode;
  throw new DrunError(
    "EINVALID_ARG",
    `must be "inherit", "pipe", "null" or an fd number, not ${JSON.stringify(mode)}`,
    isAll ? "stdio" : `stdio.${name}`,
  );
}

/** A stream side that can be closed from outside (dispose), even while in use. */
interface Side<S> {
  stream: S;
  close(): void;
}

/**
 * A ReadableStream over a raw fd. Reads wait in slices, so a stream closed while a read is
 * pending gives up its fd only once that read has returned (never a read on a reused fd).
 */
function fdReadable(fd: number): Side<ReadableStream<Uint8Array>> {
  const buf = new Uint8Array(64 * 1024);
  let open = true;
  let stopping = false;
  let reading = false;
  let ctl: ReadableStreamDefaultController<Uint8Array> | undefined;
  const release = () => {
    if (open) closeFd(fd);
    open = false;
  };
  const end = () => {
    release();
    try {
      ctl?.close();
    } catch { /* already closed or cancelled */ }
  };
  const stream = new ReadableStream<Uint8Array>({
    start(c) {
      ctl = c;
    },
    async pull(c) {
      while (!stopping) {
        reading = true;
        const chunk = await readFd(fd, buf, SLICE_MS).finally(() => reading = false);
        if (stopping) break;
        if (chunk === null) return end();
        if (chunk.length) return c.enqueue(chunk.slice());
      }
      end();
    },
    cancel() {
      stopping = true;
      if (!reading) release();
    },
    // Nothing is read before someone asks: an unread pipe fills and holds the writer back,
    // as with any pipe.
  }, { highWaterMark: 0 });
  return {
    stream,
    close() {
      stopping = true;
      if (!reading) end();
    },
  };
}

/** A WritableStream over a raw fd; closing or aborting it closes the fd (the reader's EOF). */
function fdWritable(fd: number): Side<WritableStream<Uint8Array>> {
  let open = true;
  let writing = false;
  let closing = false;
  const release = () => {
    if (open) closeFd(fd);
    open = false;
  };
  const stream = new WritableStream<Uint8Array>({
    async write(chunk) {
      if (!open) throw new DrunError("EBADSTATE", "the container's stdin is closed");
      const data = chunk.buffer instanceof ArrayBuffer
        ? chunk as Uint8Array<ArrayBuffer>
        : new Uint8Array(chunk);
      writing = true;
      try {
        await writeFdAsync(fd, data);
      } finally {
        writing = false;
        if (closing) release();
      }
    },
    close: release,
    abort: release,
  });
  return {
    stream,
    close() {
      closing = true;
      if (!writing) release();
    },
  };
}
