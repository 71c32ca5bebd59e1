//! The container's init before execve: walks the plan the TypeScript side built, one op per
//! step, and reports the first failure as (step, errno, detail) on the sync socket.
//! Runs in drun-init (init.zig), a static program of its own: only raw syscalls, no
//! allocator, and no return: every path ends in execve or exit.
const std = @import("std");
const sys = @import("sys.zig");
const plan = @import("plan.zig");
const sync = @import("sync.zig");
const handoff = @import("handoff.zig");
const idmap = @import("idmap.zig");
const linux = std.os.linux;

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

const Fail = struct { errno: i32, detail: []const u8 };

var go_payload: []const u8 = "";
/// The container state JSON for hooks the init runs itself: [0] creating, [1] created.
var hook_state: [2][]const u8 = .{ "", "" };
var root_fd: usize = 0;
/// The verified null device masks bind from (0 until the first masked file).
var null_fd: usize = 0;
var slots: [8]usize = [_]usize{0} ** 8;
var exec_path: [4096]u8 = undefined;
var path_a: [32]u8 = undefined;
var path_b: [32]u8 = undefined;
var comp_buf: [4096]u8 = undefined;

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

fn chk(rc: usize, detail: []const u8) ?Fail {
    const e = sys.errnoOf(rc);
    if (e != 0) return .{ .errno = e, .detail = detail };
    return null;
}

