//! Paths the init resolves and makes: below the rootfs without ever leaving it (openat2 with
//! RESOLVE_IN_ROOT from the rootfs fd, so a symlink or ".." swapped into the image cannot
//! redirect a mount), and mkdir -p of plain paths once the container's root is ours.
const sys = @import("sys.zig");
const plan = @import("plan.zig");
const fail = @import("fail.zig");
const Fail = fail.Fail;
const chk = fail.chk;

/// The rootfs as an O_PATH fd (OPEN_ROOT), what every path below the root resolves from.
pub var root_fd: usize = 0;
/// One path component after another, NUL-terminated, for the mkdir loops.
var comp_buf: [4096]u8 = undefined;

/// Opens `rel` below the rootfs without letting any symlink or ".." leave it.
pub fn openInRoot(rel: [*:0]const u8, flags: u64) usize {
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
pub fn openDest(dst: plan.Str, kind: u64) union(enum) { fd: usize, fail: Fail } {
    if (kind != 0) if (mkdirInRoot(dst.p[0..dst.len], kind == 2)) |f| return .{ .fail = f };
    const dfd = openInRoot(dst.p, sys.O_PATH);
    if (chk(dfd, "open mount destination")) |f| return .{ .fail = f };
    return .{ .fd = dfd };
}

/// mkdir -p (0755) by plain path: each parent of `path`, and `path` itself when `with_last`;
/// what exists already is fine. `long` and `failed` name the path in a failure. Inline: out of
/// line, called from its two ops, it made drun-init some 400 bytes larger.
pub inline fn mkdirs(path: plan.Str, with_last: bool, long: []const u8, failed: []const u8) ?Fail {
    const end = if (with_last) path.len + 1 else path.len;
    var i: usize = 1;
    while (i < end) : (i += 1) {
        if (i != path.len and path.p[i] != '/') continue;
        if (i >= comp_buf.len) return .{ .errno = sys.errno(.NAMETOOLONG), .detail = long };
        @memcpy(comp_buf[0..i], path.p[0..i]);
        comp_buf[i] = 0;
        const mk = sys.syscall3(.mkdirat, sys.AT_FDCWD, sys.ptr(&comp_buf), 0o755);
        if (sys.errnoOf(mk) != 0 and sys.errnoOf(mk) != sys.errno(.EXIST)) return .{ .errno = sys.errnoOf(mk), .detail = failed };
    }
    return null;
}
