//! Idmapped bind mounts. The tree is made by drun-init before it forks the init proper, while
//! it still runs as the host's root in the host's namespaces: `mount_setattr(MOUNT_ATTR_IDMAP)`
//! needs CAP_SYS_ADMIN over the source's superblock, which the init lacks once inside its user
//! namespace. The mapping's user namespace is a throwaway child's, whose maps are written from
//! here. The detached tree is inherited by the init (a fork copies the fd table), which moves it
//! onto its destination inside the rootfs (child_mount.zig, MOUNT_TREE).
const std = @import("std");
const sys = @import("sys.zig");
const linux = std.os.linux;
const plan = @import("plan.zig");
const fail = @import("fail.zig");
const Fail = fail.Fail;
const chk = fail.chk;

/// Detached trees by the index the plan gives them; 0 is "none" (fd 0 is stdin, never a tree).
var trees: [64]usize = [_]usize{0} ** 64;
var path_buf: [64]u8 = undefined;

/// "/proc/<pid>/<file>" in path_buf.
fn procPath(pid: usize, file: []const u8) [*:0]const u8 {
    const head = "/proc/";
    @memcpy(path_buf[0..head.len], head);
    var digits: [20]u8 = undefined;
    var n: usize = 0;
    var v = pid;
    while (true) {
        digits[n] = @intCast('0' + v % 10);
        n += 1;
        v /= 10;
        if (v == 0) break;
    }
    var at: usize = head.len;
    while (n > 0) : (at += 1) {
        n -= 1;
        path_buf[at] = digits[n];
    }
    path_buf[at] = '/';
    at += 1;
    @memcpy(path_buf[at .. at + file.len], file);
    path_buf[at + file.len] = 0;
    return @ptrCast(&path_buf);
}

fn writeProc(pid: usize, file: []const u8, text: plan.Str, detail: []const u8) ?Fail {
    const fd = sys.syscall4(.openat, sys.AT_FDCWD, sys.ptr(procPath(pid, file)), sys.O_WRONLY | sys.O_CLOEXEC, 0);
    if (chk(fd, detail)) |f| return f;
    defer sys.close(fd);
    const n = sys.syscall3(.write, fd, sys.ptr(text.p), text.len);
    if (chk(n, detail)) |f| return f;
    if (n != text.len) return .{ .errno = sys.errno(.IO), .detail = detail }; // a map is one write
    return null;
}

/// A user namespace holding the maps `uid_map`/`gid_map` (text in /proc's format), as an fd.
fn mappedUserns(uid_map: plan.Str, gid_map: plan.Str) union(enum) { fd: usize, fail: Fail } {
    const parent = sys.syscall0(.getpid);
    const pid = sys.syscall5(.clone, linux.CLONE.NEWUSER | linux.SIG.CHLD, 0, 0, 0, 0);
    if (chk(pid, "clone a user namespace for the id mapping")) |f| return .{ .fail = f };
    if (pid == 0) {
        // The namespace's only member: it only has to exist until its maps and fd are taken,
        // and must not outlive us if we are killed first.
        _ = sys.syscall2(.prctl, sys.pr(.SET_PDEATHSIG), linux.SIG.KILL);
        if (sys.syscall0(.getppid) != parent) sys.exit(0);
        while (true) _ = sys.syscall0(.pause);
    }
    defer {
        _ = sys.syscall2(.kill, pid, linux.SIG.KILL);
        _ = sys.syscall4(.wait4, pid, 0, 0, 0);
    }
    if (writeProc(pid, "uid_map", uid_map, "write the mount's uid_map")) |f| return .{ .fail = f };
    if (writeProc(pid, "gid_map", gid_map, "write the mount's gid_map")) |f| return .{ .fail = f };
    const fd = sys.syscall4(.openat, sys.AT_FDCWD, sys.ptr(procPath(pid, "ns/user")), sys.O_RDONLY | sys.O_CLOEXEC, 0);
    if (chk(fd, "open the mapping's user namespace")) |f| return .{ .fail = f };
    return .{ .fd = fd };
}

/// IDMAP_TREE. nums: index, open_tree flags (AT_RECURSIVE for rbind), mount_setattr flags
/// (AT_RECURSIVE for ridmap), attr_set, attr_clr, propagation. strs: source, uid_map, gid_map.
pub fn makeTree(op: plan.Op) ?Fail {
    const idx: usize = @intCast(op.num(0));
    if (idx >= trees.len) return .{ .errno = sys.errno(.INVAL), .detail = "bind tree index" };
    // No maps: a plain clone of the source, made here only because the host's root can reach
    // it (inside the container's user namespace its path may be closed to the mapped root).
    const plain = op.str(1).len == 0 and op.str(2).len == 0;
    var userns: usize = 0;
    if (!plain) {
        userns = switch (mappedUserns(op.str(1), op.str(2))) {
            .fd => |fd| fd,
            .fail => |f| return f,
        };
    }
    defer if (userns != 0) sys.close(userns);
    const tree = sys.syscall3(.open_tree, sys.AT_FDCWD, sys.ptr(op.str(0).p), sys.OPEN_TREE_CLONE | sys.OPEN_TREE_CLOEXEC | op.num(1));
    if (chk(tree, "open_tree (bind source)")) |f| return f;
    if (plain and op.num(3) == 0 and op.num(4) == 0 and op.num(5) == 0) {
        trees[idx] = tree;
        return null;
    }
    var attr = sys.MountAttr{
        .set = (if (plain) 0 else sys.MOUNT_ATTR_IDMAP) | op.num(3),
        .clr = op.num(4),
        .propagation = op.num(5),
        .userns_fd = userns,
    };
    const rc = sys.syscall5(.mount_setattr, tree, sys.ptr(""), linux.AT.EMPTY_PATH | op.num(2), sys.ptr(&attr), @sizeOf(sys.MountAttr));
    if (chk(rc, "mount_setattr (idmap; EINVAL: this filesystem cannot be idmapped)")) |f| {
        sys.close(tree);
        return f;
    }
    trees[idx] = tree;
    return null;
}

/// The tree made at `idx`, now owned by the caller (0 when there is none).
pub fn take(idx: u64) usize {
    if (idx >= trees.len) return 0;
    const fd = trees[@intCast(idx)];
    trees[@intCast(idx)] = 0;
    return fd;
}