fn exec1(op: plan.Op, sync_fd: usize, step: u32) ?Fail {
    const kind: Kind = @enumFromInt(op.kind);
    switch (kind) {
        .wait_parent => {
            // GO; its payload (hook states, the seccomp agent's message: any size) comes as
            // a sealed memfd we map, never through a fixed buffer.
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
        },
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
        .open_root => {
            const fd = sys.syscall4(.openat, sys.AT_FDCWD, sys.ptr(op.str(0).p), sys.O_PATH | sys.O_DIRECTORY | sys.O_CLOEXEC, 0);
            if (chk(fd, "open rootfs")) |f| return f;
            root_fd = fd;
        },
        .mount_in_root => return mountInRoot(op),
        .pivot => {
            if (chk(sys.syscall1(.fchdir, root_fd), "fchdir(rootfs)")) |f| return f;
            if (chk(sys.syscall2(.pivot_root, sys.ptr("."), sys.ptr(".")), "pivot_root")) |f| return f;
            if (chk(sys.syscall2(.umount2, sys.ptr("."), linux.MNT.DETACH), "umount old root")) |f| return f;
            return chk(sys.syscall1(.chdir, sys.ptr("/")), "chdir(/)");
        },
        .move_root => {
            if (chk(sys.syscall1(.fchdir, root_fd), "fchdir(rootfs)")) |f| return f;
            if (chk(sys.syscall5(.mount, sys.ptr("."), sys.ptr("/"), 0, linux.MS.MOVE, 0), "mount --move rootfs /")) |f| return f;
            if (chk(sys.syscall1(.chroot, sys.ptr(".")), "chroot")) |f| return f;
            return chk(sys.syscall1(.chdir, sys.ptr("/")), "chdir(/)");
        },
        // The runtime's own mount namespace (none in the config): pivot_root or a move onto
        // "/" would change that namespace's root, so the init only changes its own.
        .chroot => {
            if (chk(sys.syscall1(.fchdir, root_fd), "fchdir(rootfs)")) |f| return f;
            if (chk(sys.syscall1(.chroot, sys.ptr(".")), "chroot")) |f| return f;
            return chk(sys.syscall1(.chdir, sys.ptr("/")), "chdir(/)");
        },
        .mount => {
            const src = op.str(0);
            const fstype = op.str(2);
            const data = op.str(3);
            const rc = sys.syscall5(
                .mount,
                if (src.len > 0) sys.ptr(src.p) else 0,
                sys.ptr(op.str(1).p),
                if (fstype.len > 0) sys.ptr(fstype.p) else 0,
                op.num(0),
                if (data.len > 0) sys.ptr(data.p) else 0,
            );
            // Masked and read-only paths name files that may not exist in every image.
            if (op.num(1) == 1 and sys.errnoOf(rc) == sys.errno(.NOENT)) return null;
            return chk(rc, "mount");
        },
        .mknod => {
            const path = op.str(0);
            const p = path.p;
            // Parents as runc makes them (/dev/net/tun, /dev/cpu/0/cpuid): 0755, each one.
            var i: usize = 1;
            while (i < path.len) : (i += 1) {
                if (p[i] != '/') continue;
                if (i >= comp_buf.len) return .{ .errno = sys.errno(.NAMETOOLONG), .detail = "device path" };
                @memcpy(comp_buf[0..i], p[0..i]);
                comp_buf[i] = 0;
                const mk = sys.syscall3(.mkdirat, sys.AT_FDCWD, sys.ptr(&comp_buf), 0o755);
                if (sys.errnoOf(mk) != 0 and sys.errnoOf(mk) != sys.errno(.EXIST)) return .{ .errno = sys.errnoOf(mk), .detail = "mkdir device parent" };
            }
            const rc = sys.syscall4(.mknodat, sys.AT_FDCWD, sys.ptr(p), op.num(0), op.num(1));
            if (sys.errnoOf(rc) == sys.errno(.EXIST)) return null; // the image ships the node
            if (chk(rc, "mknod")) |f| return f;
            // The mode exactly as configured: mknod applied our umask to it.
            if (chk(sys.syscall4(.fchmodat, sys.AT_FDCWD, sys.ptr(p), op.num(0) & 0o7777, 0), "chmod device")) |f| return f;
            return chk(sys.syscall5(.fchownat, sys.AT_FDCWD, sys.ptr(p), op.num(2), op.num(3), linux.AT.SYMLINK_NOFOLLOW), "chown device");
        },
        .symlink => {
            const rc = sys.syscall3(.symlinkat, sys.ptr(op.str(0).p), sys.AT_FDCWD, sys.ptr(op.str(1).p));
            if (sys.errnoOf(rc) == sys.errno(.EXIST)) return null;
            return chk(rc, "symlink");
        },
        .sethostname => {
            const s = op.str(0);
            return chk(sys.syscall2(.sethostname, sys.ptr(s.p), s.len), "sethostname");
        },
        .setdomainname => {
            const s = op.str(0);
            return chk(sys.syscall2(.setdomainname, sys.ptr(s.p), s.len), "setdomainname");
        },
        .rlimit => {
            const lim = [2]u64{ op.num(1), op.num(2) };
            return chk(sys.syscall4(.prlimit64, 0, op.num(0), sys.ptr(&lim), 0), "prlimit");
        },
        .chdir => {
            const dir = op.str(0);
            const rc = sys.syscall1(.chdir, sys.ptr(dir.p));
            if (sys.errnoOf(rc) != sys.errno(.NOENT) or op.num(0) != 1) return chk(rc, "chdir");
            // num 0 = 1: make the missing directories (0755), then enter.
            var i: usize = 1;
            while (i <= dir.len) : (i += 1) {
                if (i != dir.len and dir.p[i] != '/') continue;
                if (i >= comp_buf.len) return .{ .errno = sys.errno(.NAMETOOLONG), .detail = "cwd" };
                @memcpy(comp_buf[0..i], dir.p[0..i]);
                comp_buf[i] = 0;
                const mk = sys.syscall3(.mkdirat, sys.AT_FDCWD, sys.ptr(&comp_buf), 0o755);
                if (sys.errnoOf(mk) != 0 and sys.errnoOf(mk) != sys.errno(.EXIST)) return .{ .errno = sys.errnoOf(mk), .detail = "mkdir" };
            }
            return chk(sys.syscall1(.chdir, sys.ptr(dir.p)), "chdir");
        },
        .umask => _ = sys.syscall1(.umask, op.num(0)),
        .caps_bounding => {
            const keep = op.num(0);
            var cap: u6 = 0;
            while (cap <= op.num(1)) : (cap += 1) {
                if (keep & (@as(u64, 1) << cap) == 0) {
                    const rc = sys.syscall2(.prctl, sys.pr(.CAPBSET_DROP), cap);
                    if (sys.errnoOf(rc) != sys.errno(.INVAL)) if (chk(rc, "drop bounding capability")) |f| return f;
                }
                if (cap == 63) break;
            }
        },
        .prctl => {
            const rc = sys.syscall5(.prctl, op.num(0), op.num(1), op.num(2), 0, 0);
            if (op.num(3) == 1) return null; // best effort
            return chk(rc, "prctl");
        },
        .capset => {
            const hdr = [2]u32{ sys.LINUX_CAPABILITY_VERSION_3, 0 };
            const e = op.num(0);
            const p = op.num(1);
            const i = op.num(2);
            const data = [6]u32{
                @truncate(e), @truncate(p), @truncate(i),
                @truncate(e >> 32), @truncate(p >> 32), @truncate(i >> 32),
            };
            return chk(sys.syscall2(.capset, sys.ptr(&hdr), sys.ptr(&data)), "capset");
        },
        .caps_ambient => {
            const want = op.num(0);
            var cap: u6 = 0;
            while (cap <= op.num(1)) : (cap += 1) {
                if (want & (@as(u64, 1) << cap) != 0) {
                    if (chk(sys.syscall5(.prctl, sys.pr(.CAP_AMBIENT), linux.PR.CAP_AMBIENT_RAISE, cap, 0, 0), "raise ambient capability")) |f| return f;
                }
                if (cap == 63) break;
            }
        },
        .seccomp => {
            const prog = op.str(0);
            const sock: usize = @intCast(op.num(1));
            const failure = handoff.install(prog.p[0..prog.len], op.num(0), sock, go_payload, op.num(2), sync_fd, step);
            if (failure) |f| return .{ .errno = f.errno, .detail = f.step };
        },
        .ready => {
            if (handoff.reporting()) {
                handoff.reportReady();
                return null;
            }
            var m = sync.Msg{ .kind = sync.READY };
            sync.send(sync_fd, &m);
        },
        .open_slot => {
            const fd = sys.syscall4(.openat, sys.AT_FDCWD, sys.ptr(op.str(0).p), op.num(1), 0);
            if (chk(fd, "open")) |f| return f;
            slots[@intCast(op.num(0) & 7)] = fd;
        },
        .fifo_wait => {
            // Reopen through /proc: the fifo's path is outside the container after pivot_root.
            // The open is what `start` waits for (it returns once start opens the other end);
            // the byte only says so early. A profile may deny write or close: both are best
            // effort, and both fds are close-on-exec anyway (start also takes the fifo's
            // hang-up at our execve as the release).
            const fd = sys.syscall4(.openat, sys.AT_FDCWD, sys.ptr(sys.fdPath(&path_a, slots[@intCast(op.num(0) & 7)])), sys.O_WRONLY | sys.O_CLOEXEC, 0);
            if (chk(fd, "open exec fifo")) |f| return f;
            _ = sys.syscall3(.write, fd, sys.ptr("0"), 1);
        },
        .resolve_exec => return resolveExec(op.str(0), op.str(1)),
        .exec => {
            const v = vectors(op, 0, @intCast(op.num(0))) orelse return .{ .errno = sys.errno(.NOMEM), .detail = "argv and envp" };
            const rc = sys.syscall3(.execve, sys.ptr(&exec_path), sys.ptr(v.argv), sys.ptr(v.envp));
            return chk(rc, "execve");
        },
        .signals_reset => {
            var sig: usize = 1;
            const act = [4]usize{ 0, 0, 0, 0 }; // SIG_DFL, flags 0, no restorer, empty mask
            while (sig <= 64) : (sig += 1) {
                if (sig == linux.SIG.KILL or sig == linux.SIG.STOP) continue;
                _ = sys.syscall4(.rt_sigaction, sig, sys.ptr(&act), 0, 8);
            }
            const empty: u64 = 0;
            _ = sys.syscall4(.rt_sigprocmask, linux.SIG.SETMASK, sys.ptr(&empty), 0, 8);
        },
        .close_fds => return closeFds(op, sync_fd),
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
        .fork_pid => {
            // The init's new namespaces (num 0: CLONE_NEW* flags), and setns(CLONE_NEWPID),
            // which only moves our future children: fork one into them, as a sibling
            // (CLONE_PARENT) so the runtime can wait for it. A fork, not an unshare: a new pid
            // namespace needs a child to be its pid 1, and a user namespace entered before our
            // execve would have cost us every capability in it.
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
        },
        .sync_hooks => {
            // Let the runtime run prestart/createRuntime hooks, then wait for its GO.
            var m = sync.Msg{ .kind = sync.HOOKS };
            sync.send(sync_fd, &m);
            var reply: sync.Msg = .{};
            const n = sys.syscall6(.recvfrom, sync_fd, sys.ptr(&reply), sync.MSG_SIZE, 0, 0, 0);
            if (chk(n, "recv from parent")) |f| return f;
            if (n < sync.MSG_SIZE or reply.kind != sync.GO) return .{ .errno = 0, .detail = "runtime aborted after hooks" };
        },
        .run_hook => return runHook(op),
        .console => return setupConsole(op, sync_fd),
        .ioprio => {
            const prio = (op.num(0) << sys.IOPRIO_CLASS_SHIFT) | op.num(1);
            return chk(sys.syscall3(.ioprio_set, sys.IOPRIO_WHO_PROCESS, 0, prio), "ioprio_set");
        },
        .sched => {
            // struct sched_attr: size, policy, flags, nice, priority, runtime, deadline, period
            var attr = extern struct { size: u32, policy: u32, flags: u64, nice: i32, priority: u32, runtime: u64, deadline: u64, period: u64 }{
                .size = 48,
                .policy = @truncate(op.num(0)),
                .flags = op.num(1),
                .nice = @bitCast(@as(u32, @truncate(op.num(2)))),
                .priority = @truncate(op.num(3)),
                .runtime = op.num(4),
                .deadline = op.num(5),
                .period = op.num(6),
            };
            return chk(sys.syscall3(.sched_setattr, 0, sys.ptr(&attr), 0), "sched_setattr");
        },
        .keyring => {
            // A session keyring of the container's own, so it never sees the host's keys.
            const rc = sys.syscall2(.keyctl, sys.KEYCTL_JOIN_SESSION_KEYRING, sys.ptr(op.str(0).p));
            // Kernels without keys (ENOSYS) or a seccomp profile that refuses keyctl: carry on.
            if (sys.errnoOf(rc) == sys.errno(.NOSYS) or sys.errnoOf(rc) == sys.errno(.PERM)) return null;
            return chk(rc, "join a new session keyring");
        },
        .idmap_tree => if (idmap.makeTree(op)) |f| return .{ .errno = f.errno, .detail = f.detail },
        .mount_tree => return mountTree(op),
        .affinity => {
            // str 0: a cpu_set_t (one bit per cpu) the plan built from execCPUAffinity.
            const mask = op.str(0);
            return chk(sys.syscall3(.sched_setaffinity, 0, mask.len, sys.ptr(mask.p)), "sched_setaffinity");
        },
        .setattr_slot => {
            // Change a mount we made earlier through the fd kept then: never re-resolve its
            // path, which the rootfs could have redirected in the meantime.
            const slot: usize = @intCast(op.num(0) & 7);
            const fd = slots[slot];
            if (fd == 0) return .{ .errno = sys.errno(.BADF), .detail = "no mount kept in that slot" };
            var attr = sys.MountAttr{ .set = op.num(1), .clr = op.num(2) };
            const rc = sys.syscall5(.mount_setattr, fd, sys.ptr(""), linux.AT.EMPTY_PATH, sys.ptr(&attr), @sizeOf(sys.MountAttr));
            sys.close(fd);
            slots[slot] = 0;
            return chk(rc, "mount_setattr");
        },
        .mask_path => {
            // A directory is hidden under an empty read-only tmpfs, anything else under the
            // null device: one we opened without following links and checked is char 1:3,
            // bound through its fd, never the image's /dev/null by path (it may be a link).
            const p = op.str(0).p;
            var st: linux.Stat = undefined;
            const rc = sys.syscall4(.fstatat64, sys.AT_FDCWD, sys.ptr(p), sys.ptr(&st), 0);
            if (sys.errnoOf(rc) == sys.errno(.NOENT) or sys.errnoOf(rc) == sys.errno(.NOTDIR)) return null;
            if (chk(rc, "stat masked path")) |f| return f;
            if (st.mode & linux.S.IFMT == linux.S.IFDIR) {
                return chk(sys.syscall5(.mount, sys.ptr("tmpfs"), sys.ptr(p), sys.ptr("tmpfs"), linux.MS.RDONLY, sys.ptr("size=0")), "mask directory");
            }
            if (null_fd == 0) {
                const fd = sys.syscall4(.openat, sys.AT_FDCWD, sys.ptr("/dev/null"), sys.O_PATH | sys.O_NOFOLLOW | sys.O_CLOEXEC, 0);
                if (chk(fd, "open /dev/null")) |f| return f;
                var nst: linux.Stat = undefined;
                if (chk(sys.syscall2(.fstat, fd, sys.ptr(&nst)), "stat /dev/null")) |f| return f;
                if (nst.mode & linux.S.IFMT != linux.S.IFCHR or nst.rdev != 0x103) { // makedev(1, 3)
                    sys.close(fd);
                    return .{ .errno = sys.errno(.NODEV), .detail = "/dev/null in the container is not the null device (char 1:3)" };
                }
                null_fd = fd;
            }
            return chk(sys.syscall5(.mount, sys.ptr(sys.fdPath(&path_a, null_fd)), sys.ptr(p), 0, linux.MS.BIND, 0), "mask file");
        },
        _ => return .{ .errno = sys.errno(.INVAL), .detail = "unknown plan op" },
    }
    return null;
}

