//! The seccomp listener handoff that cannot deadlock (see docs/seccomp.md).
//!
//! The filtered process may not make any syscall that the profile could notify before the
//! agent holds the listener fd. So an unfiltered helper, cloned with CLONE_FILES before the
//! filter exists, shares the fd table and does the sending; the filtered process only stores
//! the new fd number into a MAP_SHARED word, which is a plain memory write. The same helper,
//! with or without a listener, then carries READY or the init's error to the runtime, so
//! nothing after the filter needs a syscall the profile could deny or notify except the
//! exec fifo and execve themselves.
const std = @import("std");
const sys = @import("sys.zig");
const sync = @import("sync.zig");
const linux = std.os.linux;
const Fail = @import("fail.zig").Fail;


const SEND_STEP = "send seccomp listener to listenerPath";

const SockFprog = extern struct { len: u16, _pad: [6]u8 = [_]u8{0} ** 6, filter: usize };

/// The page shared with the helper. `closed` is set once the helper has closed the socket and
/// the listener fd in the (shared) fd table, so the filtered process must not close them again.
/// `report` is how the filtered process speaks once filtered: it stores READY (1) or an error
/// (2, with step/errno/detail) here with plain memory writes, and the unfiltered helper sends
/// it on the sync socket, so no syscall the profile could deny or notify carries it.
const Shared = extern struct {
    fd: i32,
    closed: i32,
    t_installed: i64,
    t_sent: i64,
    result: i32,
    report: i32,
    step: u32,
    errno: i32,
    detail: [200]u8,
};

const REPORT_NONE: i32 = 0;
const REPORT_READY: i32 = 1;
const REPORT_ERROR: i32 = 2;
const REPORT_SENT: i32 = 3;
const NO_SOCK = std.math.maxInt(usize);

/// The helper of the installed filter, while it reports for us (see `report`).
var reporter: ?*volatile Shared = null;
var reporter_pid: usize = 0;

fn nowNs() i64 {
    var ts: std.os.linux.timespec = undefined;
    _ = sys.syscall2(.clock_gettime, @intFromEnum(linux.CLOCK.MONOTONIC), sys.ptr(&ts));
    return @as(i64, ts.sec) * 1_000_000_000 + ts.nsec;
}

/// Installs the filter (with NEW_LISTENER when `sock` is a socket, handing the listener to
/// the agent behind it with `payload`, the container process state, as the message).
///
/// Either way an unfiltered helper, cloned with CLONE_FILES before the filter exists, stays
/// until the plan reports READY or an error (`reportReady`, `reportError`) and sends that on
/// the sync socket: once filtered, the init itself may be unable to (a profile may deny
/// sendto, or notify it to an agent that never answers).
pub fn install(prog: []const u8, flags: u64, sock: usize, payload: []const u8, timeout_ms: u64, sync_fd: usize, step: u32) ?Fail {
    const listener = sock != NO_SOCK;
    const memfd = sys.syscall2(.memfd_create, sys.ptr("drun-handoff"), linux.MFD.CLOEXEC); // MFD_*, not O_* flags
    if (sys.errnoOf(memfd) != 0) return .{ .errno = sys.errnoOf(memfd), .detail = "memfd_create" };
    const rc = sys.syscall2(.ftruncate, memfd, 4096);
    if (sys.errnoOf(rc) != 0) return .{ .errno = sys.errnoOf(rc), .detail = "ftruncate(memfd)" };
    const addr = sys.syscall6(.mmap, 0, 4096, linux.PROT.READ | linux.PROT.WRITE, sys.mapFlags(.{ .TYPE = .SHARED }), memfd, 0);
    if (sys.errnoOf(addr) != 0) return .{ .errno = sys.errnoOf(addr), .detail = "mmap(memfd)" };
    sys.close(memfd);
    const shared: *volatile Shared = @ptrFromInt(addr);
    shared.fd = -1;
    shared.closed = 0;
    shared.result = -1;
    shared.report = REPORT_NONE;

    // fork-style clone (no new stack): the helper runs on a copy-on-write copy of this stack.
    const pid = sys.syscall5(.clone, linux.CLONE.FILES | linux.SIG.CHLD, 0, 0, 0, 0);
    if (sys.errnoOf(pid) != 0) return .{ .errno = sys.errnoOf(pid), .detail = "clone(seccomp helper)" };
    if (pid == 0) helper(shared, sock, payload, timeout_ms, sync_fd, step);

    const fprog = SockFprog{ .len = @intCast(prog.len / 8), .filter = @intFromPtr(prog.ptr) };
    const extra: u64 = if (listener) linux.SECCOMP.FILTER_FLAG.NEW_LISTENER else 0;
    const lrc = sys.syscall3(.seccomp, linux.SECCOMP.SET_MODE_FILTER, flags | extra, sys.ptr(&fprog));
    const le = sys.errnoOf(lrc);
    if (le != 0) {
        // Unfiltered still: tell the helper to give up, then reap it.
        @atomicStore(i32, &shared.fd, -2, .release);
        _ = sys.syscall4(.wait4, pid, 0, 0, 0);
        return .{ .errno = le, .detail = if (listener) "seccomp(SET_MODE_FILTER|NEW_LISTENER)" else "seccomp(SET_MODE_FILTER)" };
    }
    // From here on every syscall may be denied or notified: only plain stores. The install
    // time is read by the helper's clock, since we may not call clock_gettime here.
    @atomicStore(i32, &shared.fd, if (listener) @intCast(lrc) else -3, .release);
    reporter = shared;
    reporter_pid = pid;
    return null;
}

