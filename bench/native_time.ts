/**
 * Times what the first native call of a drun process costs, as JSON on stdout: putting the
 * embedded libdrun into a sealed memfd (libdrunMemfdPath: base64 decode, libc memfd_create,
 * write, seal), then Deno.dlopen with drun's symbol table.
 * @module
 */
import { libdrunMemfdPath } from "../lib/native/load.ts";
import { native } from "../lib/native/ffi.ts";

const t0 = performance.now();
libdrunMemfdPath();
const t1 = performance.now();
native();
const t2 = performance.now();
console.log(JSON.stringify({ verifyMs: t1 - t0, dlopenMs: t2 - t1 }));
