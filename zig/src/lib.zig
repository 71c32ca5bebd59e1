//! libdrun: the native half of drun, loaded by lib/native/ with Deno.dlopen.
//! Exports only what TypeScript cannot do itself: start drun-init (init.zig) on a plan, and
//! the fd-level calls around it (sync socket messages, wait4, unix connect). The init's own
//! code is not in here: it runs as a separate static program, from a sealed memfd.
const std = @import("std");
const sys = @import("sys.zig");
const plan = @import("plan.zig");
const sync = @import("sync.zig");
const linux = std.os.linux;
comptime {
    _ = @import("mem.zig");
    _ = @import("agent.zig");
}

/// What the vfork-style child needs; it lives in the parent's frame, which is frozen
/// (CLONE_VFORK) until the child has exec'd or exited.
const Spawn = struct {
    init_fd: i32,
    plan_fd: i32,
    sync_fd: i32,
    stdio: [3]i32,
    argv: [4]?[*:0]const u8,
    /// Set by the child when anything before execveat failed (0: it exec'd).
    errno: i32 = 0,
};

const SEALS_ALL = sys.F_SEAL_SEAL | sys.F_SEAL_SHRINK | sys.F_SEAL_GROW | sys.F_SEAL_WRITE;

/// Starts drun-init (the sealed memfd `init_fd`) on the encoded plan, with `stdio[i]` as its
/// fd i (-1: inherit ours). Returns its pid (>0) or -errno; out[0] receives the parent's end
/// of the sync socket.
///
/// A vfork-style clone (CLONE_VM | CLONE_VFORK, its own small stack) followed at once by
/// execveat: nothing of this process's memory is ever copied into a process the container
/// can see, and no page of Deno's heap is touched by the child. Signals stay blocked in the
/// child until its execve (a handler of ours must never run on its stack); the init's plan
/// resets them.
export fn drun_launch(base: [*]const u8, len: usize, init_fd: i32, stdio: *const [3]i32, out: *[2]i64) i64 {
    if (len < plan.HEADER or plan.readU32(base) != plan.MAGIC or plan.readU32(base + 4) != plan.VERSION) return -sys.errno(.INVAL);
    const pfd = sys.syscall2(.memfd_create, sys.ptr("drun-plan"), linux.MFD.CLOEXEC | linux.MFD.ALLOW_SEALING);
    if (sys.errnoOf(pfd) != 0) return -@as(i64, sys.errnoOf(pfd));
    defer sys.close(pfd);
    var done: usize = 0;
    while (done < len) {
        const n = sys.syscall3(.write, pfd, sys.ptr(base + done), len - done);
        if (sys.errnoOf(n) == sys.errno(.INTR)) continue;
        if (sys.errnoOf(n) != 0) return -@as(i64, sys.errnoOf(n));
        done += n;
    }
    // The init maps the plan: sealed, nobody can change it under the init's feet.
    const seal = sys.syscall3(.fcntl, pfd, sys.F_ADD_SEALS, SEALS_ALL);
    if (sys.errnoOf(seal) != 0) return -@as(i64, sys.errnoOf(seal));
    var sv: [2]i32 = undefined;
    const rc = sys.syscall4(.socketpair, linux.AF.UNIX, linux.SOCK.SEQPACKET | linux.SOCK.CLOEXEC, 0, sys.ptr(&sv));
    if (sys.errnoOf(rc) != 0) return -@as(i64, sys.errnoOf(rc));
    var plan_arg: [32]u8 = undefined;
    var sync_arg: [32]u8 = undefined;
    var sp = Spawn{
        .init_fd = init_fd,
        .plan_fd = @intCast(pfd),
        .sync_fd = sv[1],
        .stdio = stdio.*,
        .argv = .{ "drun-init", sys.decimalAt(&plan_arg, pfd), sys.decimalAt(&sync_arg, @intCast(sv[1])), null },
    };
    var stack: [16384]u8 align(16) = undefined;
    const all: u64 = ~@as(u64, 0);
    var old: u64 = 0;
    _ = sys.syscall4(.rt_sigprocmask, linux.SIG.SETMASK, sys.ptr(&all), sys.ptr(&old), 8);
    const pid = linux.clone(spawnChild, sys.ptr(&stack) + stack.len, linux.CLONE.VM | linux.CLONE.VFORK | linux.SIG.CHLD, sys.ptr(&sp), null, 0, null);
    _ = sys.syscall4(.rt_sigprocmask, linux.SIG.SETMASK, sys.ptr(&old), 0, 8);
    sys.close(@intCast(sv[1]));
    var e = sys.errnoOf(pid);
    if (e == 0 and @atomicLoad(i32, &sp.errno, .acquire) != 0) {
        e = sp.errno;
        _ = sys.syscall4(.wait4, pid, 0, 0, 0);
    }
    if (e != 0) {
        sys.close(@intCast(sv[0]));
        return -@as(i64, e);
    }
    out[0] = sv[0];
    out[1] = 0;
    return @intCast(pid);
}

