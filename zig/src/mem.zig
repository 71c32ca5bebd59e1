//! memcpy/memset for the code the compiler emits, built without compiler-rt so the object
//! stays small and resolves nothing from the host's libc. Hidden: never interposes on Deno's.
fn memcpyImpl(dst: ?[*]u8, src: ?[*]const u8, n: usize) callconv(.c) ?[*]u8 {
    var i: usize = 0;
    while (i < n) : (i += 1) dst.?[i] = src.?[i];
    return dst;
}

fn memsetImpl(dst: ?[*]u8, c: u8, n: usize) callconv(.c) ?[*]u8 {
    var i: usize = 0;
    while (i < n) : (i += 1) dst.?[i] = c;
    return dst;
}

comptime {
    @export(&memcpyImpl, .{ .name = "memcpy", .visibility = .hidden });
    @export(&memsetImpl, .{ .name = "memset", .visibility = .hidden });
}