/// Whether a helper reports for us (a filter is installed).
pub fn reporting() bool {
    return reporter != null;
}

/// READY, through the helper: a store, a spin until it has sent it, then reap it. The wait4
/// is the first syscall after the filter that is ours (with the exec fifo and execve);
/// by now any agent holds the listener and has read the state, so a notified wait4 can be
/// answered (and a denied one only leaves a zombie behind).
pub fn reportReady() void {
    const shared = reporter orelse return;
    @atomicStore(i32, &shared.report, REPORT_READY, .release);
    spinUntil(reportSent, shared);
    _ = sys.syscall4(.wait4, reporter_pid, 0, 0, 0);
    reporter = null;
}

/// An error after the filter, through the helper; waits for it to send before we exit.
pub fn reportError(step: u32, errno: i32, detail: []const u8) void {
    const shared = reporter orelse return;
    shared.step = step;
    shared.errno = errno;
    const n = @min(detail.len, shared.detail.len - 1);
    var i: usize = 0;
    while (i < n) : (i += 1) shared.detail[i] = detail[i];
    shared.detail[n] = 0;
    @atomicStore(i32, &shared.report, REPORT_ERROR, .release);
    // Only memory until the helper has sent it: we exit next, which needs no reaping.
    spinUntil(reportSent, shared);
    reporter = null;
}

/// For the filtered process: spins without a single syscall (any may be denied or notified)
/// until the helper has done its part. The helper's own deadlines bound it (and the
/// runtime's timeout kills us if the helper died).
fn spinUntil(comptime get: fn (*volatile Shared) bool, shared: *volatile Shared) void {
    while (!get(shared)) std.atomic.spinLoopHint();
}

/// Spins, then sleeps in short steps, until `get` is true or `deadline` passes (0: never).
fn waitUntil(comptime get: fn (*volatile Shared) bool, shared: *volatile Shared, deadline: i64) bool {
    var spins: u32 = 0;
    while (!get(shared)) {
        spins += 1;
        if (spins < 20000) {
            std.atomic.spinLoopHint();
            continue;
        }
        if (deadline != 0 and nowNs() > deadline) return false;
        const ts = std.os.linux.timespec{ .sec = 0, .nsec = 20_000 };
        _ = sys.syscall2(.nanosleep, sys.ptr(&ts), 0);
    }
    return true;
}

fn fdStored(sh: *volatile Shared) bool {
    return @atomicLoad(i32, &sh.fd, .acquire) != -1;
}

fn reported(sh: *volatile Shared) bool {
    return @atomicLoad(i32, &sh.report, .acquire) != REPORT_NONE;
}

fn reportSent(sh: *volatile Shared) bool {
    return @atomicLoad(i32, &sh.report, .acquire) == REPORT_SENT;
}

