/**
 * TypeScript shapes of the OCI runtime-spec (v1.2) `config.json`, Linux subset. Property names
 * are exactly those of the JSON document so a parsed file can be used without renaming.
 * Non-Linux sections (Windows, Solaris, VM, z/OS) are left out; unknown properties survive
 * validation untouched, as the spec requires runtimes to ignore them rather than fail.
 * @module
 */

// One file per section of the runtime-spec, under types/; this module is what the rest of the
// tree imports.
export type * from "./types/config.ts";
export type * from "./types/process.ts";
export type * from "./types/mounts.ts";
export type * from "./types/hooks.ts";
export type * from "./types/linux.ts";
export type * from "./types/resources.ts";

/** The seccomp types are owned by lib/seccomp; re-exported so spec users need one import. */
export type { LinuxSeccomp, LinuxSeccompArg, LinuxSyscall } from "../seccomp/types.ts";
