/**
 * OCI hooks the runtime itself runs (prestart, createRuntime, poststart, poststop), in the
 * runtime's namespaces, with the container state on stdin and an optional timeout.
 * createContainer and startContainer run inside the container: the plan carries them to
 * the init (zig/src/child.zig runHook).
 * @module
 */
import type { Hook } from "./spec/types.ts";
import { DrunError } from "./errors.ts";
import { drain } from "./streams.ts";

/**
 * The six hook kinds of the runtime spec, in lifecycle order.
 *
 * @example
 * ```ts
 * for (const kind of HOOK_KINDS) console.log(kind); // "prestart", "createRuntime", ...
 * ```
 */
export const HOOK_KINDS = [
  "prestart",
  "createRuntime",
  "createContainer",
  "startContainer",
  "poststart",
  "poststop",
] as const;

/**
 * One of HOOK_KINDS.
 *
 * @example
 * ```ts
 * const kind: HookKind = "poststop";
 * ```
 */
export type HookKind = typeof HOOK_KINDS[number];

/**
 * Where hook output goes (the runtime's log).
 *
 * @example
 * ```ts
 * const rt = new Runtime("/run/drun");
 * rt.hookOutput = (kind, i, stream, text) => console.log(`${kind}[${i}] ${stream}: ${text}`);
 * ```
 */
export type HookOutput = (
  kind: HookKind,
  index: number,
  stream: "stdout" | "stderr",
  text: string,
) => void;

/** Parses `KEY=value` entries into an env object (the hook then gets nothing else). */
function envOf(env: string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of env ?? []) {
    const i = e.indexOf("=");
    if (i > 0) out[e.slice(0, i)] = e.slice(i + 1);
  }
  return out;
}

/**
 * Runs `hooks` in order with `state` on stdin. A failure (non-zero exit, timeout, missing
 * binary) is a DrunError naming `hooks.<kind>[i]`: thrown at once, or, with `onFailure`
 * (poststart and poststop, whose failures the runtime spec makes warnings), handed to it
 * while the remaining hooks still run.
 *
 * @example
 * ```ts ignore
 * await runHooks("poststop", spec.hooks?.poststop, state, undefined, (e) => warn(e.message));
 * ```
 */
export async function runHooks(
  kind: HookKind,
  hooks: Hook[] | undefined,
  state: unknown,
  output?: HookOutput,
  onFailure?: (e: DrunError) => void,
): Promise<void> {
  for (const [i, hook] of (hooks ?? []).entries()) {
    try {
      await runHook(kind, i, hook, state, output);
    } catch (e) {
      if (!onFailure || !(e instanceof DrunError)) throw e;
      onFailure(e);
    }
  }
}

async function runHook(
  kind: HookKind,
  i: number,
  hook: Hook,
  state: unknown,
  output?: HookOutput,
): Promise<void> {
  {
    const field = `hooks.${kind}[${i}]`;
    let child: Deno.ChildProcess;
    try {
      // Deno cannot set argv[0] apart from the path; args[0] is the path in practice.
      // No `env` at all: the runtime's own environment, as runc and crun give it.
      child = new Deno.Command(hook.path, {
        args: (hook.args ?? [hook.path]).slice(1),
        env: hook.env === undefined ? undefined : envOf(hook.env),
        clearEnv: hook.env !== undefined,
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
    } catch (e) {
      throw new DrunError("EHOOK", `${hook.path}: ${(e as Error).message}`, field);
    }
    let timedOut = false;
    const timer = hook.timeout
      ? setTimeout(() => {
        timedOut = true;
        try {
          child.kill("SIGKILL");
        } catch { /* already gone */ }
      }, hook.timeout * 1000)
      : undefined;
    try {
      const w = child.stdin.getWriter();
      await w.write(new TextEncoder().encode(JSON.stringify(state))).catch(() => {});
      await w.close().catch(() => {});
      // Wait for the hook itself, not for EOF: a killed hook's children may keep its pipes.
      const stdout = drain(child.stdout);
      const stderr = drain(child.stderr);
      const status = await child.status;
      const [o, e] = await Promise.all([stdout.settle(), stderr.settle()]);
      if (o) output?.(kind, i, "stdout", o);
      if (e) output?.(kind, i, "stderr", e);
      const out = { success: status.success, code: status.code };
      if (timedOut) {
        throw new DrunError(
          "EHOOK",
          `${hook.path}: timed out after ${hook.timeout}s and was killed`,
          field,
        );
      }
      if (!out.success) {
        throw new DrunError("EHOOK", `${hook.path}: exited with status ${out.code}`, field);
      }
    } finally {
      if (timer !== undefined) clearTimeout(timer);
    }
  }
}
