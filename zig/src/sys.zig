//! Raw Linux syscalls and the few constants the launcher needs. No libc: the child after
//! clone must not touch locks or an allocator that another Deno thread may have held.
const std = @import("std");
const linux = std.os.linux;
pub const SYS = linux.SYS;

pub const syscall0 = linux.syscall0;
pub const syscall1 = linux.syscall1;
pub const syscall2 = linux.syscall2;
pub const syscall3 = linux.syscall3;
pub const syscall4 = linux.syscall4;
pub const syscall5 = linux.syscall5;
pub const syscall6 = linux.syscall6;

/// The errno in a raw syscall return, or 0 on success.
pub fn errnoOf(rc: usize) i32 {
    const s: isize = @bitCast(rc);
    if (s < 0 and s > -4096) return @intCast(-s);
    return 0;
}

pub fn ptr(p: anytype) usize {
    return @intFromPtr(p);
}

pub const AT_FDCWD: usize = @bitCast(@as(isize, -100));
pub const O_RDONLY: usize = 0;
pub const O_WRONLY: usize = 1;
pub const O_RDWR: usize = 2;
pub const O_CREAT: usize = 0o100;
pub const O_EXCL: usize = 0o200;
pub const O_NOCTTY: usize = 0o400;
pub const O_TRUNC: usize = 0o1000;
pub const O_DIRECTORY: usize = 0o200000;
pub const O_NOFOLLOW: usize = 0o400000;
pub const O_CLOEXEC: usize = 0o2000000;
pub const O_PATH: usize = 0o10000000;

pub const RESOLVE_NO_MAGICLINKS: u64 = 0x02;
pub const RESOLVE_IN_ROOT: u64 = 0x10;

pub const MS_RDONLY: usize = 1;
pub const MS_REMOUNT: usize = 32;
pub const MS_BIND: usize = 4096;
pub const MS_MOVE: usize = 8192;
pub const MS_REC: usize = 16384;
pub const MNT_DETACH: usize = 2;
pub const UMOUNT_NOFOLLOW: usize = 8;

pub const SIGKILL: usize = 9;
pub const SIGCHLD: usize = 17;
pub const CLONE_FILES: usize = 0x400;

pub const PR_SET_PDEATHSIG: usize = 1;
pub const PR_SET_KEEPCAPS: usize = 8;
pub const PR_CAPBSET_DROP: usize = 24;
pub const PR_SET_NO_NEW_PRIVS: usize = 38;
pub const PR_CAP_AMBIENT: usize = 47;
pub const PR_CAP_AMBIENT_RAISE: usize = 2;
pub const PR_CAP_AMBIENT_CLEAR_ALL: usize = 4;

pub const OpenHow = extern struct { flags: u64, mode: u64, resolve: u64 };

pub fn close(fd: usize) void {
    _ = syscall1(.close, fd);
}

pub fn exit(code: usize) noreturn {
    _ = syscall1(.exit_group, code);
    unreachable;
}

/// Formats `/proc/self/fd/N` into `buf` (NUL-terminated) so mount(2) can take an fd as a path.
pub fn fdPath(buf: *[32]u8, fd: usize) [*:0]const u8 {
    const prefix = "/proc/self/fd/";
    @memcpy(buf[0..prefix.len], prefix);
    _ = decimalAt(buf[prefix.len..], fd);
    return @ptrCast(buf);
}

/// `n` in decimal at the start of `out`, NUL-terminated (out holds at least 21 bytes).
pub fn decimalAt(out: []u8, n: usize) [*:0]const u8 {
    var digits: [20]u8 = undefined;
    var v = n;
    var i: usize = 0;
    while (true) {
        digits[i] = @intCast('0' + v % 10);
        i += 1;
        v /= 10;
        if (v == 0) break;
    }
    var j: usize = 0;
    while (j < i) : (j += 1) out[j] = digits[i - 1 - j];
    out[i] = 0;
    return @ptrCast(out.ptr);
}

pub fn strlen(s: [*:0]const u8) usize {
    var i: usize = 0;
    while (s[i] != 0) i += 1;
    return i;
}

const POLLIN: i16 = 1;
const POLLHUP: i16 = 0x10;

const PollFd = extern struct { fd: i32, events: i16, revents: i16 };

