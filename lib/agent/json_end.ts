/**
 * Finds where a JSON object or array ends in a byte stream that arrives in pieces, without
 * parsing it: a runtime may keep its end of the agent's connection open long after it has
 * sent the state (crun keeps it until `crun run` exits), so the agent cannot wait for EOF,
 * and the last byte of a read says nothing (crun ends the state with `}\n`, and a large state
 * arrives in many reads).
 * @module
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

/**
 * Whether `b` is JSON whitespace (space, tab, LF, CR).
 *
 * @example
 * ```ts
 * isJsonSpace(0x0a); // true: crun ends its state with "\n"
 * isJsonSpace(0x7d); // false
 * ```
 */
export function isJsonSpace(b: number): boolean {
  return b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d;
}

/**
 * Tracks nesting outside strings over the bytes pushed so far. The bytes need not be valid
 * JSON: the scanner only says where a parser should stop, and the parser judges. Scanning
 * bytes rather than characters is safe because `"`, `\`, braces and brackets never occur
 * inside a multi-byte UTF-8 sequence.
 *
 * @example
 * ```ts
 * const end = new JsonEnd();
 * end.push(new TextEncoder().encode('{"a":"}'));   // -1: the } is inside a string
 * end.push(new TextEncoder().encode('"}\n'));      // 2: the document ends after byte 1
 * end.done;                                       // true
 * ```
 */
export class JsonEnd {
  #depth = 0;
  #inString = false;
  #escaped = false;
  #started = false;
  #done = false;
  #scannable = true;

  /** Whether a complete object or array has been seen. */
  get done(): boolean {
    return this.#done;
  }

  /**
   * False once the first non-whitespace byte is not `{` or `[`: such input has no end this
   * scanner can find, and only EOF tells the reader to stop.
   */
  get scannable(): boolean {
    return this.#scannable;
  }

  /**
   * Scans `bytes`; returns the index in `bytes` just past the document's last byte when the
   * document ends in this piece, else -1. After the end (or for unscannable input) it scans
   * nothing and returns -1.
   */
  push(bytes: Uint8Array): number {
    if (this.#done || !this.#scannable) return -1;
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i];
      if (!this.#started) {
        if (isJsonSpace(b)) continue;
        if (b !== OPEN_BRACE && b !== OPEN_BRACKET) {
          this.#scannable = false;
          return -1;
        }
        this.#started = true;
      }
      if (this.#inString) {
        if (this.#escaped) this.#escaped = false;
        else if (b === BACKSLASH) this.#escaped = true;
        else if (b === QUOTE) this.#inString = false;
      } else if (b === QUOTE) this.#inString = true;
      else if (b === OPEN_BRACE || b === OPEN_BRACKET) this.#depth++;
      else if ((b === CLOSE_BRACE || b === CLOSE_BRACKET) && --this.#depth === 0) {
        this.#done = true;
        return i + 1;
      }
    }
    return -1;
  }
}
