//! The seccomp listener handoff that cannot deadlock (see docs/seccomp.md).
//!
//! The filtered process may not make any syscall that the profile could notify before the
//! agent holds the listener fd. So an unfiltered helper, cloned with CLONE_FILES before the
//! filter exists, shares the fd table and does the sending; the filtered process only stores
//! the new fd number into a MAP_SHARED word, which is a plain memory write.
const std = @import("std");
const sys = @import("sys.zig");
const sync = @import("sync.zig");

pub const Failure = struct { step: []const u8, errno: i32 };

const SECCOMP_SET_MODE_FILTER: usize = 1;
const SECCOMP_FILTER_FLAG_NEW_LISTENER: usize = 8;
const PROT_RW: usize = 3;
const MAP_SHARED: usize = 1;
const MFD_CLOEXEC: usize = 1; // memfd_create takes MFD_*, not O_* flags
const SEND_STEP = "send seccomp listener to listenerPath";

const SockFprog = extern struct { len: u16, _pad: [6]u8 = [_]u8{0} ** 6, filter: usize };

/// Nanoseconds between the filter's install and the helper's sendmsg returning, for the
/// benchmark; written by the helper into the shared page next to the fd word.
pub var last_latency_ns: i64 = -1;

/// The page shared with the helper. `closed` is set once the helper has closed the socket and
/// the listener fd in the (shared) fd table, so the filtered process must not close them again.
const Shared = extern struct { fd: i32, closed: i32, t_installed: i64, t_sent: i64, result: i32 };

fn nowNs() i64 {
    var ts: std.os.linux.timespec = undefined;
    _ = sys.syscall2(.clock_gettime, 1, sys.ptr(&ts));
    return @as(i64, ts.sec) * 1_000_000_000 + ts.nsec;
}

/// Installs the filter without a listener.
pub fn installPlain(prog: []const u8, flags: u64) ?Failure {
    const fprog = SockFprog{ .len = @intCast(prog.len / 8), .filter = @intFromPtr(prog.ptr) };
    const rc = sys.syscall3(.seccomp, SECCOMP_SET_MODE_FILTER, flags, sys.ptr(&fprog));
    const e = sys.errnoOf(rc);
    if (e != 0) return .{ .step = "seccomp(SET_MODE_FILTER)", .errno = e };
    return null;
}

/// Installs the filter with NEW_LISTENER and hands the listener to the agent behind `sock`
/// with `payload` (the container process state) as the message body.
/// `sync_fd` and `step` let the helper report a failed send itself: once the filter is in,
/// the filtered process may be unable to (its syscalls wait for an agent that never came).
pub fn installWithListener(prog: []const u8, flags: u64, sock: usize, payload: []const u8, timeout_ms: u64, sync_fd: usize, step: u32) ?Failure {
    const memfd = sys.syscall2(.memfd_create, sys.ptr("drun-handoff"), MFD_CLOEXEC);
    if (sys.errnoOf(memfd) != 0) return .{ .step = "memfd_create", .errno = sys.errnoOf(memfd) };
    var rc = sys.syscall2(.ftruncate, memfd, 4096);
    if (sys.errnoOf(rc) != 0) return .{ .step = "ftruncate(memfd)", .errno = sys.errnoOf(rc) };
    const addr = sys.syscall6(.mmap, 0, 4096, PROT_RW, MAP_SHARED, memfd, 0);
    if (sys.errnoOf(addr) != 0) return .{ .step = "mmap(memfd)", .errno = sys.errnoOf(addr) };
    sys.close(memfd);
    const shared: *volatile Shared = @ptrFromInt(addr);
    shared.fd = -1;
    shared.closed = 0;
    shared.result = -1;

    // fork-style clone (no new stack): the helper runs on a copy-on-write copy of this stack.
    const pid = sys.syscall5(.clone, sys.CLONE_FILES | sys.SIGCHLD, 0, 0, 0, 0);
    if (sys.errnoOf(pid) != 0) return .{ .step = "clone(handoff helper)", .errno = sys.errnoOf(pid) };
    if (pid == 0) helper(shared, sock, payload, timeout_ms, sync_fd, step);

    const fprog = SockFprog{ .len = @intCast(prog.len / 8), .filter = @intFromPtr(prog.ptr) };
    const lrc = sys.syscall3(.seccomp, SECCOMP_SET_MODE_FILTER, flags | SECCOMP_FILTER_FLAG_NEW_LISTENER, sys.ptr(&fprog));
    const le = sys.errnoOf(lrc);
    if (le != 0) {
        // Unfiltered still: tell the helper to give up, then reap it.
        @atomicStore(i32, &shared.fd, -2, .release);
        _ = sys.syscall4(.wait4, pid, 0, 0, 0);
        return .{ .step = "seccomp(SET_MODE_FILTER|NEW_LISTENER)", .errno = le };
    }
    // From here on every syscall may be notified: only a plain store until the helper is done.
    // The install time is read by the helper's clock, since we may not call clock_gettime here.
    @atomicStore(i32, &shared.fd, @intCast(lrc), .release);

    // The helper has sent the fd and closed both fds before it exits, so the agent has seen EOF
    // and holds the only listener: this wait4 (and anything after it) can be answered. If the
    // send failed, the helper has already reported it and the parent kills us; this wait4 may
    // then never return, which is fine.
    var status: u32 = 0;
    rc = sys.syscall4(.wait4, pid, sys.ptr(&status), 0, 0);
    if (@atomicLoad(i32, &shared.closed, .acquire) == 0) {
        sys.close(lrc);
        sys.close(sock);
    }
    last_latency_ns = shared.t_sent - shared.t_installed;
    if (shared.result != 0) {
        const e: i32 = if (shared.result > 0) shared.result else 110; // ETIMEDOUT
        return .{ .step = SEND_STEP, .errno = e };
    }
    return null;
}

