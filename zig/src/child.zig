//! The container's init before execve: walks the plan the TypeScript side built, one op per
//! step, and reports the first failure as (step, errno, detail) on the sync socket.
//! Runs in drun-init (init.zig), a static program of its own: only raw syscalls, no
//! allocator, and no return: every path ends in execve or exit.
//!
//! This file is the op table (`Kind`, the numbers lib/plan/encode.ts writes) and the
//! dispatch; the ops themselves live by concern: child_mount.zig (mounts, masks, devices),
//! child_paths.zig (resolving below the rootfs), child_process.zig (limits, capabilities,
//! exec), child_fds.zig (kept fds, the exec fifo, the terminal) and child_sync.zig (talking
//! to the runtime, hooks).
const std = @import("std");
const sys = @import("sys.zig");
const plan = @import("plan.zig");
const sync = @import("sync.zig");
const handoff = @import("handoff.zig");
const idmap = @import("idmap.zig");
const fail = @import("fail.zig");
const mount = @import("child_mount.zig");
const process = @import("child_process.zig");
const fds = @import("child_fds.zig");
const talk = @import("child_sync.zig");
const linux = std.os.linux;
const Fail = fail.Fail;
const chk = fail.chk;

pub const Kind = enum(u16) {
    wait_parent = 1,
    setns = 2,
    unshare = 3,
    write_file = 4,
    setresuid = 5,
    setresgid = 6,
    setgroups = 7,
    open_root = 8,
    mount_in_root = 9,
    pivot = 10,
    move_root = 11,
    mount = 12,
    mknod = 13,
    symlink = 14,
    sethostname = 15,
    setdomainname = 16,
    rlimit = 17,
    chdir = 18,
    umask = 19,
    caps_bounding = 20,
    prctl = 21,
    capset = 22,
    caps_ambient = 23,
    seccomp = 24,
    ready = 25,
    open_slot = 26,
    fifo_wait = 27,
    resolve_exec = 28,
    exec = 29,
    signals_reset = 30,
    close_fds = 31,
    lo_up = 32,
    setsid = 33,
    personality = 34,
    mask_path = 35,
    fork_pid = 36,
    sync_hooks = 37,
    run_hook = 38,
    console = 39,
    keyring = 40,
    ioprio = 41,
    sched = 42,
    setattr_slot = 43,
    idmap_tree = 44,
    mount_tree = 45,
    affinity = 46,
    chroot = 47,
    _,
};

pub fn run(base: [*]const u8, len: usize, sync_fd: usize) noreturn {
    var it = plan.Iter{ .base = base, .len = len };
    var step: u32 = 0;
    while (it.next()) |op| : (step += 1) {
        if (exec1(op, sync_fd, step)) |f| {
            // Once filtered, the helper carries the error (our own sendto may be denied).
            if (handoff.reporting()) handoff.reportError(step, f.errno, f.detail) else sync.sendError(sync_fd, step, f.errno, f.detail);
            sys.exit(1);
        }
    }
    sync.sendError(sync_fd, step, 0, "plan ended without exec");
    sys.exit(1);
}