/// Opens `rel` below the rootfs without letting any symlink or ".." leave it.
fn openInRoot(rel: [*:0]const u8, flags: u64) usize {
    const how = sys.OpenHow{ .flags = flags | sys.O_CLOEXEC, .mode = 0, .resolve = sys.RESOLVE_IN_ROOT | sys.RESOLVE_NO_MAGICLINKS };
    return sys.syscall4(.openat2, root_fd, sys.ptr(rel), sys.ptr(&how), @sizeOf(sys.OpenHow));
}

/// mkdir -p below the rootfs, one component at a time, each resolved inside the root.
fn mkdirInRoot(rel: []const u8, last_is_file: bool) ?Fail {
    var i: usize = 0;
    while (i <= rel.len) : (i += 1) {
        if (i != rel.len and rel[i] != '/') continue;
        if (i == 0) continue;
        const is_last = i == rel.len;
        if (i >= comp_buf.len) return .{ .errno = sys.errno(.NAMETOOLONG), .detail = "mount destination" };
        @memcpy(comp_buf[0..i], rel[0..i]);
        comp_buf[i] = 0;
        const fd = openInRoot(@ptrCast(&comp_buf), sys.O_PATH);
        if (sys.errnoOf(fd) == 0) {
            sys.close(fd);
            continue;
        }
        if (sys.errnoOf(fd) != sys.errno(.NOENT)) return .{ .errno = sys.errnoOf(fd), .detail = "resolve mount destination" };
        // Create the missing component inside its (already resolved) parent.
        var slash: usize = i;
        while (slash > 0 and rel[slash - 1] != '/') slash -= 1;
        var parent: usize = root_fd;
        var owned = false;
        if (slash > 1) {
            comp_buf[slash - 1] = 0;
            parent = openInRoot(@ptrCast(&comp_buf), sys.O_PATH | sys.O_DIRECTORY);
            if (chk(parent, "resolve mount destination parent")) |f| return f;
            owned = true;
            comp_buf[slash - 1] = '/';
        }
        const name: [*:0]const u8 = @ptrCast(comp_buf[slash..].ptr);
        const rc = if (is_last and last_is_file)
            sys.syscall4(.openat, parent, sys.ptr(name), sys.O_CREAT | sys.O_WRONLY | sys.O_CLOEXEC | sys.O_NOFOLLOW, 0o644)
        else
            sys.syscall3(.mkdirat, parent, sys.ptr(name), 0o755);
        if (owned) sys.close(parent);
        if (sys.errnoOf(rc) == 0 and is_last and last_is_file) sys.close(rc);
        if (sys.errnoOf(rc) != 0 and sys.errnoOf(rc) != sys.errno(.EXIST)) return .{ .errno = sys.errnoOf(rc), .detail = "create mount destination" };
    }
    return null;
}

