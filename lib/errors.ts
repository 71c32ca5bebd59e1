/**
 * Typed errors shared by every layer of drun. Each carries a stable `code` a caller can switch
 * on and, where the error comes from the configuration, the JSON path of the offending field.
 * @module
 */

/**
 * Stable machine-readable error codes.
 *
 * @example
 * ```ts
 * try {
 *   new Runtime("/run/drun").get("web");
 * } catch (e) {
 *   const code: DrunErrorCode | undefined = e instanceof DrunError ? e.code : undefined;
 *   if (code === "ENOTFOUND") console.log("no such container");
 * }
 * ```
 */
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
  | "ECGROUP"
  | "EPERMISSION";

/** Escapes control characters (newlines above all) the way JSON writes them. */
function oneLine(s: string): string {
  // deno-lint-ignore no-control-regex
  return s.replace(/[\u0000-\u001f]/g, (c) => JSON.stringify(c).slice(1, -1));
}

/**
 * Base class of all drun errors.
 *
 * @example
 * ```ts
 * try {
 *   await new Runtime("/run/drun").delete("web");
 * } catch (e) {
 *   if (e instanceof DrunError && e.code === "EBADSTATE") console.error(e.message);
 *   else throw e;
 * }
 * ```
 */
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

/**
 * A configuration (config.json or an in-memory Spec) that is not valid.
 *
 * @example
 * ```ts
 * try {
 *   const process = { args: [], cwd: "/", user: { uid: 0, gid: 0 } };
 *   validateSpec({ ociVersion: "1.2.0", root: { path: "/" }, process }, { bundle: "/b" });
 * } catch (e) {
 *   // "process.args: must be a non-empty array"
 *   if (e instanceof SpecError) console.error(e.message);
 * }
 * ```
 */
export class SpecError extends DrunError {
  /** Creates a spec error naming the JSON path of the bad field. */
  constructor(path: string, message: string) {
    super("EINVALID_SPEC", message, path);
    this.name = "SpecError";
  }
}

/**
 * A command-line or API argument that is not valid.
 *
 * @example
 * ```ts
 * const e = new ArgError("must be a positive number", "--timeout");
 * console.log(e.message); // "--timeout: must be a positive number"
 * ```
 */
export class ArgError extends DrunError {
  /** Creates an argument error, optionally naming the argument. */
  constructor(message: string, path?: string) {
    super("EINVALID_ARG", message, path);
    this.name = "ArgError";
  }
}

/**
 * A failed call into libdrun (a syscall the runtime itself made: connect, send, wait4, ...),
 * with its errno, in the same family as every other error of drun.
 *
 * @example
 * ```ts
 * try {
 *   unixConnect("/run/nobody.sock");
 * } catch (e) {
 *   if (e instanceof NativeError && e.errno === 2) console.error("no agent there");
 * }
 * ```
 */
export class NativeError extends DrunError {
  /** The errno of the failed call. */
  readonly errno: number;
  /** Creates a native error: `message` already says what failed and why. */
  constructor(message: string, errno: number, path?: string) {
    super("ENATIVE", message, path);
    this.name = "NativeError";
    this.errno = errno;
  }
}

/**
 * A failure inside the container's setup, reported by the native child with its step.
 *
 * @example
 * ```ts
 * try {
 *   await new Runtime("/run/drun").create("web", { bundle: "/srv/web" });
 * } catch (e) {
 *   // e.g. "process.args[0]: execve /nope: ENOENT: no such file or directory"
 *   if (e instanceof LaunchError) console.error(e.path, e.errno, e.message);
 * }
 * ```
 */
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
