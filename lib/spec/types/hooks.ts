/**
 * The `hooks` section: programs run at points of the container lifecycle.
 * @module
 */

/**
 * Programs run at points of the container lifecycle.
 *
 * @example
 * ```ts
 * const hooks: Hooks = { poststop: [{ path: "/usr/bin/logger", args: ["logger", "stopped"] }] };
 * ```
 */
export interface Hooks {
  /** Deprecated: run in the runtime namespace after the container is created. */
  prestart?: Hook[];
  /** Run in the runtime namespace after the environment is created, before pivot_root. */
  createRuntime?: Hook[];
  /** Run in the container namespace after the environment is created, before pivot_root. */
  createContainer?: Hook[];
  /** Run in the container namespace just before the user process is executed. */
  startContainer?: Hook[];
  /** Run in the runtime namespace after the user process is started. */
  poststart?: Hook[];
  /** Run in the runtime namespace after the container is deleted. */
  poststop?: Hook[];
}

/**
 * One hook program.
 *
 * @example
 * ```ts
 * const hook: Hook = { path: "/bin/sh", args: ["sh", "-c", "echo started"], timeout: 5 };
 * ```
 */
export interface Hook {
  /** Absolute path of the program. */
  path: string;
  /** Arguments including `argv[0]`. */
  args?: string[];
  /** Environment, each entry `KEY=value`. */
  env?: string[];
  /** Seconds before the hook is aborted; greater than zero. */
  timeout?: number;
}
