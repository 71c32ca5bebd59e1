/**
 * Puts the embedded shared object on disk where dlopen can reach it: a file named by its
 * hash in a per-user cache dir, verified before every open so a corrupted or tampered
 * cache file is rewritten instead of loaded. This one path serves a checkout, the bundled
 * single file, `deno compile` and JSR alike.
 * @module
 */
import { join } from "node:path";
import { LIBDRUN_BASE64, LIBDRUN_SHA256 } from "./embedded.generated.ts";

/** The cache directory: $XDG_CACHE_HOME/drun, else ~/.cache/drun, else the fallback. */
export function cacheDir(fallback = "/run/drun/.cache"): string {
  const xdg = Deno.env.get("XDG_CACHE_HOME");
  if (xdg) return join(xdg, "drun");
  const home = Deno.env.get("HOME");
  if (home) return join(home, ".cache", "drun");
  return fallback;
}

/** Hex SHA-256 of the bytes. */
export async function sha256Hex(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(d).map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** The embedded shared object's bytes. */
export function embeddedBytes(): Uint8Array<ArrayBuffer> {
  const bin = atob(LIBDRUN_BASE64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

// A synchronous SHA-256: the loader runs inside synchronous call chains (native()), and
// crypto.subtle is async only. Small and only used on a ~15 KiB file.
const K = new Uint32Array([
  0x428a2f98,
  0x71374491,
  0xb5c0fbcf,
  0xe9b5dba5,
  0x3956c25b,
  0x59f111f1,
  0x923f82a4,
  0xab1c5ed5,
  0xd807aa98,
  0x12835b01,
  0x243185be,
  0x550c7dc3,
  0x72be5d74,
  0x80deb1fe,
  0x9bdc06a7,
  0xc19bf174,
  0xe49b69c1,
  0xefbe4786,
  0x0fc19dc6,
  0x240ca1cc,
  0x2de92c6f,
  0x4a7484aa,
  0x5cb0a9dc,
  0x76f988da,
  0x983e5152,
  0xa831c66d,
  0xb00327c8,
  0xbf597fc7,
  0xc6e00bf3,
  0xd5a79147,
  0x06ca6351,
  0x14292967,
  0x27b70a85,
  0x2e1b2138,
  0x4d2c6dfc,
  0x53380d13,
  0x650a7354,
  0x766a0abb,
  0x81c2c92e,
  0x92722c85,
  0xa2bfe8a1,
  0xa81a664b,
  0xc24b8b70,
  0xc76c51a3,
  0xd192e819,
  0xd6990624,
  0xf40e3585,
  0x106aa070,
  0x19a4c116,
  0x1e376c08,
  0x2748774c,
  0x34b0bcb5,
  0x391c0cb3,
  0x4ed8aa4a,
  0x5b9cca4f,
  0x682e6ff3,
  0x748f82ee,
  0x78a5636f,
  0x84c87814,
  0x8cc70208,
  0x90befffa,
  0xa4506ceb,
  0xbef9a3f7,
  0xc67178f2,
]);

/** SHA-256 of bytes, synchronously, as hex. */
export function sha256HexSync(data: Uint8Array): string {
  const h = new Uint32Array([
    0x6a09e667,
    0xbb67ae85,
    0x3c6ef372,
    0xa54ff53a,
    0x510e527f,
    0x9b05688c,
    0x1f83d9ab,
    0x5be0cd19,
  ]);
  const len = data.length;
  const padded = new Uint8Array(((len + 9 + 63) >> 6) << 6);
  padded.set(data);
  padded[len] = 0x80;
  const dv = new DataView(padded.buffer);
  dv.setUint32(padded.length - 4, (len * 8) >>> 0);
  dv.setUint32(padded.length - 8, Math.floor((len * 8) / 2 ** 32));
  const w = new Uint32Array(64);
  const rotr = (x: number, n: number) => (x >>> n) | (x << (32 - n));
  for (let off = 0; off < padded.length; off += 64) {
    for (let i = 0; i < 16; i++) w[i] = dv.getUint32(off + i * 4);
    for (let i = 16; i < 64; i++) {
      const s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >>> 3);
      const s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >>> 10);
      w[i] = (w[i - 16] + s0 + w[i - 7] + s1) >>> 0;
    }
    let [a, b, c, d, e, f, g, hh] = h;
    for (let i = 0; i < 64; i++) {
      const t1 = (hh + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K[i] +
        w[i]) >>> 0;
      const t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) >>> 0;
      hh = g;
      g = f;
      f = e;
      e = (d + t1) >>> 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) >>> 0;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
    h[4] += e;
    h[5] += f;
    h[6] += g;
    h[7] += hh;
  }
  return Array.from(h).map((x) => x.toString(16).padStart(8, "0")).join("");
}

/**
 * Returns the path of a verified copy of libdrun, writing it if missing or corrupted.
 * DRUN_LIBRARY overrides the path (for developing zig/ without regenerating the embed).
 */
export function openLibdrun(fallbackDir?: string): string {
  const override = Deno.env.get("DRUN_LIBRARY");
  if (override) return override;
  const dir = cacheDir(fallbackDir);
  const path = join(dir, `libdrun-${LIBDRUN_SHA256.slice(0, 16)}.so`);
  if (stillVerified(path)) return path;
  try {
    if (sha256HexSync(Deno.readFileSync(path)) === LIBDRUN_SHA256) {
      remember(path);
      return path;
    }
  } catch { /* missing: write it below */ }
  const bytes = embeddedBytes();
  if (sha256HexSync(bytes) !== LIBDRUN_SHA256) throw new Error("embedded libdrun is corrupt");
  Deno.mkdirSync(dir, { recursive: true, mode: 0o700 });
  // Write aside and rename so a concurrent drun never dlopens a half-written file.
  const tmp = `${path}.${Deno.pid}.tmp`;
  Deno.writeFileSync(tmp, bytes, { mode: 0o755 });
  Deno.renameSync(tmp, path);
  remember(path);
  return path;
}

/**
 * What this process has verified: path → identity of the file it hashed. A later open of
 * the same, unchanged file skips the hash; any change (a rewrite, a corruption in place
 * moves mtime) hashes again.
 */
const verified = new Map<string, string>();

function identity(path: string): string | undefined {
  try {
    const st = Deno.statSync(path);
    return `${st.ino}:${st.size}:${st.mtime?.getTime()}`;
  } catch {
    return undefined;
  }
}

function remember(path: string): void {
  const id = identity(path);
  if (id) verified.set(path, id);
}

function stillVerified(path: string): boolean {
  const id = verified.get(path);
  return id !== undefined && id === identity(path);
}

/**
 * Like openLibdrun, but hashes with WebCrypto (native, ~1 ms) instead of the synchronous
 * JavaScript SHA-256 (~10 ms cold), which only serves callers that cannot await.
 */
export async function openLibdrunAsync(fallbackDir?: string): Promise<string> {
  const override = Deno.env.get("DRUN_LIBRARY");
  if (override) return override;
  const path = join(cacheDir(fallbackDir), `libdrun-${LIBDRUN_SHA256.slice(0, 16)}.so`);
  if (stillVerified(path)) return path;
  try {
    if (await sha256Hex(await Deno.readFile(path)) === LIBDRUN_SHA256) {
      remember(path);
      return path;
    }
  } catch { /* missing: the synchronous path writes it */ }
  return openLibdrun(fallbackDir);
}