/// A mount destination below the rootfs, made first when `kind` says so (1 dir, 2 file), as
/// an O_PATH fd.
fn openDest(dst: plan.Str, kind: u64) union(enum) { fd: usize, fail: Fail } {
    if (kind != 0) if (mkdirInRoot(dst.p[0..dst.len], kind == 2)) |f| return .{ .fail = f };
    const dfd = openInRoot(dst.p, sys.O_PATH);
    if (chk(dfd, "open mount destination")) |f| return .{ .fail = f };
    return .{ .fd = dfd };
}

/// strs: source, destination (relative to the rootfs), fstype, data.
/// nums: flags, propagation flags, mkdir kind (0 none, 1 dir, 2 file), bind (1), remount flags.
fn mountInRoot(op: plan.Op) ?Fail {
    const src = op.str(0);
    const dst = op.str(1);
    const fstype = op.str(2);
    const data = op.str(3);
    const dfd = switch (openDest(dst, op.num(2))) {
        .fd => |fd| fd,
        .fail => |f| return f,
    };
    defer sys.close(dfd);
    const bind = op.num(3) == 1;
    var rc: usize = 0;
    if (bind) {
        const sfd = sys.syscall4(.openat, sys.AT_FDCWD, sys.ptr(src.p), sys.O_PATH | sys.O_CLOEXEC, 0);
        if (chk(sfd, "open bind source")) |f| return f;
        rc = sys.syscall5(.mount, sys.ptr(sys.fdPath(&path_a, sfd)), sys.ptr(sys.fdPath(&path_b, dfd)), 0, op.num(0), 0);
        sys.close(sfd);
    } else {
        const opts = tmpfsData(fstype, data, dfd) orelse return .{ .errno = sys.errno(.NAMETOOLONG), .detail = "tmpfs options" };
        rc = sys.syscall5(
            .mount,
            if (src.len > 0) sys.ptr(src.p) else sys.ptr(fstype.p),
            sys.ptr(sys.fdPath(&path_b, dfd)),
            sys.ptr(fstype.p),
            op.num(0),
            if (opts.len > 0) sys.ptr(opts.ptr) else 0,
        );
    }
    if (chk(rc, "mount")) |f| return f;
    const remount = op.num(4);
    const prop = op.num(1);
    const attr_set = op.num(5);
    const attr_clr = op.num(6);
    const keep = op.num(7); // a slot to keep the new mount's fd in, for a later SETATTR_SLOT
    if (remount == 0 and prop == 0 and attr_set == 0 and attr_clr == 0 and keep == 0) return null;
    // The fd above names the covered directory; reopen to reach the new mount's root.
    const nfd = openInRoot(dst.p, sys.O_PATH);
    if (chk(nfd, "reopen mount destination")) |f| return f;
    defer if (keep == 0) sys.close(nfd);
    if (keep != 0) slots[@intCast(keep & 7)] = nfd;
    const target = sys.ptr(sys.fdPath(&path_b, nfd));
    if (remount != 0) {
        if (chk(sys.syscall5(.mount, 0, target, 0, remount, 0), "remount bind mount")) |f| return f;
    }
    if (prop != 0) {
        if (chk(sys.syscall5(.mount, 0, target, 0, prop, 0), "set mount propagation")) |f| return f;
    }
    if (attr_set != 0 or attr_clr != 0) {
        // The r* options (rro, rnosuid, ...) reach every submount: mount_setattr, recursive.
        var attr = sys.MountAttr{ .set = attr_set, .clr = attr_clr };
        const rc2 = sys.syscall5(.mount_setattr, nfd, sys.ptr(""), linux.AT.EMPTY_PATH | linux.AT.RECURSIVE, sys.ptr(&attr), @sizeOf(sys.MountAttr));
        if (chk(rc2, "mount_setattr (recursive options)")) |f| return f;
    }
    return null;
}

