/**
 * drun: an OCI container runtime as a typed library.
 *
 * ```ts
 * import { Runtime, defaultSpec } from "jsr:@drun/drun";
 *
 * const rt = new Runtime("/run/drun");
 * const spec = defaultSpec({ args: ["/bin/true"] });
 * spec.root = { path: "/path/to/rootfs" };
 * const c = await rt.create("demo", { spec, bundle: "/path/to" });
 * await c.start();
 * console.log(await c.wait()); // { code: 0 }
 * await c.delete();
 * ```
 * @module
 */
export { Container, type CreateOptions, type OciState, Runtime } from "./lib/runtime.ts";
export type { ExitStatus } from "./lib/native/ffi.ts";
export { ArgError, DrunError, type DrunErrorCode, LaunchError, SpecError } from "./lib/errors.ts";
export { loadSpec, validateSpec } from "./lib/spec/validate.ts";
export { defaultSpec } from "./lib/spec/default.ts";
export type * from "./lib/spec/types.ts";
export { type CompiledSeccomp, compileSeccomp, seccompFeatures } from "./lib/seccomp/compile.ts";
export { features, VERSION } from "./lib/features.ts";
