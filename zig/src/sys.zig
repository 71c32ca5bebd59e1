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

/// `e` as errnoOf reports it, for comparisons and a failed step's errno.
pub inline fn errno(comptime e: linux.E) i32 {
    return @intFromEnum(e);
}

/// prctl(2)'s option number for `option` (std keeps them as an enum).
pub inline fn pr(comptime option: linux.PR) usize {
    return @intCast(@intFromEnum(option));
}

/// open(2) flags as the raw syscalls take them (std's O is a packed struct).
fn oflags(comptime o: linux.O) usize {
    return @as(u32, @bitCast(o));
}

/// mmap(2) flags as the raw syscall takes them (std's MAP is a packed struct).
pub inline fn mapFlags(comptime m: linux.MAP) usize {
    return @as(u32, @bitCast(m));
}

pub const AT_FDCWD: usize = @bitCast(@as(isize, linux.AT.FDCWD));
pub const O_RDONLY = oflags(.{});
pub const O_WRONLY = oflags(.{ .ACCMODE = .WRONLY });
pub const O_RDWR = oflags(.{ .ACCMODE = .RDWR });
pub const O_CREAT = oflags(.{ .CREAT = true });
pub const O_NOCTTY = oflags(.{ .NOCTTY = true });
pub const O_TRUNC = oflags(.{ .TRUNC = true });
pub const O_NONBLOCK = oflags(.{ .NONBLOCK = true });
pub const O_DIRECTORY = oflags(.{ .DIRECTORY = true });
pub const O_NOFOLLOW = oflags(.{ .NOFOLLOW = true });
pub const O_CLOEXEC = oflags(.{ .CLOEXEC = true });
pub const O_PATH = oflags(.{ .PATH = true });

// What std.os.linux (zig 0.14) lacks, from the kernel's uapi headers.

// <linux/openat2.h>
pub const RESOLVE_NO_MAGICLINKS: u64 = 0x02;
pub const RESOLVE_IN_ROOT: u64 = 0x10;

// <linux/mount.h>
pub const OPEN_TREE_CLONE: usize = 1;
pub const OPEN_TREE_CLOEXEC: usize = O_CLOEXEC;
pub const MOVE_MOUNT_F_EMPTY_PATH: usize = 0x04;
pub const MOVE_MOUNT_T_EMPTY_PATH: usize = 0x40;
pub const MOUNT_ATTR_IDMAP: u64 = 0x00100000;

// <linux/fcntl.h>
pub const F_ADD_SEALS: usize = 1033;
pub const F_SEAL_SEAL: usize = 0x1;
pub const F_SEAL_SHRINK: usize = 0x2;
pub const F_SEAL_GROW: usize = 0x4;
pub const F_SEAL_WRITE: usize = 0x8;

// <linux/socket.h>
pub const SCM_RIGHTS: i32 = 1;

// <linux/capability.h>
pub const LINUX_CAPABILITY_VERSION_3: u32 = 0x20080522;

// <linux/ioprio.h>
pub const IOPRIO_CLASS_SHIFT = 13;
pub const IOPRIO_WHO_PROCESS: usize = 1;

// <linux/keyctl.h>
pub const KEYCTL_JOIN_SESSION_KEYRING: usize = 1;

/// `struct mount_attr` for mount_setattr(2) (<linux/mount.h>).
pub const MountAttr = extern struct { set: u64, clr: u64, propagation: u64 = 0, userns_fd: u64 = 0 };

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

const PollFd = extern struct { fd: i32, events: i16, revents: i16 };

/// Waits for fd to become readable (poll, EINTR retried). 1 readable, 0 timeout, -1000 hung up, or -errno.
pub fn waitReadable(fd: i32, timeout_ms: i32) i64 {
    var pfd = [1]PollFd{.{ .fd = fd, .events = linux.POLL.IN, .revents = 0 }};
    while (true) {
        const rc = syscall3(.poll, ptr(&pfd), 1, @bitCast(@as(isize, timeout_ms)));
        const e = errnoOf(rc);
        if (e == errno(.INTR)) continue;
        if (e != 0) return -@as(i64, e);
        if (rc == 0) return 0;
        if (pfd[0].revents & linux.POLL.IN != 0) return 1;
        if (pfd[0].revents & linux.POLL.HUP != 0) return -1000;
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
    std.mem.writeInt(i32, cbuf[8..12], linux.SOL.SOCKET, .little);
    std.mem.writeInt(i32, cbuf[12..16], SCM_RIGHTS, .little);
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
    return syscall3(.sendmsg, sock, ptr(&msg), linux.MSG.NOSIGNAL);
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
    const n = syscall3(.recvmsg, sock, ptr(&msg), linux.MSG.CMSG_CLOEXEC | linux.MSG.TRUNC);
    if (errnoOf(n) != 0) return n;
    if (msg.controllen >= 20) {
        const clen = std.mem.readInt(u64, cbuf[0..8], .little);
        const level = std.mem.readInt(i32, cbuf[8..12], .little);
        const typ = std.mem.readInt(i32, cbuf[12..16], .little);
        if (level == linux.SOL.SOCKET and typ == SCM_RIGHTS and clen >= 20 and clen <= cbuf.len) {
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
    var st: linux.Stat = undefined;
    const rc = syscall2(.fstat, fd, ptr(&st));
    if (errnoOf(rc) != 0) return .{ .err = errnoOf(rc) };
    const len: u64 = @bitCast(st.size);
    if (len == 0) return .{ .ok = "" };
    const addr = syscall6(.mmap, 0, len, linux.PROT.READ, mapFlags(.{ .TYPE = .PRIVATE }), fd, 0);
    if (errnoOf(addr) != 0) return .{ .err = errnoOf(addr) };
    return .{ .ok = @as([*]const u8, @ptrFromInt(addr))[0..len] };
}
