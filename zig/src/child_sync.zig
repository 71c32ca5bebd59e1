//! What the init says to the runtime and hears from it between the first op and READY: the GO
//! message and its payload, the pause for the runtime's hooks, the PID of the init forked into
//! new namespaces, and the hooks the init runs itself (in the container's namespaces).
const std = @import("std");
const sys = @import("sys.zig");
const plan = @import("plan.zig");
const fail = @import("fail.zig");
const linux = std.os.linux;
const Fail = fail.Fail;
const chk = fail.chk;
const sync = @import("sync.zig");
const process = @import("child_process.zig");

/// The seccomp agent's message (the container process state), from the GO payload.
pub var go_payload: []const u8 = "";
/// The container state JSON for hooks the init runs itself: [0] creating, [1] created.
var hook_state: [2][]const u8 = .{ "", "" };

/// WAIT_PARENT: waits for GO. Its payload (hook states, the seccomp agent's message: any
/// size) comes as a sealed memfd we map, never through a fixed buffer.
pub fn waitParent(sync_fd: usize) ?Fail {
    var m: sync.Msg = .{};
    var pfd: i32 = -1;
    const n = sys.recvWithFd(sync_fd, @ptrCast(&m), sync.MSG_SIZE, &pfd);
    if (chk(n, "recv from parent")) |f| return f;
    if (n < sync.MSG_SIZE) return .{ .errno = 0, .detail = "parent went away" };
    if (m.kind != sync.GO) return .{ .errno = 0, .detail = "parent aborted" };
    var body: []const u8 = "";
    if (pfd >= 0) {
        body = switch (sys.mapFd(@intCast(pfd))) {
            .ok => |b| b,
            .err => |e| return .{ .errno = e, .detail = "map the GO payload" },
        };
        sys.close(@intCast(pfd));
    }
    // Payload: the two hook states (lengths packed in value), then the seccomp state.
    const n1: usize = @intCast(@as(u64, @bitCast(m.value)) & 0xffffffff);
    const n2: usize = @intCast(@as(u64, @bitCast(m.value)) >> 32);
    if (n1 + n2 > body.len) return .{ .errno = sys.errno(.INVAL), .detail = "malformed GO payload" };
    hook_state[0] = body[0..n1];
    hook_state[1] = body[n1 .. n1 + n2];
    go_payload = body[n1 + n2 ..];
    return null;
}

/// SYNC_HOOKS: lets the runtime run prestart/createRuntime hooks, then waits for its GO.
pub fn syncHooks(sync_fd: usize) ?Fail {
    var m = sync.Msg{ .kind = sync.HOOKS };
    sync.send(sync_fd, &m);
    var reply: sync.Msg = .{};
    const n = sys.syscall6(.recvfrom, sync_fd, sys.ptr(&reply), sync.MSG_SIZE, 0, 0, 0);
    if (chk(n, "recv from parent")) |f| return f;
    if (n < sync.MSG_SIZE or reply.kind != sync.GO) return .{ .errno = 0, .detail = "runtime aborted after hooks" };
    return null;
}

/// FORK_PID: the init's new namespaces (num 0: CLONE_NEW* flags), and setns(CLONE_NEWPID),
/// which only moves our future children: fork one into them, as a sibling (CLONE_PARENT)
/// so the runtime can wait for it; we send its PID and exit, it goes on with the plan. A
/// fork, not an unshare: a new pid namespace needs a child to be its pid 1, and a user
/// namespace entered before our execve would have cost us every capability in it.
pub fn forkPid(op: plan.Op, sync_fd: usize) ?Fail {
    // Our pidfd, for the child to learn when we are gone: our PID message must reach
    // the runtime before anything the child sends (its own PID, if it forks again).
    const me = sys.syscall2(.pidfd_open, sys.syscall0(.getpid), 0);
    if (chk(me, "pidfd_open")) |f| return f;
    const pid = sys.syscall5(.clone, op.num(0) | linux.CLONE.PARENT | linux.SIG.CHLD, 0, 0, 0, 0);
    if (chk(pid, "clone")) |f| return f;
    if (pid != 0) {
        var m = sync.Msg{ .kind = sync.PID, .value = @intCast(pid) };
        sync.send(sync_fd, &m);
        sys.exit(0);
    }
    _ = sys.syscall2(.prctl, sys.pr(.SET_PDEATHSIG), linux.SIG.KILL);
    _ = sys.waitReadable(@intCast(me), -1);
    sys.close(me);
    return null;
}

/// Runs one hook in the container's namespaces: the state JSON on stdin (from a memfd),
/// `timeout` ms at most (0: no limit), and the hook's failure fails the step.
/// strs: path, argv..., env...; nums: argc, timeout ms, which state (0 creating, 1 created).
pub fn runHook(op: plan.Op) ?Fail {
    const argc: usize = @intCast(op.num(0));
    const state = hook_state[@intCast(op.num(2) & 1)];
    const mfd = sys.syscall2(.memfd_create, sys.ptr("drun-hook-state"), linux.MFD.CLOEXEC);
    if (chk(mfd, "memfd for hook state")) |f| return f;
    defer sys.close(mfd);
    if (chk(sys.syscall3(.write, mfd, sys.ptr(state.ptr), state.len), "write hook state")) |f| return f;
    if (chk(sys.syscall3(.lseek, mfd, 0, linux.SEEK.SET), "rewind hook state")) |f| return f;
    const v = process.vectors(op, 1, argc) orelse return .{ .errno = sys.errno(.NOMEM), .detail = "hook argv and envp" };
    const pid = sys.syscall5(.clone, linux.SIG.CHLD, 0, 0, 0, 0);
    if (chk(pid, "fork hook")) |f| return f;
    if (pid == 0) {
        _ = sys.syscall3(.dup3, mfd, 0, 0);
        _ = sys.syscall3(.execve, sys.ptr(op.str(0).p), sys.ptr(v.argv), sys.ptr(v.envp));
        sys.exit(127);
    }
    const timeout_ms = op.num(1);
    var waited_ms: u64 = 0;
    var status: u32 = 0;
    while (true) {
        const rc = sys.syscall4(.wait4, pid, sys.ptr(&status), linux.W.NOHANG, 0);
        if (sys.errnoOf(rc) == sys.errno(.INTR)) continue;
        if (chk(rc, "wait for hook")) |f| return f;
        if (rc != 0) break;
        if (timeout_ms != 0 and waited_ms >= timeout_ms) {
            _ = sys.syscall2(.kill, pid, linux.SIG.KILL);
            _ = sys.syscall4(.wait4, pid, 0, 0, 0);
            return .{ .errno = sys.errno(.TIMEDOUT), .detail = "hook timed out and was killed" };
        }
        const ts = linux.timespec{ .sec = 0, .nsec = 1_000_000 };
        _ = sys.syscall2(.nanosleep, sys.ptr(&ts), 0);
        waited_ms += 1;
    }
    if (status != 0) return .{ .errno = 0, .detail = "hook exited with a failure status" };
    return null;
}
