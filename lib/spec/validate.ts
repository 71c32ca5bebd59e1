/**
 * Validation of an OCI runtime-spec `config.json` into a typed {@link Spec}.
 *
 * Every problem is reported as a {@link SpecError} naming the JSON path of the offending field
 * (`mounts[3].source: ...`), and only the first problem is reported: later checks may rely on
 * earlier ones having passed. Unknown properties are kept and ignored, as the spec requires.
 *
 * The returned Spec is a copy of the input with a few normalisations so later layers never need
 * the bundle directory again:
 * - `root.path` is made absolute against the bundle;
 * - relative bind-mount sources are made absolute against the bundle;
 * - relative mount destinations are taken as relative to the container's `/` (runc accepts
 *   them with a warning; we accept them silently and make them absolute);
 * - an empty namespace `path` is dropped (Go encoders write `""` for "no path");
 * - JSON `null` in an optional field is dropped, so consumers only ever see `undefined`.
 *
 * Symlink escapes of mount destinations are checked later, against the real rootfs.
 * @module
 */
import { join, resolve } from "../path.ts";
import { HOOK_KINDS } from "../hooks.ts";
import { SpecError } from "../errors.ts";
import type { Spec } from "./types.ts";
import {
  argLimit,
  asCString,
  asObject,
  asString,
  type Ctx,
  fail,
  get,
  intIn,
  isObject,
  type Json,
  keyPath,
  MAX_UTS_NAME,
  need,
  oneLine,
  optArray,
  optCString,
  optObject,
  pathLimits,
} from "./validate/json.ts";
import { checkMount, checkRoot } from "./validate/mounts.ts";
import { checkEnv, checkProcess } from "./validate/process.ts";
import { checkCrossFields, checkLinux } from "./validate/linux.ts";
export { RLIMITS } from "../linux/process.ts";
export { isBindMount, KNOWN_MOUNT_OPTIONS } from "./validate/mounts.ts";
export { parseCpuList } from "./cpu_list.ts";
export { validatedSeccomp } from "./validate/linux.ts";

/**
 * Options of {@link validateSpec}.
 *
 * @example
 * ```ts
 * const opts: ValidateOptions = { bundle: "/srv/web", checkFs: true };
 * ```
 */
export interface ValidateOptions {
  /** Bundle directory; relative `root.path` and bind sources are resolved against it. */
  bundle: string;
  /** Also check the filesystem: rootfs, bind sources and namespace files must exist. */
  checkFs?: boolean;
}

/**
 * Validates a parsed `config.json` and returns it as a typed {@link Spec} (a normalised copy;
 * see the module documentation). Throws a {@link SpecError} for the first problem found.
 *
 * @example
 * ```ts
 * const raw = JSON.parse(await Deno.readTextFile("/srv/web/config.json"));
 * const spec = validateSpec(raw, { bundle: "/srv/web" }); // throws SpecError naming the field
 * ```
 */
export function validateSpec(raw: unknown, opts: ValidateOptions): Spec {
  if (!isObject(raw)) fail("config.json", "must be a JSON object");
  let spec: Json;
  try {
    spec = structuredClone(raw);
  } catch {
    fail("config.json", "must contain only JSON data");
  }
  const ctx: Ctx = { bundle: resolve(opts.bundle), checkFs: opts.checkFs ?? false };

  const version = asString(need(spec, "ociVersion", ""), "ociVersion");
  const vm = /^(\d+)\.(\d+)\.(\d+)(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/.exec(version);
  if (!vm) fail("ociVersion", `must be a SemVer version, got "${version}"`);
  if (vm[1] !== "1") fail("ociVersion", `unsupported major version in "${version}"`);

  checkRoot(asObject(need(spec, "root", ""), "root"), ctx);
  checkProcess(asObject(need(spec, "process", ""), "process"));
  for (const key of ["hostname", "domainname"]) {
    const name = optCString(spec, key, "");
    if (name !== undefined && new TextEncoder().encode(name).length > MAX_UTS_NAME) {
      fail(key, `must be at most ${MAX_UTS_NAME} bytes`);
    }
  }
  const mounts = optArray(spec, "mounts", "");
  mounts?.forEach((m, i) => checkMount(m, `mounts[${i}]`, ctx));
  checkHooks(spec);
  const annotations = optObject(spec, "annotations", "");
  if (annotations) {
    for (const [k, v] of Object.entries(annotations)) {
      if (k === "") fail(`annotations[""]`, "key must not be empty");
      asString(v, keyPath("annotations", k));
    }
  }
  const linux = optObject(spec, "linux", "") ?? {};
  checkLinux(linux, ctx);
  checkCrossFields(spec, linux);
  return spec as unknown as Spec;
}

/**
 * Reads and validates `<bundle>/config.json`, checking the filesystem too (rootfs, bind
 * sources, namespace files). Throws {@link SpecError} with path `config.json` when the file is
 * missing or not JSON, and with the field's path for any other problem.
 *
 * @example
 * ```ts
 * const spec = await loadSpec("/srv/web"); // reads and checks /srv/web/config.json
 * console.log(spec.process?.args);
 * ```
 */
export async function loadSpec(bundle: string): Promise<Spec> {
  const dir = resolve(bundle);
  const file = join(dir, "config.json");
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new SpecError("config.json", `no such file in bundle ${dir}`);
    }
    throw new SpecError("config.json", `cannot read ${file}: ${oneLine(e)}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new SpecError("config.json", `invalid JSON: ${oneLine(e)}`);
  }
  return validateSpec(raw, { bundle: dir, checkFs: true });
}

function checkHooks(spec: Json): void {
  const hooks = optObject(spec, "hooks", "");
  if (!hooks) return;
  for (const kind of HOOK_KINDS) {
    optArray(hooks, kind, "hooks")?.forEach((h, i) => {
      const p = `hooks.${kind}[${i}]`;
      const hook = asObject(h, p);
      const path = asCString(need(hook, "path", p), `${p}.path`);
      if (!path.startsWith("/")) fail(`${p}.path`, "must be an absolute path");
      pathLimits(path, `${p}.path`);
      optArray(hook, "args", p)?.forEach((a, j) =>
        argLimit(asCString(a, `${p}.args[${j}]`), `${p}.args[${j}]`)
      );
      checkEnv(hook, p);
      const timeout = get(hook, "timeout");
      if (timeout !== undefined) {
        intIn(timeout, `${p}.timeout`, 1, 2 ** 31 - 1, "must be a positive integer");
      }
    });
  }
}