fn exec1(op: plan.Op, sync_fd: usize, step: u32) ?Fail {
    const kind: Kind = @enumFromInt(op.kind);
    switch (kind) {
        .wait_parent => return talk.waitParent(sync_fd),
        .setns => {
            const fd = sys.syscall4(.openat, sys.AT_FDCWD, sys.ptr(op.str(0).p), sys.O_RDONLY | sys.O_CLOEXEC, 0);
            if (chk(fd, "open namespace path")) |f| return f;
            const rc = sys.syscall2(.setns, fd, op.num(0));
            sys.close(fd);
            return chk(rc, "setns");
        },
        .unshare => return chk(sys.syscall1(.unshare, op.num(0)), "unshare"),
        .write_file => {
            const fd = sys.syscall4(.openat, sys.AT_FDCWD, sys.ptr(op.str(0).p), sys.O_WRONLY | sys.O_CLOEXEC | sys.O_TRUNC, 0);
            if (chk(fd, "open")) |f| return f;
            const s = op.str(1);
            const rc = sys.syscall3(.write, fd, sys.ptr(s.p), s.len);
            sys.close(fd);
            return chk(rc, "write");
        },
        .setresuid => return chk(sys.syscall3(.setresuid, op.num(0), op.num(1), op.num(2)), "setresuid"),
        .setresgid => return chk(sys.syscall3(.setresgid, op.num(0), op.num(1), op.num(2)), "setresgid"),
        .setgroups => {
            const s = op.str(0);
            return chk(sys.syscall2(.setgroups, s.len / 4, sys.ptr(s.p)), "setgroups");
        },
        .open_root => return mount.openRoot(op),
        .mount_in_root => return mount.mountInRoot(op),
        .pivot => return mount.pivot(),
        .move_root => return mount.moveRoot(),
        .chroot => return mount.chroot(),
        .mount => return mount.mount(op),
        .mknod => return mount.mknod(op),
        .symlink => return mount.symlink(op),
        .sethostname => {
            const s = op.str(0);
            return chk(sys.syscall2(.sethostname, sys.ptr(s.p), s.len), "sethostname");
        },
        .setdomainname => {
            const s = op.str(0);
            return chk(sys.syscall2(.setdomainname, sys.ptr(s.p), s.len), "setdomainname");
        },
        .rlimit => return process.rlimit(op),
        .chdir => return process.chdir(op),
        .umask => _ = sys.syscall1(.umask, op.num(0)),
        .caps_bounding => return process.capsBounding(op),
        .prctl => {
            const rc = sys.syscall5(.prctl, op.num(0), op.num(1), op.num(2), 0, 0);
            if (op.num(3) == 1) return null; // best effort
            return chk(rc, "prctl");
        },
        .capset => return process.capset(op),
        .caps_ambient => return process.capsAmbient(op),
        .seccomp => {
            const prog = op.str(0);
            const sock: usize = @intCast(op.num(1));
            return handoff.install(prog.p[0..prog.len], op.num(0), sock, talk.go_payload, op.num(2), sync_fd, step);
        },
        .ready => {
            if (handoff.reporting()) {
                handoff.reportReady();
                return null;
            }
            var m = sync.Msg{ .kind = sync.READY };
            sync.send(sync_fd, &m);
        },
        .open_slot => return fds.openSlot(op),
        .fifo_wait => return fds.fifoWait(op),
        .resolve_exec => return process.resolveExec(op.str(0), op.str(1)),
        .exec => return process.exec(op),
        .signals_reset => process.signalsReset(),
        .close_fds => return fds.closeFds(op, sync_fd),
        .lo_up => {
            const s = sys.syscall3(.socket, linux.AF.INET, linux.SOCK.DGRAM | linux.SOCK.CLOEXEC, 0);
            if (chk(s, "socket for lo")) |f| return f;
            var ifr = std.mem.zeroes(linux.ifreq);
            @memcpy(ifr.ifrn.name[0..2], "lo");
            if (chk(sys.syscall3(.ioctl, s, linux.SIOCGIFFLAGS, sys.ptr(&ifr)), "SIOCGIFFLAGS lo")) |f| return f;
            ifr.ifru.flags.UP = true;
            const rc = sys.syscall3(.ioctl, s, linux.SIOCSIFFLAGS, sys.ptr(&ifr));
            sys.close(s);
            return chk(rc, "SIOCSIFFLAGS lo");
        },
        .setsid => {
            const rc = sys.syscall0(.setsid);
            if (sys.errnoOf(rc) == sys.errno(.PERM)) return null; // already a session leader
            return chk(rc, "setsid");
        },
        .personality => return chk(sys.syscall1(.personality, op.num(0)), "personality"),
        .fork_pid => return talk.forkPid(op, sync_fd),
        .sync_hooks => return talk.syncHooks(sync_fd),
        .run_hook => return talk.runHook(op),
        .console => return fds.setupConsole(op, sync_fd),
        .ioprio => return process.ioprio(op),
        .sched => return process.sched(op),
        .keyring => return process.keyring(op),
        .idmap_tree => return idmap.makeTree(op),
        .mount_tree => return mount.mountTree(op),
        .affinity => {
            // str 0: a cpu_set_t (one bit per cpu) the plan built from execCPUAffinity.
            const mask = op.str(0);
            return chk(sys.syscall3(.sched_setaffinity, 0, mask.len, sys.ptr(mask.p)), "sched_setaffinity");
        },
        .setattr_slot => return mount.setattrSlot(op),
        .mask_path => return mount.maskPath(op),
        _ => return .{ .errno = sys.errno(.INVAL), .detail = "unknown plan op" },
    }
    return null;
}