/// MOUNT_TREE: moves the idmapped tree IDMAP_TREE made onto its destination in the rootfs.
/// nums: tree index, mkdir kind (0 none, 1 dir, 2 file). strs: destination (relative).
fn mountTree(op: plan.Op) ?Fail {
    const tree = idmap.take(op.num(0));
    if (tree == 0) return .{ .errno = sys.errno(.BADF), .detail = "no idmapped tree at that index" };
    defer sys.close(tree);
    const dfd = switch (openDest(op.str(0), op.num(1))) {
        .fd => |fd| fd,
        .fail => |f| return f,
    };
    defer sys.close(dfd);
    // Both ends by fd: no path is resolved again.
    return chk(sys.syscall5(.move_mount, tree, sys.ptr(""), dfd, sys.ptr(""), sys.MOVE_MOUNT_F_EMPTY_PATH | sys.MOVE_MOUNT_T_EMPTY_PATH), "move_mount (idmapped tree)");
}

const Vectors = struct { argv: [*]?[*:0]const u8, envp: [*]?[*:0]const u8 };

/// argv and envp for execve from an op's strings: `skip` leading ones, then `argc` of argv,
/// the rest envp. The pointer arrays live in an anonymous mapping sized from the plan, so
/// there is no limit but the kernel's (no allocator: one mmap the execve discards).
fn vectors(op: plan.Op, skip: usize, argc: usize) ?Vectors {
    const n: usize = op.nstr;
    if (skip + argc > n) return null;
    const slots_needed = n - skip + 2;
    const addr = sys.syscall6(.mmap, 0, slots_needed * 8, linux.PROT.READ | linux.PROT.WRITE, sys.mapFlags(.{ .TYPE = .PRIVATE, .ANONYMOUS = true }), std.math.maxInt(usize), 0);
    if (sys.errnoOf(addr) != 0) return null;
    const v: [*]?[*:0]const u8 = @ptrFromInt(addr);
    var it = op.strs();
    var i: usize = 0;
    while (it.next()) |str| : (i += 1) {
        if (i < skip) continue;
        const j = i - skip;
        v[if (j < argc) j else j + 1] = str.p;
    }
    if (i != n) return null; // a string ran past the op: a malformed plan
    v[argc] = null;
    v[slots_needed - 1] = null;
    return .{ .argv = v, .envp = v + argc + 1 };
}

