//! A failed step of the plan as drun-init reports it: the errno (0 when there is none, e.g.
//! the runtime aborted) and what failed, which the runtime prints after the op's label.
const sys = @import("sys.zig");

pub const Fail = struct { errno: i32, detail: []const u8 };

/// The failure of a raw syscall result, or null when it succeeded.
pub fn chk(rc: usize, detail: []const u8) ?Fail {
    const e = sys.errnoOf(rc);
    if (e != 0) return .{ .errno = e, .detail = detail };
    return null;
}
