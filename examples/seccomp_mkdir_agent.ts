/**
 * A seccomp agent that makes `mkdir` and `mkdirat` under `/tmp` succeed for any container
 * user, by creating the directory on the caller's behalf: in the caller's own mount namespace
 * and root, with the caller's umask, owned by the caller's fsuid/fsgid.
 *
 * ```sh
 * deno run -A examples/seccomp_mkdir_agent.ts --socket /run/mkdir-agent.sock
 * ```
 *
 * Containers use it with a profile such as
 * `{"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": "/run/mkdir-agent.sock",
 *   "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_NOTIFY"}]}`.
 *
 * How the directory is made safely: the agent opens `/proc/<pid>/root` (the caller's root,
 * wherever its mounts are), checks the notification is still valid (so the pid was not
 * reused), opens the parent directory below that root with `openat2(RESOLVE_IN_ROOT)` (a
 * symlink such as `/tmp -> /etc` in the container resolves inside the container, never on
 * the host), then `mkdirat` + `fchownat(AT_SYMLINK_NOFOLLOW)` relative to that parent.
 * Anything it does not handle (a relative path, one not under `/tmp`, `.`/`..` components, a
 * real dirfd) is left to the kernel, with the caller's own permissions.
 * @module
 */
import { parseArgs } from "node:util";
import {
  type Notification,
  type NotificationContext,
  type Response,
  SeccompAgent,
} from "../lib/agent/mod.ts"; // jsr:@drun/drun/agent

const { values } = parseArgs({ options: { socket: { type: "string" } } });
if (!values.socket) {
  console.error("usage: seccomp_mkdir_agent.ts --socket PATH");
  Deno.exit(2);
}

const libc = Deno.dlopen("libc.so.6", {
  open: { parameters: ["buffer", "i32"], result: "i32" },
  // syscall(SYS_openat2, dirfd, path, &how, sizeof how): glibc has no wrapper.
  syscall: { parameters: ["i64", "i32", "buffer", "buffer", "usize"], result: "i64" },
  mkdirat: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  fchownat: { parameters: ["i32", "buffer", "u32", "u32", "i32"], result: "i32" },
  close: { parameters: ["i32"], result: "i32" },
  __errno_location: { parameters: [], result: "pointer" },
});

const SYS_OPENAT2 = 437n; // the same number on every architecture
const O_PATH = 0o10000000;
const O_DIRECTORY = Deno.build.arch === "aarch64" ? 0o40000 : 0o200000;
const O_CLOEXEC = 0o2000000;
const RESOLVE_NO_MAGICLINKS = 0x02;
const RESOLVE_IN_ROOT = 0x10;
const AT_SYMLINK_NOFOLLOW = 0x100;
const AT_FDCWD = -100;

function cstr(s: string): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(s + "\0") as Uint8Array<ArrayBuffer>;
}

function errno(): number {
  return new Deno.UnsafePointerView(libc.symbols.__errno_location()!).getInt32();
}

/** Opens `rel` as a directory below `rootFd`, resolved inside that root: fd or -errno. */
function openInRoot(rootFd: number, rel: string): number {
  const how = new BigUint64Array([
    BigInt(O_PATH | O_DIRECTORY | O_CLOEXEC),
    0n,
    BigInt(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS),
  ]);
  const fd = Number(
    libc.symbols.syscall(SYS_OPENAT2, rootFd, cstr(rel), new Uint8Array(how.buffer), 24n),
  );
  return fd < 0 ? -errno() : fd;
}

/** The caller's umask and filesystem ids, from /proc/<pid>/status (host ids). */
function creds(pid: number): { umask: number; fsuid: number; fsgid: number } {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const field = (k: string) => new RegExp(`^${k}:\\s*(.*)$`, "m").exec(status)?.[1] ?? "";
  return {
    umask: parseInt(field("Umask") || "022", 8),
    fsuid: Number(field("Uid").split(/\s+/)[3]),
    fsgid: Number(field("Gid").split(/\s+/)[3]),
  };
}

/** `/tmp/a/b` -> ["tmp/a", "b"] when every component is plain and it is below /tmp. */
function underTmp(path: string): [string, string] | undefined {
  if (!path.startsWith("/")) return undefined;
  const parts = path.split("/").filter((p) => p !== "");
  if (parts[0] !== "tmp" || parts.length < 2) return undefined;
  if (parts.some((p) => p === "." || p === "..")) return undefined;
  return [parts.slice(0, -1).join("/"), parts[parts.length - 1]];
}

/** Makes the directory; returns 0 or a positive errno. */
function mkdirFor(n: Notification, ctx: NotificationContext, parent: string, name: string) {
  const rootFd = libc.symbols.open(cstr(`/proc/${n.pid}/root`), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootFd < 0) return errno();
  try {
    // The fd pins the process we opened; if the notification is still valid, it is the caller.
    if (!ctx.valid()) return 3; // ESRCH: nobody waits for the answer anyway
    const { umask, fsuid, fsgid } = creds(n.pid);
    const mode = Number(n.args[n.syscall === "mkdirat" ? 2 : 1] & 0o7777n) & ~umask;
    const dirFd = openInRoot(rootFd, parent);
    if (dirFd < 0) return -dirFd;
    try {
      if (libc.symbols.mkdirat(dirFd, cstr(name), mode) < 0) return errno();
      if (libc.symbols.fchownat(dirFd, cstr(name), fsuid, fsgid, AT_SYMLINK_NOFOLLOW) < 0) {
        return errno();
      }
      return 0;
    } finally {
      libc.symbols.close(dirFd);
    }
  } finally {
    libc.symbols.close(rootFd);
  }
}

async function handler(n: Notification, ctx: NotificationContext): Promise<Response> {
  let pathArg: bigint;
  if (n.syscall === "mkdir") pathArg = n.args[0];
  else if (n.syscall === "mkdirat") {
    // Only AT_FDCWD: a real dirfd names a directory we would have to trust; leave it be.
    if (Number(BigInt.asIntN(32, n.args[0])) !== AT_FDCWD) return { continue: true };
    pathArg = n.args[1];
  } else return { continue: true };
  let path: string;
  try {
    path = await ctx.readString(pathArg);
  } catch {
    return { continue: true }; // unreadable: the kernel will say EFAULT itself
  }
  const split = underTmp(path);
  if (!split) return { continue: true };
  const err = mkdirFor(n, ctx, split[0], split[1]);
  console.log(
    `${n.syscall} ${path} for ${n.state.state.id} (pid ${n.pid}): ` +
      (err === 0 ? "created" : `errno ${err}`),
  );
  return err === 0 ? { value: 0 } : { error: err };
}

const agent = await SeccompAgent.listen(values.socket, {
  handler,
  onError: (e, where) => console.error(`error (${where}): ${e.message}`),
});
const { promise: stop, resolve } = Promise.withResolvers<void>();
for (const sig of ["SIGINT", "SIGTERM"] as const) Deno.addSignalListener(sig, resolve);
console.log(`listening on ${agent.path}`);
await stop;
await agent.close(); // answers nothing more, closes every listener, removes the socket
libc.close();
Deno.exit(0);
