//! The init's mounts: the rootfs (open, pivot_root or move, or chroot), mounts by plain path
//! and mounts below the rootfs through fds (child_paths.zig), the idmapped trees idmap.zig
//! made, masked paths, and the device nodes and links the config adds to /dev.
const std = @import("std");
const sys = @import("sys.zig");
const plan = @import("plan.zig");
const fail = @import("fail.zig");
const linux = std.os.linux;
const Fail = fail.Fail;
const chk = fail.chk;
const paths = @import("child_paths.zig");
const fds = @import("child_fds.zig");
const idmap = @import("idmap.zig");

/// The verified null device masks bind from (0 until the first masked file).
var null_fd: usize = 0;
var path_a: [32]u8 = undefined;
var path_b: [32]u8 = undefined;

/// OPEN_ROOT: the rootfs (str 0) as an O_PATH fd, for everything below it.
pub fn openRoot(op: plan.Op) ?Fail {
    const fd = sys.syscall4(.openat, sys.AT_FDCWD, sys.ptr(op.str(0).p), sys.O_PATH | sys.O_DIRECTORY | sys.O_CLOEXEC, 0);
    if (chk(fd, "open rootfs")) |f| return f;
    paths.root_fd = fd;
    return null;
}

/// PIVOT: the rootfs becomes "/" and the old root is detached from under it.
pub fn pivot() ?Fail {
    if (chk(sys.syscall1(.fchdir, paths.root_fd), "fchdir(rootfs)")) |f| return f;
    if (chk(sys.syscall2(.pivot_root, sys.ptr("."), sys.ptr(".")), "pivot_root")) |f| return f;
    if (chk(sys.syscall2(.umount2, sys.ptr("."), linux.MNT.DETACH), "umount old root")) |f| return f;
    return chk(sys.syscall1(.chdir, sys.ptr("/")), "chdir(/)");
}

/// MOVE_ROOT: the rootfs moved onto "/" and chrooted into (no pivot_root: an initramfs).
pub fn moveRoot() ?Fail {
    if (chk(sys.syscall1(.fchdir, paths.root_fd), "fchdir(rootfs)")) |f| return f;
    if (chk(sys.syscall5(.mount, sys.ptr("."), sys.ptr("/"), 0, linux.MS.MOVE, 0), "mount --move rootfs /")) |f| return f;
    if (chk(sys.syscall1(.chroot, sys.ptr(".")), "chroot")) |f| return f;
    return chk(sys.syscall1(.chdir, sys.ptr("/")), "chdir(/)");
}

/// CHROOT, in the runtime's own mount namespace (none in the config): pivot_root or a move
/// onto "/" would change that namespace's root, so the init only changes its own.
pub fn chroot() ?Fail {
    if (chk(sys.syscall1(.fchdir, paths.root_fd), "fchdir(rootfs)")) |f| return f;
    if (chk(sys.syscall1(.chroot, sys.ptr(".")), "chroot")) |f| return f;
    return chk(sys.syscall1(.chdir, sys.ptr("/")), "chdir(/)");
}

/// MOUNT, by plain path. strs: source, target, fstype, data; nums: flags, missing ok (1).
pub fn mount(op: plan.Op) ?Fail {
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
}

/// MOUNT_IN_ROOT. strs: source, destination (relative to the rootfs), fstype, data.
/// nums: flags, propagation flags, mkdir kind (0 none, 1 dir, 2 file), bind (1), remount flags.
pub fn mountInRoot(op: plan.Op) ?Fail {
    const src = op.str(0);
    const dst = op.str(1);
    const fstype = op.str(2);
    const data = op.str(3);
    const dfd = switch (paths.openDest(dst, op.num(2))) {
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
    const nfd = paths.openInRoot(dst.p, sys.O_PATH);
    if (chk(nfd, "reopen mount destination")) |f| return f;
    defer if (keep == 0) sys.close(nfd);
    if (keep != 0) fds.keep(keep, nfd);
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

/// MOUNT_TREE: moves the idmapped tree IDMAP_TREE made onto its destination in the rootfs.
/// nums: tree index, mkdir kind (0 none, 1 dir, 2 file). strs: destination (relative).
pub fn mountTree(op: plan.Op) ?Fail {
    const tree = idmap.take(op.num(0));
    if (tree == 0) return .{ .errno = sys.errno(.BADF), .detail = "no idmapped tree at that index" };
    defer sys.close(tree);
    const dfd = switch (paths.openDest(op.str(0), op.num(1))) {
        .fd => |fd| fd,
        .fail => |f| return f,
    };
    defer sys.close(dfd);
    // Both ends by fd: no path is resolved again.
    return chk(sys.syscall5(.move_mount, tree, sys.ptr(""), dfd, sys.ptr(""), sys.MOVE_MOUNT_F_EMPTY_PATH | sys.MOVE_MOUNT_T_EMPTY_PATH), "move_mount (idmapped tree)");
}

/// SETATTR_SLOT: changes a mount made earlier through the fd kept then (slot num 0; attr set,
/// clear: nums 1, 2), never by its path, which the rootfs could have redirected since.
pub fn setattrSlot(op: plan.Op) ?Fail {
    const fd = fds.take(op.num(0));
    if (fd == 0) return .{ .errno = sys.errno(.BADF), .detail = "no mount kept in that slot" };
    var attr = sys.MountAttr{ .set = op.num(1), .clr = op.num(2) };
    const rc = sys.syscall5(.mount_setattr, fd, sys.ptr(""), linux.AT.EMPTY_PATH, sys.ptr(&attr), @sizeOf(sys.MountAttr));
    sys.close(fd);
    return chk(rc, "mount_setattr");
}

/// MASK_PATH: a directory is hidden under an empty read-only tmpfs, anything else under the
/// null device: one we opened without following links and checked is char 1:3, bound
/// through its fd, never the image's /dev/null by path (it may be a link).
pub fn maskPath(op: plan.Op) ?Fail {
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
}

/// MKNOD. str: path; nums: mode (with the file type), device number, uid, gid.
pub fn mknod(op: plan.Op) ?Fail {
    const path = op.str(0);
    const p = path.p;
    // Parents as runc makes them (/dev/net/tun, /dev/cpu/0/cpuid): 0755, each one.
    if (paths.mkdirs(path, false, "device path", "mkdir device parent")) |f| return f;
    const rc = sys.syscall4(.mknodat, sys.AT_FDCWD, sys.ptr(p), op.num(0), op.num(1));
    if (sys.errnoOf(rc) == sys.errno(.EXIST)) return null; // the image ships the node
    if (chk(rc, "mknod")) |f| return f;
    // The mode exactly as configured: mknod applied our umask to it.
    if (chk(sys.syscall4(.fchmodat, sys.AT_FDCWD, sys.ptr(p), op.num(0) & 0o7777, 0), "chmod device")) |f| return f;
    return chk(sys.syscall5(.fchownat, sys.AT_FDCWD, sys.ptr(p), op.num(2), op.num(3), linux.AT.SYMLINK_NOFOLLOW), "chown device");
}

/// SYMLINK. strs: target, link path; a link already there is left alone.
pub fn symlink(op: plan.Op) ?Fail {
    const rc = sys.syscall3(.symlinkat, sys.ptr(op.str(0).p), sys.AT_FDCWD, sys.ptr(op.str(1).p));
    if (sys.errnoOf(rc) == sys.errno(.EXIST)) return null;
    return chk(rc, "symlink");
}
