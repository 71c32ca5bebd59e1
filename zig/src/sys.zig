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
    var digits: [20]u8 = undefined;
    var n = fd;
    var i: usize = 0;
    while (true) {
        digits[i] = @intCast('0' + n % 10);
        i += 1;
        n /= 10;
        if (n == 0) break;
    }
    var j: usize = 0;
    while (j < i) : (j += 1) buf[prefix.len + j] = digits[i - 1 - j];
    buf[prefix.len + i] = 0;
    return @ptrCast(buf);
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

