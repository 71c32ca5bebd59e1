/**
 * What the bench needs to know about the host and must leave as it found it: the cgroup
 * layout and the bench process's own cgroup (containers of runc and crun are nested under
 * it), whether crun needs a private mount namespace without the cgroup2 mount of a hybrid
 * layout, the mount table, and leftover cgroups.
 * @module
 */
import { join } from "node:path";

/** Cgroup layout of the host as this process sees it. */
export interface CgroupInfo {
  /** v1 only, hybrid (v1 controllers plus a cgroup2 mount) or unified v2. */
  mode: "v1" | "hybrid" | "v2";
  /** This process's cgroup: the memory hierarchy's path on v1/hybrid, the v2 path on v2. */
  base: string;
  /** Mount points of all cgroup hierarchies (v1 and v2). */
  mountPoints: string[];
  /** cgroup2 mount points other than /sys/fs/cgroup itself (the `unified` of a hybrid). */
  unifiedMounts: string[];
}

interface MountLine {
  mountPoint: string;
  fstype: string;
  source: string;
}

/** Mount points and types of this process's mount namespace. */
export function mounts(): MountLine[] {
  return Deno.readTextFileSync("/proc/self/mountinfo").trim().split("\n").map((l) => {
    const f = l.split(" ");
    const dash = f.indexOf("-");
    return { mountPoint: unescape(f[4]), fstype: f[dash + 1], source: f[dash + 2] };
  });
}

function unescape(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o) => String.fromCharCode(parseInt(o, 8)));
}

/** A comparable picture of the mount table (ids left out: they are not ours to keep). */
export function mountSnapshot(): string[] {
  return mounts().map((m) => `${m.mountPoint} ${m.fstype} ${m.source}`).sort();
}

/** Lines present in only one of two snapshots. */
export function mountDiff(a: string[], b: string[]): { added: string[]; removed: string[] } {
  const sa = new Set(a), sb = new Set(b);
  return { added: b.filter((x) => !sa.has(x)), removed: a.filter((x) => !sb.has(x)) };
}

/** Reads the cgroup layout. */
export function cgroupInfo(): CgroupInfo {
  const ms = mounts();
  const v1 = ms.filter((m) => m.fstype === "cgroup");
  const v2 = ms.filter((m) => m.fstype === "cgroup2");
  const entries = Deno.readTextFileSync("/proc/self/cgroup").trim().split("\n").map((l) => {
    const a = l.indexOf(":"), b = l.indexOf(":", a + 1);
    return { ctrls: l.slice(a + 1, b).split(","), path: l.slice(b + 1) };
  });
  const path = (pred: (ctrls: string[]) => boolean) => entries.find((e) => pred(e.ctrls))?.path;
  const mode = v1.length ? (v2.length ? "hybrid" : "v1") : "v2";
  const base = mode === "v2"
    ? path((c) => c.length === 1 && c[0] === "") ?? "/"
    : path((c) => c.includes("memory")) ?? path(() => true) ?? "/";
  return {
    mode,
    base: base === "/" ? "" : base.replace(/\/$/, ""),
    mountPoints: [...v1, ...v2].map((m) => m.mountPoint),
    unifiedMounts: v2.map((m) => m.mountPoint).filter((p) => p !== "/sys/fs/cgroup"),
  };
}

/**
 * The command prefix crun runs under here: crun 1.8 refuses a hybrid layout, so on one it runs
 * in a private mount namespace (unshare(1) makes it private, so nothing propagates back) where
 * the cgroup2 mounts are gone. Empty when crun needs nothing.
 */
export function crunWrapper(info: CgroupInfo): string[] {
  const unmounts = info.mode === "hybrid" ? info.unifiedMounts : [];
  if (!unmounts.length) return [];
  const umounts = unmounts.map((m) => `umount ${m} && `).join("");
  return ["unshare", "-m", "sh", "-c", `${umounts}exec "$0" "$@"`];
}

/** Directories under the cgroup mounts whose name starts with `prefix` (deepest first). */
export function findCgroups(info: CgroupInfo, prefix: string): string[] {
  const out: string[] = [];
  const walk = (dir: string, depth: number) => {
    if (depth > 12) return;
    let entries: Deno.DirEntry[];
    try {
      entries = [...Deno.readDirSync(dir)];
    } catch {
      return;
    }
    for (const e of entries) {
      if (!e.isDirectory) continue;
      const p = join(dir, e.name);
      walk(p, depth + 1);
      if (e.name.startsWith(prefix)) out.push(p);
    }
  };
  for (const mp of info.mountPoints) walk(mp, 0);
  return out.sort((a, b) => b.length - a.length);
}

/**
 * The directories between each hierarchy's root and `base` (runc and crun create them in
 * the hierarchies where this process sits higher up), deepest first.
 */
export function baseChain(info: CgroupInfo): string[] {
  const parts = info.base.split("/").filter(Boolean);
  const out: string[] = [];
  for (const mp of info.mountPoints) {
    for (let i = 1; i <= parts.length; i++) out.push(join(mp, ...parts.slice(0, i)));
  }
  return out.sort((a, b) => b.length - a.length);
}

/** Those of `dirs` that exist now. */
export function existing(dirs: string[]): Set<string> {
  return new Set(dirs.filter((d) => {
    try {
      return Deno.statSync(d).isDirectory;
    } catch {
      return false;
    }
  }));
}

/**
 * Removes empty cgroup directories (rmdir only: a cgroup in use is never touched). With
 * `inUseIsFine`, one that is busy (someone else's cgroups below it) is kept silently.
 */
export function rmdirCgroups(dirs: string[], inUseIsFine = false): string[] {
  const failed: string[] = [];
  for (const d of [...dirs].sort((a, b) => b.length - a.length)) {
    try {
      Deno.removeSync(d);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) continue;
      const busy = e instanceof Deno.errors.Busy || /EBUSY|ENOTEMPTY|busy|not empty/i.test(
        (e as Error).message,
      );
      if (!(busy && inUseIsFine)) failed.push(`${d}: ${(e as Error).message}`);
    }
  }
  return failed;
}

/** First line of a command's output, or undefined when it cannot run. */
export function commandLine(cmd: string, args: string[]): string | undefined {
  try {
    const o = new Deno.Command(cmd, { args, stdout: "piped", stderr: "null" }).outputSync();
    if (!o.success) return undefined;
    return new TextDecoder().decode(o.stdout).split("\n")[0].trim();
  } catch {
    return undefined;
  }
}

/** Absolute path of an executable on PATH. */
export function which(name: string): string | undefined {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    if (!dir) continue;
    const p = join(dir, name);
    try {
      const st = Deno.statSync(p);
      if (st.isFile && (st.mode ?? 0) & 0o111) return p;
    } catch { /* next */ }
  }
  return undefined;
}
