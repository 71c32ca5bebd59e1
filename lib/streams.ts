/**
 * Reading a child's output without waiting for EOF: a process that exits may leave
 * grandchildren (a container's init, a hook's children) holding its pipes open.
 * @module
 */

/** A stream being read into text in the background. */
export interface Drain {
  /** What has arrived so far; stops reading. */
  take(): string;
  /** Waits for EOF at most `graceMs`, then stops reading and returns the text. */
  settle(graceMs?: number): Promise<string>;
}

/** Starts reading `stream` as UTF-8 text. */
export function drain(stream: ReadableStream<Uint8Array>): Drain {
  const reader = stream.getReader();
  const dec = new TextDecoder();
  let text = "";
  const done = (async () => {
    try {
      while (true) {
        const { value, done } = await reader.read();
        if (done) return;
        text += dec.decode(value, { stream: true });
      }
    } catch { /* cancelled */ }
  })();
  const take = () => {
    reader.cancel().catch(() => {});
    return text;
  };
  return {
    take,
    async settle(graceMs = 50) {
      await Promise.race([done, new Promise((r) => setTimeout(r, graceMs))]);
      return take();
    },
  };
}

/**
 * Reads a stream (if any) to its end.
 *
 * @example
 * ```ts
 * const bytes = await readAll(new Response("hi").body!);
 * console.log(bytes.length); // 2
 * ```
 */
export async function readAll(stream: ReadableStream<Uint8Array> | undefined): Promise<Uint8Array> {
  if (!stream) return new Uint8Array();
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/**
 * Writes `input` (if any) to `stdin` and closes it; a process that closed its stdin early
 * got what it read.
 *
 * @example
 * ```ts ignore
 * await feedAndClose(container.stdin, "hello\n");
 * ```
 */
export async function feedAndClose(
  stdin: WritableStream<Uint8Array> | undefined,
  input: string | Uint8Array | undefined,
): Promise<void> {
  if (!stdin) return;
  const w = stdin.getWriter();
  try {
    if (input !== undefined) {
      await w.write(typeof input === "string" ? new TextEncoder().encode(input) : input);
    }
  } catch { /* the process closed its stdin early: what it read is what it got */ }
  await w.close().catch(() => {});
}
