//! The container process's own setup: limits, capabilities, scheduling, signals, the
//! working directory and the executable (found along PATH before `start`, so a missing one
//! fails `create`), then execve with argv and envp straight from the plan.
const std = @import("std");
const sys = @import("sys.zig");
const plan = @import("plan.zig");
const fail = @import("fail.zig");
const linux = std.os.linux;
const Fail = fail.Fail;
const chk = fail.chk;
const paths = @import("child_paths.zig");

/// The executable RESOLVE_EXEC found, what EXEC runs.
var exec_path: [4096]u8 = undefined;

/// RLIMIT. nums: resource, soft, hard.
pub fn rlimit(op: plan.Op) ?Fail {
    const lim = [2]u64{ op.num(1), op.num(2) };
    return chk(sys.syscall4(.prlimit64, 0, op.num(0), sys.ptr(&lim), 0), "prlimit");
}

/// CAPS_BOUNDING: drops from the bounding set every capability up to num 1 that is not in
/// the mask num 0 (EINVAL: one this kernel does not know, nothing to drop).
pub fn capsBounding(op: plan.Op) ?Fail {
    const keep = op.num(0);
    var cap: u6 = 0;
    while (cap <= op.num(1)) : (cap += 1) {
        if (keep & (@as(u64, 1) << cap) == 0) {
            const rc = sys.syscall2(.prctl, sys.pr(.CAPBSET_DROP), cap);
            if (sys.errnoOf(rc) != sys.errno(.INVAL)) if (chk(rc, "drop bounding capability")) |f| return f;
        }
        if (cap == 63) break;
    }
    return null;
}

/// CAPSET. nums: effective, permitted, inheritable (64-bit masks).
pub fn capset(op: plan.Op) ?Fail {
    const hdr = [2]u32{ sys.LINUX_CAPABILITY_VERSION_3, 0 }; // version, pid 0: ourselves
    const e = op.num(0);
    const p = op.num(1);
    const i = op.num(2);
    // Two struct __user_cap_data_struct (effective, permitted, inheritable): low words, then high.
    const data = [6]u32{ @truncate(e), @truncate(p), @truncate(i), @truncate(e >> 32), @truncate(p >> 32), @truncate(i >> 32) };
    return chk(sys.syscall2(.capset, sys.ptr(&hdr), sys.ptr(&data)), "capset");
}

/// CAPS_AMBIENT: raises every capability up to num 1 that is in the mask num 0.
pub fn capsAmbient(op: plan.Op) ?Fail {
    const want = op.num(0);
    var cap: u6 = 0;
    while (cap <= op.num(1)) : (cap += 1) {
        if (want & (@as(u64, 1) << cap) != 0) {
            if (chk(sys.syscall5(.prctl, sys.pr(.CAP_AMBIENT), linux.PR.CAP_AMBIENT_RAISE, cap, 0, 0), "raise ambient capability")) |f| return f;
        }
        if (cap == 63) break;
    }
    return null;
}

/// SCHED: sched_setattr. nums: policy, flags, nice, priority, runtime, deadline, period.
pub fn sched(op: plan.Op) ?Fail {
    var attr = linux.sched_attr{
        .policy = @truncate(op.num(0)),
        .flags = op.num(1),
        .nice = @truncate(op.num(2)), // a negative nice as its two's complement
        .priority = @truncate(op.num(3)),
        .runtime = op.num(4),
        .deadline = op.num(5),
        .period = op.num(6),
    };
    return chk(sys.syscall3(.sched_setattr, 0, sys.ptr(&attr), 0), "sched_setattr");
}

/// IOPRIO. nums: class, level.
pub fn ioprio(op: plan.Op) ?Fail {
    const prio = (op.num(0) << sys.IOPRIO_CLASS_SHIFT) | op.num(1);
    return chk(sys.syscall3(.ioprio_set, sys.IOPRIO_WHO_PROCESS, 0, prio), "ioprio_set");
}

/// KEYRING: a session keyring of the container's own (named str 0), so it never sees the
/// host's keys.
pub fn keyring(op: plan.Op) ?Fail {
    const rc = sys.syscall2(.keyctl, sys.KEYCTL_JOIN_SESSION_KEYRING, sys.ptr(op.str(0).p));
    // Kernels without keys (ENOSYS) or a seccomp profile that refuses keyctl: carry on.
    if (sys.errnoOf(rc) == sys.errno(.NOSYS) or sys.errnoOf(rc) == sys.errno(.PERM)) return null;
    return chk(rc, "join a new session keyring");
}

/// SIGNALS_RESET: every disposition back to default and nothing blocked, as a fresh process
/// has them (the launch blocked all signals until now).
pub fn signalsReset() void {
    var sig: usize = 1;
    const act = [4]usize{ 0, 0, 0, 0 }; // SIG_DFL, flags 0, no restorer, empty mask
    while (sig <= 64) : (sig += 1) {
        if (sig == linux.SIG.KILL or sig == linux.SIG.STOP) continue;
        _ = sys.syscall4(.rt_sigaction, sig, sys.ptr(&act), 0, 8); // 8: the kernel's sigset_t
    }
    const empty: u64 = 0;
    _ = sys.syscall4(.rt_sigprocmask, linux.SIG.SETMASK, sys.ptr(&empty), 0, 8);
}

/// CHDIR to str 0; num 0 = 1 makes it first when it is missing.
pub fn chdir(op: plan.Op) ?Fail {
    const dir = op.str(0);
    const rc = sys.syscall1(.chdir, sys.ptr(dir.p));
    if (sys.errnoOf(rc) != sys.errno(.NOENT) or op.num(0) != 1) return chk(rc, "chdir");
    // num 0 = 1: make the missing directories (0755), then enter.
    if (paths.mkdirs(dir, true, "cwd", "mkdir")) |f| return f;
    return chk(sys.syscall1(.chdir, sys.ptr(dir.p)), "chdir");
}

/// Finds args[0] along PATH inside the container, as execvp would, so a missing binary
/// fails `create` instead of surfacing after `start`.
pub fn resolveExec(arg0s: plan.Str, path_env: plan.Str) ?Fail {
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
    var it = std.mem.splitScalar(u8, path_env.p[0..path_env.len], ':');
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

/// EXEC the file RESOLVE_EXEC found. strs: argv (num 0 of them), then envp.
pub fn exec(op: plan.Op) ?Fail {
    const v = vectors(op, 0, @intCast(op.num(0))) orelse return .{ .errno = sys.errno(.NOMEM), .detail = "argv and envp" };
    const rc = sys.syscall3(.execve, sys.ptr(&exec_path), sys.ptr(v.argv), sys.ptr(v.envp));
    return chk(rc, "execve");
}

pub const Vectors = struct { argv: [*]?[*:0]const u8, envp: [*]?[*:0]const u8 };

/// argv and envp for execve from an op's strings: `skip` leading ones, then `argc` of argv,
/// the rest envp. The pointer arrays live in an anonymous mapping sized from the plan, so
/// there is no limit but the kernel's (no allocator: one mmap the execve discards).
pub fn vectors(op: plan.Op, skip: usize, argc: usize) ?Vectors {
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
