/**
 * POSIX path helpers with the results of `node:path` (join, dirname, resolve, isAbsolute).
 * drun has its own because the first `node:` import of a process starts Deno's Node
 * compatibility layer, about 5–7 ms of every command; engines call `state`, `start`, `kill`
 * and `delete` several times per container. tests/unit/path_test.ts checks that the results
 * match `node:path` on the same inputs.
 * @module
 */

/**
 * Normalizes a path as `node:path`'s `normalize` does: collapses `//`, `.` and `..`; keeps a
 * trailing slash; "" becomes ".".
 *
 * @example
 * ```ts
 * normalize("/a//b/../c/"); // "/a/c/"
 * ```
 */
export function normalize(p: string): string {
  if (p === "") return ".";
  const abs = p.startsWith("/");
  const trailing = p.endsWith("/");
  const out: string[] = [];
  for (const part of p.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (out.length && out[out.length - 1] !== "..") out.pop();
      else if (!abs) out.push("..");
    } else out.push(part);
  }
  let s = out.join("/");
  if (s === "") return abs ? "/" : trailing ? "./" : ".";
  if (trailing) s += "/";
  return abs ? `/${s}` : s;
}

/**
 * Joins the non-empty parts with `/` and normalizes the result (`node:path` `join`).
 *
 * @example
 * ```ts
 * join("/run/drun", "c1", "state.json"); // "/run/drun/c1/state.json"
 * ```
 */
export function join(...parts: string[]): string {
  const s = parts.filter((x) => x !== "").join("/");
  return s === "" ? "." : normalize(s);
}

/**
 * Whether the path starts at the root.
 *
 * @example
 * ```ts
 * isAbsolute("/proc"); // true
 * ```
 */
export function isAbsolute(p: string): boolean {
  return p.startsWith("/");
}

/**
 * The directory part of a path, as `node:path` `dirname` (trailing slashes ignored).
 *
 * @example
 * ```ts
 * dirname("/sys/fs/cgroup/memory/"); // "/sys/fs/cgroup"
 * ```
 */
export function dirname(p: string): string {
  if (p === "") return ".";
  let end = p.length;
  while (end > 1 && p[end - 1] === "/") end--;
  const i = p.lastIndexOf("/", end - 1);
  if (i < 0) return ".";
  return i === 0 ? "/" : p.slice(0, i);
}

/**
 * Resolves the parts right to left into an absolute, normalized path without a trailing
 * slash, starting from the current directory (`node:path` `resolve`).
 *
 * @example
 * ```ts
 * resolve("bundle", "config.json"); // "<cwd>/bundle/config.json"
 * ```
 */
export function resolve(...parts: string[]): string {
  let s = "";
  for (let i = parts.length - 1; i >= 0 && !s.startsWith("/"); i--) {
    if (parts[i] !== "") s = s ? `${parts[i]}/${s}` : parts[i];
  }
  if (!s.startsWith("/")) s = s ? `${Deno.cwd()}/${s}` : Deno.cwd();
  const n = normalize(s);
  return n.length > 1 && n.endsWith("/") ? n.slice(0, -1) : n;
}

/**
 * The `posix` namespace of `node:path`, for code written against it (on Linux the same).
 *
 * @example
 * ```ts
 * posix.join("/a", "b"); // "/a/b"
 * ```
 */
/**
 * The last component of a path, as `node:path` `basename` (trailing slashes ignored).
 *
 * @example
 * ```ts
 * basename("/run/drun/c1/"); // "c1"
 * ```
 */
export function basename(p: string): string {
  const t = p.replace(/\/+$/, "");
  return t.slice(t.lastIndexOf("/") + 1);
}

export const posix = { join, dirname, resolve, isAbsolute, normalize, basename };