var data_buf: [4096 + 16]u8 = undefined;

/// A tmpfs without `mode=` keeps the mode of the directory it covers, as runc and crun make
/// it (the kernel's default, 1777, would open a 0755 directory to everyone): the options with
/// `mode=<octal>` of `dfd` appended. Anything else, or a tmpfs with a mode, as given.
fn tmpfsData(fstype: plan.Str, data: plan.Str, dfd: usize) ?[:0]const u8 {
    const given: [:0]const u8 = data.p[0..data.len :0];
    if (!std.mem.eql(u8, fstype.p[0..fstype.len], "tmpfs")) return given;
    var opts = std.mem.splitScalar(u8, given, ',');
    while (opts.next()) |o| if (std.mem.startsWith(u8, o, "mode=")) return given;
    var st: linux.Stat = undefined;
    if (sys.errnoOf(sys.syscall2(.fstat, dfd, sys.ptr(&st))) != 0) return given;
    const mode = st.mode & 0o7777;
    if (data.len + 16 > data_buf.len) return null;
    @memcpy(data_buf[0..data.len], given);
    var n = data.len;
    const prefix = if (n > 0) ",mode=" else "mode=";
    @memcpy(data_buf[n..][0..prefix.len], prefix);
    n += prefix.len;
    var digits: [6]u8 = undefined;
    var k: usize = 0;
    var m = mode;
    while (true) {
        digits[k] = @intCast('0' + (m & 7));
        k += 1;
        m >>= 3;
        if (m == 0) break;
    }
    while (k > 0) {
        k -= 1;
        data_buf[n] = digits[k];
        n += 1;
    }
    data_buf[n] = 0;
    return data_buf[0..n :0];
}