fn helper(shared: *volatile Shared, sock: usize, payload: []const u8, timeout_ms: u64, sync_fd: usize, step: u32) noreturn {
    _ = sys.syscall2(.prctl, sys.pr(.SET_PDEATHSIG), linux.SIG.KILL);
    const start = nowNs();
    const deadline = start + @as(i64, @intCast(timeout_ms)) * 1_000_000;
    // Spin briefly: the store normally follows within microseconds, and a sleep would add
    // at least a scheduler tick to every container start. Then back off to short sleeps.
    if (!waitUntil(fdStored, shared, deadline)) {
        shared.result = sys.errno(.TIMEDOUT);
        sys.exit(1);
    }
    shared.t_installed = nowNs();
    const fd = @atomicLoad(i32, &shared.fd, .acquire);
    if (fd == -2) sys.exit(2); // the install failed: the filtered process reports it
    if (fd >= 0) {
        const e = sendListener(shared, sock, @intCast(fd), payload, timeout_ms, deadline);
        shared.result = e.errno;
        if (e.errno != 0) {
            // The filtered process may be stuck in a notified syscall nobody will answer:
            // report from here, unfiltered, and let the parent kill it.
            sync.sendError(sync_fd, step, e.errno, e.what);
            sys.exit(1);
        }
        var m = sync.Msg{ .kind = sync.TIMING, .value = shared.t_sent - shared.t_installed };
        sync.send(sync_fd, &m);
    } else shared.result = 0;
    // Then speak for the filtered process until it is ready or fails (no deadline: the
    // runtime's own timeout kills the init, and PDEATHSIG us with it).
    _ = waitUntil(reported, shared, 0);
    if (@atomicLoad(i32, &shared.report, .acquire) == REPORT_READY) {
        var m = sync.Msg{ .kind = sync.READY };
        sync.send(sync_fd, &m);
    } else {
        var len: usize = 0;
        while (len < shared.detail.len and shared.detail[len] != 0) len += 1;
        var buf: [200]u8 = undefined;
        var i: usize = 0;
        while (i < len) : (i += 1) buf[i] = shared.detail[i];
        sync.sendError(sync_fd, shared.step, shared.errno, buf[0..len]);
    }
    @atomicStore(i32, &shared.report, REPORT_SENT, .release);
    sys.exit(0);
}

const SendFailure = struct { errno: i32, what: []const u8 };

/// Sends the listener with the state, then waits until the agent has read all of it (the
/// socket's unread bytes, SIOCOUTQ, drop to 0), both within the deadline: an agent that
/// accepted but never reads must fail `create` in seconds, naming what it did not do.
fn sendListener(shared: *volatile Shared, sock: usize, fd: usize, payload: []const u8, timeout_ms: u64, deadline: i64) SendFailure {
    // Bound the send too: an agent that accepted but stopped reading must not hang create.
    const tv = [2]i64{ @intCast(timeout_ms / 1000), @intCast((timeout_ms % 1000) * 1000) };
    _ = sys.syscall5(.setsockopt, sock, linux.SOL.SOCKET, linux.SO.SNDTIMEO, sys.ptr(&tv), @sizeOf(@TypeOf(tv)));
    // The fd rides with the first bytes; a state larger than the socket buffer follows in
    // further writes (the agent reads to the end of the JSON document).
    var rc = sys.sendWithFd(sock, payload.ptr, payload.len, @intCast(fd));
    while (sys.errnoOf(rc) == sys.errno(.INTR)) rc = sys.sendWithFd(sock, payload.ptr, payload.len, @intCast(fd));
    var e = sys.errnoOf(rc);
    var sent: usize = if (e == 0) rc else 0;
    while (e == 0 and sent < payload.len) {
        const n = sys.syscall6(.sendto, sock, sys.ptr(payload.ptr + sent), payload.len - sent, linux.MSG.NOSIGNAL, 0, 0);
        e = sys.errnoOf(n);
        if (e == sys.errno(.INTR)) {
            e = 0;
            continue;
        }
        if (e == 0) sent += n;
    }
    shared.t_sent = nowNs();
    if (e != 0) return .{ .errno = e, .what = if (e == sys.errno(.AGAIN)) "the seccomp agent stopped reading the container state (listenerPath)" else SEND_STEP };
    while (true) {
        var unread: i32 = 0;
        const q = sys.syscall3(.ioctl, sock, linux.SIOCOUTQ, sys.ptr(&unread));
        if (sys.errnoOf(q) != 0 or unread == 0) break;
        if (nowNs() > deadline) return .{ .errno = sys.errno(.TIMEDOUT), .what = "the seccomp agent did not read the container state (listenerPath)" };
        const ts = std.os.linux.timespec{ .sec = 0, .nsec = 100_000 };
        _ = sys.syscall2(.nanosleep, sys.ptr(&ts), 0);
    }
    // Close both here, in the fd table we share with the filtered process, and not there:
    // the agent sees EOF at once and holds the only listener, without waiting on any
    // syscall of the filtered process (which the agent itself may have to answer first).
    sys.close(sock);
    sys.close(fd);
    @atomicStore(i32, &shared.closed, 1, .release);
    return .{ .errno = 0, .what = "" };
}
