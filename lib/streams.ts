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
