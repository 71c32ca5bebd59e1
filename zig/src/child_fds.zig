//! The init's fds between ops: the slots that keep an fd from one op to a later one (the exec
//! fifo, a mount to change after the fact), the exec fifo itself, the terminal, and closing
//! what the runtime's process left open before the container's process inherits it.
const std = @import("std");
const sys = @import("sys.zig");
const plan = @import("plan.zig");
const fail = @import("fail.zig");
const linux = std.os.linux;
const Fail = fail.Fail;
const chk = fail.chk;
const sync = @import("sync.zig");

/// Fds kept from one op for a later one, by the slot number the plan gives (0: empty).
var slots: [8]usize = [_]usize{0} ** 8;
var path_a: [32]u8 = undefined;

/// Keeps `fd` in `slot` for a later op.
pub fn keep(slot: u64, fd: usize) void {
    slots[@intCast(slot & 7)] = fd;
}

/// The fd kept in `slot`, now the caller's (0 when there is none).
pub fn take(slot: u64) usize {
    const i: usize = @intCast(slot & 7);
    const fd = slots[i];
    slots[i] = 0;
    return fd;
}

/// OPEN_SLOT: opens str 0 with flags num 1 and keeps the fd in slot num 0.
pub fn openSlot(op: plan.Op) ?Fail {
    const fd = sys.syscall4(.openat, sys.AT_FDCWD, sys.ptr(op.str(0).p), op.num(1), 0);
    if (chk(fd, "open")) |f| return f;
    keep(op.num(0), fd);
    return null;
}

/// FIFO_WAIT: opens the exec fifo kept in slot num 0 for writing, which blocks until `start`.
/// Reopened through /proc: the fifo's path is outside the container after pivot_root.
/// The open is what `start` waits for (it returns once start opens the other end);
/// the byte only says so early. A profile may deny write or close: both are best
/// effort, and both fds are close-on-exec anyway (start also takes the fifo's
/// hang-up at our execve as the release).
pub fn fifoWait(op: plan.Op) ?Fail {
    const fd = sys.syscall4(.openat, sys.AT_FDCWD, sys.ptr(sys.fdPath(&path_a, slots[@intCast(op.num(0) & 7)])), sys.O_WRONLY | sys.O_CLOEXEC, 0);
    if (chk(fd, "open exec fifo")) |f| return f;
    _ = sys.syscall3(.write, fd, sys.ptr("0"), 1);
    return null;
}

/// Creates the container's terminal: a pty from the container's devpts, the master sent to
/// the runtime (which hands it to --console-socket or proxies it), the slave made our
/// controlling terminal and stdio. nums: rows, cols (0 = leave the size alone).
pub fn setupConsole(op: plan.Op, sync_fd: usize) ?Fail {
    const master = sys.syscall4(.openat, sys.AT_FDCWD, sys.ptr("/dev/ptmx"), sys.O_RDWR | sys.O_NOCTTY | sys.O_CLOEXEC, 0);
    if (chk(master, "open /dev/ptmx")) |f| return f;
    var unlock: i32 = 0;
    if (chk(sys.syscall3(.ioctl, master, linux.T.IOCSPTLCK, sys.ptr(&unlock)), "unlock pty")) |f| return f;
    // TIOCGPTPEER opens the slave through the master's own devpts, whatever /dev/pts holds.
    const slave = sys.syscall3(.ioctl, master, linux.T.IOCGPTPEER, sys.O_RDWR | sys.O_NOCTTY);
    if (chk(slave, "open pty slave")) |f| return f;
    if (op.num(0) != 0 or op.num(1) != 0) {
        const ws = [4]u16{ @truncate(op.num(0)), @truncate(op.num(1)), 0, 0 };
        if (chk(sys.syscall3(.ioctl, slave, linux.T.IOCSWINSZ, sys.ptr(&ws)), "set console size")) |f| return f;
    }
    // Hand the master over with SCM_RIGHTS on the sync socket.
    var m = sync.Msg{ .kind = sync.CONSOLE };
    if (chk(sys.sendWithFd(sync_fd, @ptrCast(&m), sync.MSG_SIZE, @intCast(master)), "send pty master")) |f| return f;
    sys.close(master);
    if (chk(sys.syscall3(.ioctl, slave, linux.T.IOCSCTTY, 0), "make the pty the controlling terminal")) |f| return f;
    var fd: usize = 0;
    while (fd < 3) : (fd += 1) {
        if (chk(sys.syscall3(.dup3, slave, fd, 0), "dup pty to stdio")) |f| return f;
    }
    if (slave > 2) sys.close(slave);
    return null;
}

/// Closes every fd from num(0) up, except the ones still needed before execve: the sync
/// socket, the open slots (exec fifo) and num(1..) (the seccomp listener socket). Closing
/// rather than marking close-on-exec matters for `create`: the init then waits for `start`
/// and must not hold the runtime's copies of pipes (an engine reading create's output to
/// EOF would wait forever).
pub fn closeFds(op: plan.Op, sync_fd: usize) ?Fail {
    var kept: [16]usize = undefined;
    var n: usize = 0;
    kept[n] = sync_fd;
    n += 1;
    for (slots) |fd| {
        if (fd != 0 and n < kept.len) {
            kept[n] = fd;
            n += 1;
        }
    }
    var k: usize = 1;
    while (k < op.nnum and n < kept.len) : (k += 1) {
        kept[n] = @intCast(op.num(k));
        n += 1;
    }
    std.mem.sort(usize, kept[0..n], {}, std.sort.asc(usize));
    var from: usize = @intCast(op.num(0));
    for (kept[0..n]) |fd| {
        if (fd < from) continue;
        if (fd > from) {
            if (chk(sys.syscall3(.close_range, from, fd - 1, 0), "close inherited fds")) |f| return f;
        }
        from = fd + 1;
    }
    return chk(sys.syscall3(.close_range, from, std.math.maxInt(u32), 0), "close inherited fds");
}