/// The child of drun_launch, on its own stack in our (shared) memory: a handful of syscalls
/// on its own fd table, then execveat. Any failure is left in sp.errno for the parent.
fn spawnChild(arg: usize) callconv(.c) u8 {
    const sp: *Spawn = @ptrFromInt(arg);
    // Die with the launching thread until the plan says we may be left alone.
    _ = sys.syscall2(.prctl, sys.pr(.SET_PDEATHSIG), linux.SIG.KILL);
    var e: i32 = 0;
    for (sp.stdio, 0..) |fd, i| {
        if (fd < 0 or e != 0) continue;
        // dup3 onto itself is EINVAL: an fd already in place only loses close-on-exec.
        const r = if (fd == i) sys.syscall3(.fcntl, i, linux.F.SETFD, 0) else sys.syscall3(.dup3, @intCast(fd), i, 0);
        e = sys.errnoOf(r);
    }
    if (e == 0) e = sys.errnoOf(sys.syscall3(.fcntl, @intCast(sp.plan_fd), linux.F.SETFD, 0));
    if (e == 0) e = sys.errnoOf(sys.syscall3(.fcntl, @intCast(sp.sync_fd), linux.F.SETFD, 0));
    if (e == 0) {
        const envp = [1]?[*:0]const u8{null};
        e = sys.errnoOf(sys.syscall5(.execveat, @intCast(sp.init_fd), sys.ptr(""), sys.ptr(&sp.argv), sys.ptr(&envp), linux.AT.EMPTY_PATH));
    }
    @atomicStore(i32, &sp.errno, if (e == 0) sys.errno(.NOEXEC) else e, .release); // execveat "returned 0"
    _ = sys.syscall1(.exit, 127);
    unreachable;
}

/// memfd_create(MFD_CLOEXEC | MFD_ALLOW_SEALING) holding `bytes`, sealed against every
/// change (F_SEAL_SEAL | SHRINK | GROW | WRITE): how drun-init is kept, so that a process
/// running it cannot have its executable rewritten. Returns the fd or -errno.
export fn drun_sealed_memfd(name: [*:0]const u8, bytes: [*]const u8, len: usize) i64 {
    const fd = sys.syscall2(.memfd_create, sys.ptr(name), linux.MFD.CLOEXEC | linux.MFD.ALLOW_SEALING);
    if (sys.errnoOf(fd) != 0) return -@as(i64, sys.errnoOf(fd));
    var done: usize = 0;
    while (done < len) {
        const n = sys.syscall3(.write, fd, sys.ptr(bytes + done), len - done);
        if (sys.errnoOf(n) == sys.errno(.INTR)) continue;
        if (sys.errnoOf(n) != 0) {
            sys.close(fd);
            return -@as(i64, sys.errnoOf(n));
        }
        done += n;
    }
    const seal = sys.syscall3(.fcntl, fd, sys.F_ADD_SEALS, SEALS_ALL);
    if (sys.errnoOf(seal) != 0) {
        sys.close(fd);
        return -@as(i64, sys.errnoOf(seal));
    }
    return @intCast(fd);
}

