/**
 * Times what the first native call of a drun process costs, as JSON on stdout: finding and
 * verifying the cached libdrun.so (openLibdrun: a synchronous SHA-256 in JavaScript), then
 * Deno.dlopen with drun's symbol table (DRUN_LIBRARY makes the second lookup free).
 * @module
 */
import { openLibdrun } from "../lib/native/load.ts";
import { native } from "../lib/native/ffi.ts";

const t0 = performance.now();
const path = openLibdrun();
const t1 = performance.now();
Deno.env.set("DRUN_LIBRARY", path);
native();
const t2 = performance.now();
console.log(JSON.stringify({ verifyMs: t1 - t0, dlopenMs: t2 - t1 }));
