//! The fd-level half of a seccomp notify agent: a listening unix socket, receiving the
//! listener fd with SCM_RIGHTS, and the SECCOMP_IOCTL_NOTIF_* calls. Deno cannot pass or
//! receive fds on its own sockets, so these few calls live here; policy stays in TypeScript.
const std = @import("std");
const sys = @import("sys.zig");
const linux = std.os.linux;
const NOTIF = linux.SECCOMP.IOCTL_NOTIF;

const waitReadable = sys.waitReadable;

/// Creates a listening SOCK_STREAM unix socket at path (removing nothing: the caller does).
export fn drun_unix_listen(path: [*:0]const u8, backlog: i32) i64 {
    const s = sys.syscall3(.socket, linux.AF.UNIX, linux.SOCK.STREAM | linux.SOCK.CLOEXEC, 0);
    if (sys.errnoOf(s) != 0) return -@as(i64, sys.errnoOf(s));
    var addr: [110]u8 = [_]u8{0} ** 110;
    addr[0] = linux.AF.UNIX;
    const len = sys.strlen(path);
    if (len > 107) {
        sys.close(s);
        return -sys.errno(.NAMETOOLONG);
    }
    @memcpy(addr[2..][0..len], path[0..len]);
    var rc = sys.syscall3(.bind, s, sys.ptr(&addr), 2 + len + 1);
    if (sys.errnoOf(rc) == 0) rc = sys.syscall2(.listen, s, @intCast(backlog));
    if (sys.errnoOf(rc) != 0) {
        sys.close(s);
        return -@as(i64, sys.errnoOf(rc));
    }
    return @intCast(s);
}

/// Accepts one connection, waiting at most timeout_ms. The fd, 0 on timeout (never a valid
/// accepted fd here), or -errno.
export fn drun_accept(fd: i32, timeout_ms: i32) i64 {
    const r = waitReadable(fd, timeout_ms);
    if (r <= 0) return r;
    const c = sys.syscall4(.accept4, @intCast(fd), 0, 0, linux.SOCK.CLOEXEC);
    if (sys.errnoOf(c) != 0) return -@as(i64, sys.errnoOf(c));
    return @intCast(c);
}

/// Receives bytes and at most one fd (extra fds are closed). out_fd gets the fd or -1.
/// Returns bytes read (0 at EOF), -110 on timeout, or -errno.
export fn drun_recv_with_fd(fd: i32, buf: [*]u8, len: usize, out_fd: *i32, timeout_ms: i32) i64 {
    out_fd.* = -1;
    const r = waitReadable(fd, timeout_ms);
    if (r == 0) return -sys.errno(.TIMEDOUT);
    if (r < 0 and r != -1000) return r;
    var iov = [1]extern struct { base: [*]u8, len: usize }{.{ .base = buf, .len = len }};
    var cbuf: [16 + 4 * 16]u8 align(8) = undefined;
    var msg = extern struct {
        name: usize = 0,
        namelen: u32 = 0,
        _p: u32 = 0,
        iov: usize,
        iovlen: usize = 1,
        control: usize,
        controllen: usize,
        flags: i32 = 0,
        _p2: u32 = 0,
    }{ .iov = sys.ptr(&iov), .control = sys.ptr(&cbuf), .controllen = cbuf.len };
    const n = sys.syscall3(.recvmsg, @intCast(fd), sys.ptr(&msg), linux.MSG.CMSG_CLOEXEC);
    if (sys.errnoOf(n) != 0) return -@as(i64, sys.errnoOf(n));
    if (msg.controllen >= 20) {
        const clen = std_readU64(&cbuf, 0);
        const level = std_readI32(&cbuf, 8);
        const typ = std_readI32(&cbuf, 12);
        if (level == linux.SOL.SOCKET and typ == sys.SCM_RIGHTS and clen >= 20) {
            const nfds = (clen - 16) / 4;
            var i: usize = 0;
            while (i < nfds) : (i += 1) {
                const f = std_readI32(&cbuf, 16 + 4 * i);
                if (i == 0) out_fd.* = f else sys.close(@intCast(f));
            }
        }
    }
    return @intCast(n);
}

fn std_readU64(b: []const u8, at: usize) u64 {
    var v: u64 = 0;
    var i: usize = 8;
    while (i > 0) : (i -= 1) v = (v << 8) | b[at + i - 1];
    return v;
}

fn std_readI32(b: []const u8, at: usize) i32 {
    var v: u32 = 0;
    var i: usize = 4;
    while (i > 0) : (i -= 1) v = (v << 8) | b[at + i - 1];
    return @bitCast(v);
}

/// Waits for and receives one notification into buf (struct seccomp_notif, 80 bytes).
/// 0 ok, -110 timeout, -1000 when every filtered task is gone (POLLHUP), or -errno.
export fn drun_notif_recv(fd: i32, buf: [*]u8, timeout_ms: i32) i64 {
    const r = waitReadable(fd, timeout_ms);
    if (r == 0) return -sys.errno(.TIMEDOUT);
    if (r < 0) return r;
    var i: usize = 0;
    while (i < 80) : (i += 1) buf[i] = 0;
    const rc = sys.syscall3(.ioctl, @intCast(fd), NOTIF.RECV, sys.ptr(buf));
    return -@as(i64, sys.errnoOf(rc));
}

/// Answers notification id: error (negative errno or 0), val, flags (1 = CONTINUE).
export fn drun_notif_send(fd: i32, id: u64, val: i64, err: i32, flags: u32) i32 {
    var resp = extern struct { id: u64, val: i64, err: i32, flags: u32 }{ .id = id, .val = val, .err = err, .flags = flags };
    return -sys.errnoOf(sys.syscall3(.ioctl, @intCast(fd), NOTIF.SEND, sys.ptr(&resp)));
}

/// 0 while notification id is still pending (the target has not been killed or moved on).
export fn drun_notif_id_valid(fd: i32, id: u64) i32 {
    var v = id;
    return -sys.errnoOf(sys.syscall3(.ioctl, @intCast(fd), NOTIF.ID_VALID, sys.ptr(&v)));
}

/// Installs srcfd into the target's fd table; returns the target's fd number or -errno.
export fn drun_notif_addfd(fd: i32, id: u64, srcfd: i32, newfd: i32, flags: u32) i64 {
    var a = extern struct { id: u64, flags: u32, srcfd: u32, newfd: u32, newfd_flags: u32 }{
        .id = id,
        .flags = flags,
        .srcfd = @bitCast(srcfd),
        .newfd = @bitCast(newfd),
        .newfd_flags = sys.O_CLOEXEC,
    };
    const rc = sys.syscall3(.ioctl, @intCast(fd), NOTIF.ADDFD, sys.ptr(&a));
    if (sys.errnoOf(rc) != 0) return -@as(i64, sys.errnoOf(rc));
    return @intCast(rc);
}