/// Finds args[0] along PATH inside the container, as execvp would, so a missing binary
/// fails `create` instead of surfacing after `start`.
fn resolveExec(arg0s: plan.Str, paths: plan.Str) ?Fail {
    const arg0 = arg0s.p[0..arg0s.len];
    if (std.mem.indexOfScalar(u8, arg0, '/') != null) {
        if (arg0.len >= exec_path.len) return .{ .errno = sys.errno(.NAMETOOLONG), .detail = "executable path" };
        @memcpy(exec_path[0..arg0.len], arg0);
        exec_path[arg0.len] = 0;
        var st: linux.Stat = undefined;
        const src = sys.syscall4(.fstatat64, sys.AT_FDCWD, sys.ptr(&exec_path), sys.ptr(&st), 0);
        if (chk(src, "executable not found")) |f| return f;
        // A directory passes the access check but can never be exec'd: say so now.
        if (st.mode & linux.S.IFMT != linux.S.IFREG) {
            return .{ .errno = sys.errno(.ACCES), .detail = "not a regular file" };
        }
        // Not "not found" for a file that is there: engines map that wording to 127, and a
        // file without the execute bit is 126 (permission denied), as runc reports it.
        const acc = sys.syscall4(.faccessat, sys.AT_FDCWD, sys.ptr(&exec_path), linux.X_OK, 0);
        if (sys.errnoOf(acc) == sys.errno(.ACCES)) return .{ .errno = sys.errno(.ACCES), .detail = "permission denied: not executable" };
        return chk(acc, "cannot execute");
    }
    var it = std.mem.splitScalar(u8, paths.p[0..paths.len], ':');
    var last: i32 = sys.errno(.NOENT);
    while (it.next()) |dir0| {
        const dir = if (dir0.len == 0) "." else dir0;
        if (dir.len + 1 + arg0.len + 1 > exec_path.len) continue;
        @memcpy(exec_path[0..dir.len], dir);
        exec_path[dir.len] = '/';
        @memcpy(exec_path[dir.len + 1 ..][0..arg0.len], arg0);
        exec_path[dir.len + 1 + arg0.len] = 0;
        var st: linux.Stat = undefined;
        const rc = sys.syscall4(.fstatat64, sys.AT_FDCWD, sys.ptr(&exec_path), sys.ptr(&st), 0);
        if (sys.errnoOf(rc) != 0) continue;
        if (st.mode & linux.S.IFMT != linux.S.IFREG) continue;
        const a = sys.syscall4(.faccessat, sys.AT_FDCWD, sys.ptr(&exec_path), linux.X_OK, 0);
        if (sys.errnoOf(a) == 0) return null;
        last = sys.errnoOf(a);
    }
    if (last == sys.errno(.ACCES)) return .{ .errno = sys.errno(.ACCES), .detail = "permission denied: found in $PATH but not executable" };
    return .{ .errno = last, .detail = "executable file not found in $PATH" };
}