/// wait4 on pid; returns the raw wait status, or -errno. flags: WNOHANG = 1.
export fn drun_wait(pid: i32, flags: i32) i64 {
    var status: u32 = 0;
    while (true) {
        const rc = sys.syscall4(.wait4, @bitCast(@as(isize, pid)), sys.ptr(&status), @intCast(flags), 0);
        const e = sys.errnoOf(rc);
        if (e == sys.errno(.INTR)) continue;
        if (e != 0) return -@as(i64, e);
        if (rc == 0) return -sys.errno(.AGAIN); // WNOHANG and still running
        return @intCast(status);
    }
}

/// Connects a SOCK_STREAM unix socket to path (any length: long paths go through an O_PATH
/// fd of the directory). Returns the fd (not close-on-exec: the child hands it on) or -errno.
export fn drun_unix_connect(path: [*:0]const u8) i64 {
    // Non-blocking for the connect alone: an agent whose listen backlog is full (it stopped
    // accepting) fails at once with EAGAIN instead of hanging create forever.
    const s = sys.syscall3(.socket, linux.AF.UNIX, linux.SOCK.STREAM | linux.SOCK.NONBLOCK, 0);
    if (sys.errnoOf(s) != 0) return -@as(i64, sys.errnoOf(s));
    var addr: [110]u8 = [_]u8{0} ** 110;
    addr[0] = linux.AF.UNIX;
    const len = sys.strlen(path);
    var dirfd: usize = std.math.maxInt(usize);
    if (len < 107) {
        @memcpy(addr[2..][0..len], path[0..len]);
    } else {
        var slash = len;
        while (slash > 0 and path[slash - 1] != '/') slash -= 1;
        var dbuf: [4096]u8 = undefined;
        if (slash == 0 or slash >= dbuf.len or len - slash > 100) {
            sys.close(s);
            return -sys.errno(.NAMETOOLONG);
        }
        @memcpy(dbuf[0..slash], path[0..slash]);
        dbuf[slash] = 0;
        dirfd = sys.syscall4(.openat, sys.AT_FDCWD, sys.ptr(&dbuf), sys.O_PATH | sys.O_CLOEXEC, 0);
        if (sys.errnoOf(dirfd) != 0) {
            sys.close(s);
            return -@as(i64, sys.errnoOf(dirfd));
        }
        var fdp: [32]u8 = undefined;
        const p = sys.fdPath(&fdp, dirfd);
        const pl = sys.strlen(p);
        @memcpy(addr[2..][0..pl], p[0..pl]);
        addr[2 + pl] = '/';
        @memcpy(addr[3 + pl ..][0 .. len - slash], path[slash..len]);
    }
    const rc = sys.syscall3(.connect, s, sys.ptr(&addr), addr.len);
    if (dirfd != std.math.maxInt(usize)) sys.close(dirfd);
    if (sys.errnoOf(rc) != 0) {
        sys.close(s);
        return -@as(i64, sys.errnoOf(rc));
    }
    // Blocking again: sends are bounded by SO_SNDTIMEO where it matters.
    const fl = sys.syscall2(.fcntl, s, linux.F.GETFL);
    if (sys.errnoOf(fl) == 0) _ = sys.syscall3(.fcntl, s, linux.F.SETFL, fl & ~sys.O_NONBLOCK);
    return @intCast(s);
}

/// close(2) for fds TypeScript got from this library.
export fn drun_close(fd: i32) i32 {
    return -sys.errnoOf(sys.syscall1(.close, @intCast(fd)));
}

/// mkfifo(2), which Deno lacks. Returns 0 or -errno.
export fn drun_mkfifo(path: [*:0]const u8, mode: u32) i32 {
    return -sys.errnoOf(sys.syscall4(.mknodat, sys.AT_FDCWD, sys.ptr(path), linux.S.IFIFO | @as(usize, mode), 0));
}

/// umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW): takes a mount and everything below it out of
/// this process's mount namespace (Deno has no umount). Returns 0 or -errno.
export fn drun_umount_detach(path: [*:0]const u8) i32 {
    return -sys.errnoOf(sys.syscall2(.umount2, sys.ptr(path), linux.MNT.DETACH | linux.UMOUNT_NOFOLLOW));
}

/// kill(2) with any signal number (Deno.kill takes only names). Returns 0 or -errno.
export fn drun_kill(pid: i32, sig: i32) i32 {
    return -sys.errnoOf(sys.syscall2(.kill, @bitCast(@as(isize, pid)), @intCast(sig)));
}

/// The `start` side of the exec fifo: opens it without blocking (a dead init would
/// otherwise block us forever), then waits up to timeout_ms for the init's byte.
/// Returns 1 when the init was released, 0 on timeout, or -errno.
export fn drun_fifo_start(path: [*:0]const u8, timeout_ms: i32) i32 {
    const fd = sys.syscall4(.openat, sys.AT_FDCWD, sys.ptr(path), sys.O_RDONLY | sys.O_CLOEXEC | sys.O_NONBLOCK, 0);
    if (sys.errnoOf(fd) != 0) return -sys.errnoOf(fd);
    defer sys.close(fd);
    const r = sys.waitReadable(@intCast(fd), timeout_ms);
    if (r == 0) return 0;
    // Hung up: a writer came and went without its byte (a profile denied the init's write;
    // its fds closed at execve). A fifo reports no hang-up before its first writer.
    if (r == -1000) return 1;
    if (r < 0) return @intCast(r);
    var b: [1]u8 = undefined;
    const n = sys.syscall3(.read, fd, sys.ptr(&b), 1);
    if (sys.errnoOf(n) != 0) return -sys.errnoOf(n);
    return if (n == 1) 1 else 0;
}

/// Connects to the unix socket at path and sends fd with SCM_RIGHTS and `name` as data (the
/// --console-socket protocol of runc and crun). Returns 0 or -errno.
export fn drun_send_fd(path: [*:0]const u8, fd: i32, name: [*:0]const u8) i64 {
    const s = drun_unix_connect(path);
    if (s < 0) return s;
    defer sys.close(@intCast(s));
    return -@as(i64, sys.errnoOf(sys.sendWithFd(@intCast(s), name, sys.strlen(name), fd)));
}

/// Sends one packet on the sync socket with `pass` attached (SCM_RIGHTS; none when < 0).
/// Returns bytes sent or -errno.
export fn drun_send_with_fd(fd: i32, buf: [*]const u8, len: usize, pass: i32) i64 {
    const n = sys.sendWithFd(@intCast(fd), buf, len, pass);
    if (sys.errnoOf(n) != 0) return -@as(i64, sys.errnoOf(n));
    return @intCast(n);
}

/// read(2) with a poll timeout, for proxying a pty. Bytes, 0 at EOF, -110 timeout, -errno.
export fn drun_read(fd: i32, buf: [*]u8, len: usize, timeout_ms: i32) i64 {
    const r = sys.waitReadable(fd, timeout_ms);
    if (r == 0) return -sys.errno(.TIMEDOUT);
    if (r < 0 and r != -1000) return r;
    const n = sys.syscall3(.read, @intCast(fd), sys.ptr(buf), len);
    if (sys.errnoOf(n) == sys.errno(.IO)) return 0; // the pty's other side is gone
    if (sys.errnoOf(n) != 0) return -@as(i64, sys.errnoOf(n));
    return @intCast(n);
}

/// write(2) of the whole buffer. Returns bytes written or -errno.
export fn drun_write(fd: i32, buf: [*]const u8, len: usize) i64 {
    var done: usize = 0;
    while (done < len) {
        const n = sys.syscall3(.write, @intCast(fd), sys.ptr(buf + done), len - done);
        const e = sys.errnoOf(n);
        if (e == sys.errno(.INTR)) continue;
        if (e != 0) return -@as(i64, e);
        done += n;
    }
    return @intCast(done);
}

