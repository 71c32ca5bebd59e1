/**
 * Typed errors shared by every layer of drun. Each carries a stable `code` a caller can switch
 * on and, where the error comes from the configuration, the JSON path of the offending field.
 * @module
 */

/** Stable machine-readable error codes. */
export type DrunErrorCode =
  | "EINVALID_SPEC"
  | "EINVALID_ARG"
  | "ENOTFOUND"
  | "EEXISTS"
  | "EBADSTATE"
  | "ELAUNCH"
  | "ESECCOMP"
  | "ENATIVE"
  | "ELOCKED"
  | "EHOOK"
  | "ECGROUP";

/** Escapes control characters (newlines above all) the way JSON writes them. */
function oneLine(s: string): string {
  // deno-lint-ignore no-control-regex
  return s.replace(/[\u0000-\u001f]/g, (c) => JSON.stringify(c).slice(1, -1));
}

/** Base class of all drun errors. */
export class DrunError extends Error {
  /** Stable error code. */
  readonly code: DrunErrorCode;
  /** JSON path of the field that caused the error (e.g. `mounts[3].source`), if any. */
  readonly path?: string;

  /** Creates an error; when `path` is given the message is prefixed with it. */
  constructor(code: DrunErrorCode, message: string, path?: string) {
    // One line always: a value quoted into the message may carry a newline of its own.
    super(oneLine(path ? `${path}: ${message}` : message));
    this.name = "DrunError";
    this.code = code;
    this.path = path;
  }
}

/** A configuration (config.json or an in-memory Spec) that is not valid. */
export class SpecError extends DrunError {
  /** Creates a spec error naming the JSON path of the bad field. */
  constructor(path: string, message: string) {
    super("EINVALID_SPEC", message, path);
    this.name = "SpecError";
  }
}

/** A command-line or API argument that is not valid. */
export class ArgError extends DrunError {
  /** Creates an argument error, optionally naming the argument. */
  constructor(message: string, path?: string) {
    super("EINVALID_ARG", message, path);
    this.name = "ArgError";
  }
}

/** A failure inside the container's setup, reported by the native child with its step. */
export class LaunchError extends DrunError {
  /** The errno the failing syscall returned (0 when not a syscall failure). */
  readonly errno: number;
  /** Creates a launch error for the step named by `path`. */
  constructor(message: string, errno: number, path?: string) {
    super("ELAUNCH", message, path);
    this.name = "LaunchError";
    this.errno = errno;
  }
}