fn helper(shared: *volatile Shared, sock: usize, payload: []const u8, timeout_ms: u64, sync_fd: usize, step: u32) noreturn {
    _ = sys.syscall2(.prctl, sys.PR_SET_PDEATHSIG, sys.SIGKILL);
    // Bound the send too: an agent that accepted but stopped reading must not hang create.
    const tv = [2]i64{ @intCast(timeout_ms / 1000), @intCast((timeout_ms % 1000) * 1000) };
    _ = sys.syscall5(.setsockopt, sock, 1, 21, sys.ptr(&tv), @sizeOf(@TypeOf(tv))); // SOL_SOCKET, SO_SNDTIMEO
    const start = nowNs();
    const deadline = start + @as(i64, @intCast(timeout_ms)) * 1_000_000;
    // Spin briefly: the store normally follows within microseconds, and a sleep would add
    // at least a scheduler tick to every container start. Then back off to short sleeps.
    var spins: u32 = 0;
    var fd: i32 = -1;
    while (true) {
        fd = @atomicLoad(i32, &shared.fd, .acquire);
        if (fd != -1) break;
        spins += 1;
        if (spins < 20000) {
            std.atomic.spinLoopHint();
            continue;
        }
        if (nowNs() > deadline) {
            shared.result = 110;
            sys.exit(1);
        }
        const ts = std.os.linux.timespec{ .sec = 0, .nsec = 20_000 };
        _ = sys.syscall2(.nanosleep, sys.ptr(&ts), 0);
    }
    shared.t_installed = nowNs();
    if (fd < 0) sys.exit(2);

    // The fd rides with the first bytes; a state larger than the socket buffer follows in
    // further writes (the agent reads to the end of the JSON document).
    var rc = sys.sendWithFd(sock, payload.ptr, payload.len, fd);
    while (sys.errnoOf(rc) == 4) rc = sys.sendWithFd(sock, payload.ptr, payload.len, fd);
    var e = sys.errnoOf(rc);
    var sent: usize = if (e == 0) rc else 0;
    while (e == 0 and sent < payload.len) {
        const n = sys.syscall6(.sendto, sock, sys.ptr(payload.ptr + sent), payload.len - sent, 0x4000, 0, 0);
        e = sys.errnoOf(n);
        if (e == 4) {
            e = 0;
            continue;
        }
        if (e == 0) sent += n;
    }
    shared.t_sent = nowNs();
    if (e == 0) {
        // Close both here, in the fd table we share with the filtered process, and not there:
        // the agent sees EOF at once and holds the only listener, without waiting on any
        // syscall of the filtered process (which the agent itself may have to answer first).
        sys.close(sock);
        sys.close(@intCast(fd));
        @atomicStore(i32, &shared.closed, 1, .release);
    }
    shared.result = e;
    if (e != 0) {
        // The filtered process may be stuck in a notified syscall nobody will answer: report
        // from here, unfiltered, and let the parent kill it.
        sync.sendError(sync_fd, step, e, SEND_STEP);
    }
    sys.exit(if (e == 0) 0 else 1);
}
