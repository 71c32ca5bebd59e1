//! drun-init: the container's init (and exec's joiner) before execve, as a static, libc-free
//! program of its own. libdrun starts it from a sealed memfd with a vfork-style clone and
//! execveat, so no process the container can see is ever a copy of the runtime: its
//! /proc/<pid>/exe is this sealed file, its memory holds nothing but the plan.
//!
//! argv: drun-init <plan fd> <sync fd>. The plan fd is a memfd holding the encoded plan
//! (lib/plan/encode.ts); the sync socket is the runtime's SOCK_SEQPACKET (lib/launch.ts).
const std = @import("std");
const sys = @import("sys.zig");
const sync = @import("sync.zig");
const child = @import("child.zig");
comptime {
    _ = @import("mem.zig");
}

// Every safety check becomes a trap: there is nobody to print a panic to.
pub const panic = std.debug.no_panic;

// No std start code: it would touch signal dispositions and TLS that the plan owns.
pub export fn _start() callconv(.naked) noreturn {
    asm volatile (
        \\ xorl %%ebp, %%ebp
        \\ movq %%rsp, %%rdi
        \\ andq $-16, %%rsp
        \\ callq %[entry:P]
        :
        : [entry] "X" (&entry),
    );
}

fn parseFd(s: [*:0]const u8) ?usize {
    var n: usize = 0;
    var i: usize = 0;
    while (s[i] != 0) : (i += 1) {
        if (s[i] < '0' or s[i] > '9' or i > 9) return null;
        n = n * 10 + (s[i] - '0');
    }
    return if (i == 0) null else n;
}

fn entry(sp: [*]usize) callconv(.c) noreturn {
    const argc = sp[0];
    const argv: [*][*:0]const u8 = @ptrCast(sp + 1);
    if (argc != 3) sys.exit(125);
    const plan_fd = parseFd(argv[1]) orelse sys.exit(125);
    const sync_fd = parseFd(argv[2]) orelse sys.exit(125);
    // Close-on-exec again: it crossed our own execve, it must not reach the container's.
    _ = sys.syscall3(.fcntl, sync_fd, std.os.linux.F.SETFD, std.os.linux.FD_CLOEXEC);
    // The plan is mapped, not copied into a fixed buffer: any size the runtime built fits.
    const bytes = switch (sys.mapFd(plan_fd)) {
        .ok => |b| b,
        .err => |e| fail(sync_fd, e, "map the plan"),
    };
    sys.close(plan_fd);
    child.run(bytes.ptr, bytes.len, sync_fd);
}

fn fail(sync_fd: usize, errno: i32, detail: []const u8) noreturn {
    // Step "none": no op of the plan ran yet (lib/launch.ts names it the init's start).
    sync.sendError(sync_fd, std.math.maxInt(u32), errno, detail);
    sys.exit(1);
}
