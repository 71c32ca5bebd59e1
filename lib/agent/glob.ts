/**
 * The globs of a policy's `paths`: compiled once to a regular expression over `/`-separated
 * paths and cached.
 * @module
 */

const globCache = new Map<string, RegExp>();

function escapeRe(c: string): string {
  return /[\\^$.*+?()[\]{}|/]/.test(c) ? `\\${c}` : c;
}

/**
 * Compiles a glob over `/`-separated paths: `*` is any run of characters but `/`, `?` one
 * such character, `[abc]`/`[a-z]`/`[!a]` a class (never `/`), `**` as a whole component any
 * number of components, zero included (`/tmp/**` matches `/tmp` and all below it), `\x` a
 * literal `x`. The glob is normalised like a path first.
 *
 * @example
 * ```ts
 * console.log(globToRegExp("/etc/**").test("/etc/ssl/certs")); // true
 * ```
 */
export function globToRegExp(glob: string): RegExp {
  const cached = globCache.get(glob);
  if (cached) return cached;
  const norm = glob.startsWith("/") ? normalizeGlob(glob) : glob;
  const parts = norm.split("/");
  let re = "";
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    const last = i === parts.length - 1;
    if (part === "**") {
      if (i === 0) re += last ? ".*" : "(?:.*/)?";
      else if (last) re += "(?:/.*)?";
      else re += "(?:/.*)?/";
      continue;
    }
    if (i > 0 && parts[i - 1] !== "**") re += "/";
    re += segmentToRe(part, glob);
  }
  const r = new RegExp(`^${re}$`, "s");
  globCache.set(glob, r);
  return r;
}

function normalizeGlob(glob: string): string {
  // Collapse `//` and `/./`; leave `..` alone (a glob with `..` matches nothing normalised).
  const parts = glob.split("/").filter((p, i) => i === 0 || (p !== "" && p !== "."));
  const s = parts.join("/");
  return s === "" ? "/" : s;
}

function segmentToRe(seg: string, glob: string): string {
  let re = "";
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i];
    if (c === "\\" && i + 1 < seg.length) re += escapeRe(seg[++i]);
    else if (c === "*") {
      while (seg[i + 1] === "*") i++;
      re += "[^/]*";
    } else if (c === "?") re += "[^/]";
    else if (c === "[") {
      const end = seg.indexOf("]", i + 2);
      if (end < 0) throw new SyntaxError(`unclosed [ in glob ${JSON.stringify(glob)}`);
      let body = seg.slice(i + 1, end);
      const neg = body[0] === "!" || body[0] === "^";
      if (neg) body = body.slice(1);
      body = body.replace(/[\\\]^]/g, (m) => `\\${m}`);
      re += neg ? `(?!/)[^${body}]` : `[${body}]`;
      i = end;
    } else re += escapeRe(c);
  }
  return re;
}

/**
 * Whether normalised `path` matches `glob` (see {@link globToRegExp}).
 *
 * @example
 * ```ts
 * console.log(matchGlob("/tmp/*.log", "/tmp/a.log")); // true
 * console.log(matchGlob("/tmp/*", "/tmp/a/b")); // false
 * ```
 */
export function matchGlob(glob: string, path: string): boolean {
  return globToRegExp(glob).test(path);
}
