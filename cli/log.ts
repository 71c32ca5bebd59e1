/**
 * runc-compatible logging: `--log FILE` and `--log-format text|json`. Engines (containerd's
 * shim, conmon) read the last error from the log file as JSON lines shaped like logrus's.
 * @module
 */

/**
 * Log levels.
 *
 * @example
 * ```ts
 * const level: Level = "warning";
 * ```
 */
export type Level = "debug" | "info" | "warning" | "error";

/**
 * Where and how to log.
 *
 * @example
 * ```ts
 * const opts: LogOptions = { file: "/run/x/log.json", format: "json", debug: true };
 * ```
 */
export interface LogOptions {
  /** Log file (append); stderr when absent. */
  file?: string;
  /** Line format. */
  format?: "text" | "json";
  /** Whether debug lines are written. */
  debug?: boolean;
}

/**
 * A small logger writing one line per message.
 *
 * @example
 * ```ts
 * new Logger({ format: "json" }).error("container c1 does not exist");
 * ```
 */
export class Logger {
  #opts: LogOptions;
  /** Creates a logger. */
  constructor(opts: LogOptions = {}) {
    this.#opts = opts;
    // Engines read the file whatever happened (containerd's shim: "unable to retrieve OCI
    // runtime error" when it is missing), so it exists from the start, as runc makes it.
    if (opts.file) {
      try {
        Deno.writeFileSync(opts.file, new Uint8Array(), { append: true, create: true });
      } catch { /* reported by the first line that cannot be written */ }
    }
  }

  /** Writes one message at a level. */
  log(level: Level, msg: string): void {
    if (level === "debug" && !this.#opts.debug) return;
    const time = new Date().toISOString();
    const line = this.#opts.format === "json"
      ? JSON.stringify({ level, msg, time }) + "\n"
      : `time="${time}" level=${level} msg=${JSON.stringify(msg)}\n`;
    const bytes = new TextEncoder().encode(line);
    if (this.#opts.file) {
      try {
        Deno.writeFileSync(this.#opts.file, bytes, { append: true, create: true });
        return;
      } catch { /* fall back to stderr */ }
    }
    Deno.stderr.writeSync(bytes);
  }

  /** Debug line (only with --debug). */
  debug(msg: string): void {
    this.log("debug", msg);
  }
  /** Warning line. */
  warn(msg: string): void {
    this.log("warning", msg);
  }
  /** Error line. */
  error(msg: string): void {
    this.log("error", msg);
  }
}
