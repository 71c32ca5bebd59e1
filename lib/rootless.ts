/**
 * Rootless mode: whether drun runs without the host's root privileges (an unprivileged user,
 * or root inside a user namespace), the state root that follows from it, and the id maps such
 * a runtime may write. Small and free of the launch path, so cli/main.ts can load it.
 * @module
 */
import { ArgError, SpecError } from "./errors.ts";
import type { Spec } from "./spec/types.ts";

/** The full identity map of the initial user namespace, as /proc/self/uid_map shows it. */
const INITIAL_MAP = /^\s*0\s+0\s+4294967295\s*$/;

/**
 * Whether this process runs inside a user namespace other than the host's: its uid_map is not
 * the identity map of all 2^32 ids.
 *
 * @example
 * ```ts
 * if (inUserNamespace()) console.log("ids here are not the host's");
 * ```
 */
export function inUserNamespace(uidMap?: string): boolean {
  let text = uidMap;
  if (text === undefined) {
    try {
      text = Deno.readTextFileSync("/proc/self/uid_map");
    } catch {
      return false; // no /proc: assume the host's namespace, as runc does
    }
  }
  return !INITIAL_MAP.test(text.trim());
}

/**
 * Parses `--rootless` (absent means `auto`) into whether to run rootless: `auto` is rootless
 * when the effective uid is not 0 or when running inside a user namespace, as runc decides.
 *
 * @example
 * ```ts
 * const rootless = rootlessMode(Deno.args.includes("--rootless") ? "true" : undefined);
 * ```
 */
export function rootlessMode(flag: string | undefined, euid = Deno.uid() ?? 0): boolean {
  if (flag === "true") return true;
  if (flag === "false") return false;
  if (flag !== undefined && flag !== "auto") {
    throw new ArgError(`--rootless: must be true, false or auto, not ${JSON.stringify(flag)}`);
  }
  return euid !== 0 || inUserNamespace();
}

/**
 * The state root when `--root` is not given: `$XDG_RUNTIME_DIR/drun` for an unprivileged user
 * (or root in a user namespace whose USER is not root, rootless podman's case), as runc uses
 * `$XDG_RUNTIME_DIR/runc`; `/run/drun` otherwise.
 *
 * @example
 * ```ts
 * const root = defaultStateRoot(Deno.env.toObject()); // "/run/user/1000/drun" for a user
 * ```
 */
export function defaultStateRoot(
  env: Record<string, string | undefined>,
  euid = Deno.uid() ?? 0,
  userns: () => boolean = inUserNamespace,
): string {
  const xdg = env.XDG_RUNTIME_DIR;
  if (xdg && (euid !== 0 || (userns() && env.USER !== "root"))) return `${xdg}/drun`;
  return "/run/drun";
}

/**
 * Refuses, naming the field, a config an unprivileged runtime cannot run: without a user
 * namespace of its own (or one joined by path) it could not mount anything, so runc refuses
 * it too; nor can it idmap a host filesystem.
 *
 * @example
 * ```ts
 * checkRootless(spec, rootlessMode(undefined)); // throws SpecError("linux.namespaces", ...)
 * ```
 */
export function checkRootless(spec: Spec, rootless: boolean, euid = Deno.uid() ?? 0): void {
  if (!rootless || euid === 0) return;
  if (!(spec.linux?.namespaces ?? []).some((n) => n.type === "user")) {
    throw new SpecError(
      "linux.namespaces",
      "a rootless container needs a user namespace (see drun spec --rootless)",
    );
  }
  // The same test as lib/plan/idmap.ts isIdmapped, without loading the plan modules here
  // (every command loads this one).
  const i = (spec.mounts ?? []).findIndex((m) =>
    m.uidMappings !== undefined || (m.options ?? []).some((o) => o === "idmap" || o === "ridmap")
  );
  if (i >= 0) {
    // mount_setattr(MOUNT_ATTR_IDMAP) needs CAP_SYS_ADMIN over the source's filesystem.
    throw new SpecError(
      `mounts[${i}]`,
      "idmapped mounts need root on the host (the filesystem's owner namespace)",
    );
  }
}
