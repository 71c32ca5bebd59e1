//! The probe's raw Linux x86_64 syscalls (numbers from std's table), the flags it passes, and
//! the few file helpers built on them. No libc: the probe runs in any rootfs.
const std = @import("std");
const linux = std.os.linux;

pub fn nr(comptime name: @TypeOf(.enum_literal)) usize {
    return @intFromEnum(@field(linux.SYS, @tagName(name)));
}

pub fn sys(n: usize, a: usize, b: usize, c: usize, d: usize, e: usize, f: usize) usize {
    return asm volatile ("syscall"
        : [ret] "={rax}" (-> usize),
        : [n] "{rax}" (n),
          [a] "{rdi}" (a),
          [b] "{rsi}" (b),
          [c] "{rdx}" (c),
          [d] "{r10}" (d),
          [e] "{r8}" (e),
          [f] "{r9}" (f),
        : "rcx", "r11", "memory"
    );
}

pub fn sys3(n: usize, a: usize, b: usize, c: usize) usize {
    return sys(n, a, b, c, 0, 0, 0);
}

/// errno of a raw syscall result, 0 on success.
pub fn errnoOf(r: usize) usize {
    return if (r > std.math.maxInt(usize) - 4095) 0 -% r else 0;
}

pub fn ptr(p: anytype) usize {
    return @intFromPtr(p);
}

/// open(2) flags as the raw syscall takes them (std's O is a packed struct).
fn oflags(comptime o: linux.O) usize {
    return @as(u32, @bitCast(o));
}

pub const AT_FDCWD: usize = @bitCast(@as(isize, linux.AT.FDCWD));
pub const O_RDONLY = oflags(.{});
pub const O_WRONLY = oflags(.{ .ACCMODE = .WRONLY });
pub const O_CREAT = oflags(.{ .CREAT = true });
pub const O_TRUNC = oflags(.{ .TRUNC = true });
pub const O_DIRECTORY = oflags(.{ .DIRECTORY = true });
pub const O_CLOEXEC = oflags(.{ .CLOEXEC = true });
pub const EINTR: usize = @intFromEnum(linux.E.INTR);

pub fn exit(code: usize) noreturn {
    _ = sys(nr(.exit_group), code, 0, 0, 0, 0, 0);
    unreachable;
}

pub fn sleepNs(ns: u64) void {
    var req = linux.timespec{ .sec = @intCast(ns / 1_000_000_000), .nsec = @intCast(ns % 1_000_000_000) };
    var rem: linux.timespec = undefined;
    while (errnoOf(sys3(nr(.nanosleep), ptr(&req), ptr(&rem), 0)) == EINTR) req = rem;
}

pub fn monoNs() u64 {
    var ts: linux.timespec = undefined;
    _ = sys3(nr(.clock_gettime), @intFromEnum(linux.CLOCK.MONOTONIC), ptr(&ts), 0);
    return @as(u64, @intCast(ts.sec)) * 1_000_000_000 + @as(u64, @intCast(ts.nsec));
}

pub fn openat(path: [*:0]const u8, flags: usize, mode: usize) usize {
    return sys(nr(.openat), AT_FDCWD, ptr(path), flags, mode, 0, 0);
}

pub fn close(fd: usize) void {
    _ = sys3(nr(.close), fd, 0, 0);
}

/// Whole files (mountinfo) and `cat`'s chunks.
pub var file_buf: [1 << 20]u8 = undefined;

/// Read a whole (small) file into buf; null if it cannot be opened or read.
pub fn readFile(path: [*:0]const u8, buf: []u8) ?[]u8 {
    const fd = openat(path, O_RDONLY | O_CLOEXEC, 0);
    if (errnoOf(fd) != 0) return null;
    defer close(fd);
    var n: usize = 0;
    while (n < buf.len) {
        const r = sys3(nr(.read), fd, ptr(buf.ptr) + n, buf.len - n);
        const e = errnoOf(r);
        if (e == EINTR) continue;
        if (e != 0) return null;
        if (r == 0) break;
        n += r;
    }
    return buf[0..n];
}