/// Waits for fd to become readable (poll, EINTR retried). 1 readable, 0 timeout, -1000 hung up, or -errno.
pub fn waitReadable(fd: i32, timeout_ms: i32) i64 {
    var pfd = [1]PollFd{.{ .fd = fd, .events = POLLIN, .revents = 0 }};
    while (true) {
        const rc = syscall3(.poll, ptr(&pfd), 1, @bitCast(@as(isize, timeout_ms)));
        const e = errnoOf(rc);
        if (e == 4) continue;
        if (e != 0) return -@as(i64, e);
        if (rc == 0) return 0;
        if (pfd[0].revents & POLLIN != 0) return 1;
        if (pfd[0].revents & POLLHUP != 0) return -1000;
        return 1;
    }
}


/// sendmsg(MSG_NOSIGNAL) of `data` with `fd` attached as SCM_RIGHTS (no fd when fd < 0).
/// Returns the raw syscall result. The one place drun passes an fd over a unix socket.
pub fn sendWithFd(sock: usize, data: [*]const u8, len: usize, fd: i32) usize {
    var iov = [1]std.posix.iovec_const{.{ .base = data, .len = len }};
    var cbuf: [24]u8 align(8) = [_]u8{0} ** 24;
    // struct cmsghdr { size_t len; int level; int type; } + one int
    std.mem.writeInt(u64, cbuf[0..8], 20, .little);
    std.mem.writeInt(i32, cbuf[8..12], 1, .little); // SOL_SOCKET
    std.mem.writeInt(i32, cbuf[12..16], 1, .little); // SCM_RIGHTS
    std.mem.writeInt(i32, cbuf[16..20], fd, .little);
    const msg = linux.msghdr_const{
        .name = null,
        .namelen = 0,
        .iov = &iov,
        .iovlen = 1,
        .control = if (fd >= 0) &cbuf else null,
        .controllen = if (fd >= 0) 24 else 0,
        .flags = 0,
    };
    return syscall3(.sendmsg, sock, ptr(&msg), 0x4000); // MSG_NOSIGNAL
}

/// recvmsg into buf; the first fd passed with it (close-on-exec) goes to out_fd, any further
/// ones are closed; out_fd is -1 when none came. MSG_TRUNC: a longer packet reports its real
/// length. Returns the raw syscall result.
pub fn recvWithFd(sock: usize, buf: [*]u8, len: usize, out_fd: *i32) usize {
    out_fd.* = -1;
    var iov = [1]std.posix.iovec{.{ .base = buf, .len = len }};
    var cbuf: [16 + 4 * 16]u8 align(8) = undefined;
    var msg = linux.msghdr{
        .name = null,
        .namelen = 0,
        .iov = &iov,
        .iovlen = 1,
        .control = &cbuf,
        .controllen = cbuf.len,
        .flags = 0,
    };
    const n = syscall3(.recvmsg, sock, ptr(&msg), 0x40000000 | 0x20); // MSG_CMSG_CLOEXEC | MSG_TRUNC
    if (errnoOf(n) != 0) return n;
    if (msg.controllen >= 20) {
        const clen = std.mem.readInt(u64, cbuf[0..8], .little);
        const level = std.mem.readInt(i32, cbuf[8..12], .little);
        const typ = std.mem.readInt(i32, cbuf[12..16], .little);
        if (level == 1 and typ == 1 and clen >= 20 and clen <= cbuf.len) {
            var i: usize = 0;
            while (i < (clen - 16) / 4) : (i += 1) {
                const f = std.mem.readInt(i32, cbuf[16 + 4 * i ..][0..4], .little);
                if (i == 0) out_fd.* = f else close(@intCast(f));
            }
        }
    }
    return n;
}

/// Maps the whole of a (sealed) memfd read-only; returns the bytes or the errno.
pub fn mapFd(fd: usize) union(enum) { ok: []const u8, err: i32 } {
    var st: [144]u8 align(8) = undefined;
    const rc = syscall2(.fstat, fd, ptr(&st));
    if (errnoOf(rc) != 0) return .{ .err = errnoOf(rc) };
    const len = std.mem.readInt(u64, st[48..56], .little);
    if (len == 0) return .{ .ok = "" };
    const addr = syscall6(.mmap, 0, len, 1, 2, fd, 0); // PROT_READ, MAP_PRIVATE
    if (errnoOf(addr) != 0) return .{ .err = errnoOf(addr) };
    return .{ .ok = @as([*]const u8, @ptrFromInt(addr))[0..len] };
}