/// Copies the window size of terminal `from` to `to` (TIOCGWINSZ/TIOCSWINSZ). 0 or -errno.
export fn drun_copy_winsize(from: i32, to: i32) i32 {
    var ws: [4]u16 = undefined;
    const rc = sys.syscall3(.ioctl, @intCast(from), linux.T.IOCGWINSZ, sys.ptr(&ws));
    if (sys.errnoOf(rc) != 0) return -sys.errnoOf(rc);
    return -sys.errnoOf(sys.syscall3(.ioctl, @intCast(to), linux.T.IOCSWINSZ, sys.ptr(&ws)));
}

/// bpf(2): cmd with attr (size bytes). Returns the syscall's result (an fd for PROG_LOAD) or -errno.
export fn drun_bpf(cmd: i32, attr: [*]u8, size: u32) i64 {
    const rc = sys.syscall3(.bpf, @bitCast(@as(isize, cmd)), sys.ptr(attr), size);
    if (sys.errnoOf(rc) != 0) return -@as(i64, sys.errnoOf(rc));
    return @intCast(rc);
}

/// Opens a directory (O_RDONLY|O_DIRECTORY|O_CLOEXEC), e.g. a cgroup for BPF_PROG_ATTACH.
/// Returns the fd or -errno.
export fn drun_open_dir(path: [*:0]const u8) i64 {
    const fd = sys.syscall4(.openat, sys.AT_FDCWD, sys.ptr(path), sys.O_RDONLY | sys.O_DIRECTORY | sys.O_CLOEXEC, 0);
    if (sys.errnoOf(fd) != 0) return -@as(i64, sys.errnoOf(fd));
    return @intCast(fd);
}

/// pipe2(O_CLOEXEC): out[0] the read end, out[1] the write end. 0 or -errno. For a container's
/// stdio: Deno has no way to make a pipe it can hand to another process by number.
export fn drun_pipe(out: *[2]i32) i32 {
    return -sys.errnoOf(sys.syscall2(.pipe2, sys.ptr(out), sys.O_CLOEXEC));
}

/// openat(AT_FDCWD, path, flags | O_CLOEXEC, mode): an fd number TypeScript can pass on (a
/// fifo containerd gave us, /dev/null). Returns the fd or -errno.
export fn drun_open(path: [*:0]const u8, flags: u32, mode: u32) i64 {
    const fd = sys.syscall4(.openat, sys.AT_FDCWD, sys.ptr(path), @as(usize, flags) | sys.O_CLOEXEC, mode);
    if (sys.errnoOf(fd) != 0) return -@as(i64, sys.errnoOf(fd));
    return @intCast(fd);
}

/// prctl(PR_SET_CHILD_SUBREAPER, 1): orphans below us (a container's init whose runtime-side
/// parent went away) are reparented to this process instead of pid 1. 0 or -errno.
export fn drun_set_subreaper() i32 {
    return -sys.errnoOf(sys.syscall2(.prctl, sys.pr(.SET_CHILD_SUBREAPER), 1));
}

/// pidfd_open(pid, 0): a handle on a process this one did not start (wait4 only serves a
/// parent), so `wait` works from any process. The fd is close-on-exec. Returns it or -errno.
export fn drun_pidfd_open(pid: i32) i64 {
    const fd = sys.syscall2(.pidfd_open, @bitCast(@as(isize, pid)), 0);
    if (sys.errnoOf(fd) != 0) return -@as(i64, sys.errnoOf(fd));
    return @intCast(fd);
}

/// Waits up to timeout_ms (negative: forever) for the process behind a pidfd to exit: the
/// kernel makes the pidfd readable then. 1 when it has exited, 0 on timeout, -errno.
export fn drun_pidfd_wait(fd: i32, timeout_ms: i32) i32 {
    const r = sys.waitReadable(fd, timeout_ms);
    if (r == 0) return 0;
    if (r < 0 and r != -1000) return @intCast(r);
    return 1;
}
