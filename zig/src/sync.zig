//! Messages on the SOCK_SEQPACKET sync socket between the parent (Deno) and the child.
//! One message per packet, so neither side needs framing or buffering. The conversation in
//! order (who sends what, and when) is drawn at the top of lib/runtime/steps.ts.
const std = @import("std");
const sys = @import("sys.zig");

pub const READY: u32 = 1;
pub const ERROR: u32 = 2;
pub const GO: u32 = 16;
pub const TIMING: u32 = 3;
pub const PID: u32 = 4;
pub const HOOKS: u32 = 5;
pub const CONSOLE: u32 = 6;

pub const Msg = extern struct {
    kind: u32 = 0,
    step: u32 = 0,
    errno: i32 = 0,
    _pad: u32 = 0,
    value: i64 = 0,
    detail: [232]u8 = [_]u8{0} ** 232,
};

pub const MSG_SIZE = @sizeOf(Msg);

pub fn send(fd: usize, m: *const Msg) void {
    _ = sys.syscall6(.sendto, fd, sys.ptr(m), MSG_SIZE, std.os.linux.MSG.NOSIGNAL, 0, 0);
}

pub fn sendError(fd: usize, step: u32, errno: i32, detail: []const u8) void {
    var m = Msg{ .kind = ERROR, .step = step, .errno = errno };
    const n = @min(detail.len, m.detail.len - 1);
    @memcpy(m.detail[0..n], detail[0..n]);
    send(fd, &m);
}