/// Runs one hook in the container's namespaces: the state JSON on stdin (from a memfd),
/// `timeout` ms at most (0: no limit), and the hook's failure fails the step.
/// strs: path, argv..., env...; nums: argc, timeout ms, which state (0 creating, 1 created).
fn runHook(op: plan.Op) ?Fail {
    const argc: usize = @intCast(op.num(0));
    const state = hook_state[@intCast(op.num(2) & 1)];
    const mfd = sys.syscall2(.memfd_create, sys.ptr("drun-hook-state"), linux.MFD.CLOEXEC);
    if (chk(mfd, "memfd for hook state")) |f| return f;
    defer sys.close(mfd);
    if (chk(sys.syscall3(.write, mfd, sys.ptr(state.ptr), state.len), "write hook state")) |f| return f;
    if (chk(sys.syscall3(.lseek, mfd, 0, linux.SEEK.SET), "rewind hook state")) |f| return f;
    const v = vectors(op, 1, argc) orelse return .{ .errno = sys.errno(.NOMEM), .detail = "hook argv and envp" };
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
        const ts = std.os.linux.timespec{ .sec = 0, .nsec = 1_000_000 };
        _ = sys.syscall2(.nanosleep, sys.ptr(&ts), 0);
        waited_ms += 1;
    }
    if (status != 0) return .{ .errno = 0, .detail = "hook exited with a failure status" };
    return null;
}

/// Creates the container's terminal: a pty from the container's devpts, the master sent to
/// the runtime (which hands it to --console-socket or proxies it), the slave made our
/// controlling terminal and stdio. nums: rows, cols (0 = leave the size alone).
fn setupConsole(op: plan.Op, sync_fd: usize) ?Fail {
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
fn closeFds(op: plan.Op, sync_fd: usize) ?Fail {
    var keep: [16]usize = undefined;
    var n: usize = 0;
    keep[n] = sync_fd;
    n += 1;
    for (slots) |fd| {
        if (fd != 0 and n < keep.len) {
            keep[n] = fd;
            n += 1;
        }
    }
    var k: usize = 1;
    while (k < op.nnum and n < keep.len) : (k += 1) {
        keep[n] = @intCast(op.num(k));
        n += 1;
    }
    std.mem.sort(usize, keep[0..n], {}, std.sort.asc(usize));
    var from: usize = @intCast(op.num(0));
    for (keep[0..n]) |fd| {
        if (fd < from) continue;
        if (fd > from) {
            if (chk(sys.syscall3(.close_range, from, fd - 1, 0), "close inherited fds")) |f| return f;
        }
        from = fd + 1;
    }
    return chk(sys.syscall3(.close_range, from, std.math.maxInt(u32), 0), "close inherited fds");
}
