//! The probe's actions other than `report`: raw syscalls and syscall loops, files (write, cat,
//! open), memory and process limits (alloc, fork) and signals. Each prints one JSON line.
const std = @import("std");
const linux = std.os.linux;
const ps = @import("probe_sys.zig");
const out = @import("probe_out.zig");
const parse = @import("probe_parse.zig");
const nr = ps.nr;
const sys = ps.sys;
const sys3 = ps.sys3;
const errnoOf = ps.errnoOf;
const ptr = ps.ptr;
const exit = ps.exit;
const sleepNs = ps.sleepNs;
const monoNs = ps.monoNs;
const openat = ps.openat;
const close = ps.close;
const O_RDONLY = ps.O_RDONLY;
const O_WRONLY = ps.O_WRONLY;
const O_CREAT = ps.O_CREAT;
const O_TRUNC = ps.O_TRUNC;
const O_CLOEXEC = ps.O_CLOEXEC;
const EINTR = ps.EINTR;
const put = out.put;
const putc = out.putc;
const fmtU = out.fmtU;
const putU = out.putU;
const putI = out.putI;
const putStr = out.putStr;
const putStrZ = out.putStrZ;
const flush = out.flush;
const writeAll = out.writeAll;
const usage = out.usage;
const parseNum = parse.parseNum;

const syscall_names = [_]struct { []const u8, usize }{
    .{ "mount", nr(.mount) },     .{ "umount2", nr(.umount2) },
    .{ "unshare", nr(.unshare) }, .{ "keyctl", nr(.keyctl) },
    .{ "clone3", nr(.clone3) },   .{ "getpid", nr(.getpid) },
    .{ "chmod", nr(.chmod) },     .{ "mkdir", nr(.mkdir) },
    .{ "mkdirat", nr(.mkdirat) }, .{ "personality", nr(.personality) },
    .{ "setns", nr(.setns) },     .{ "reboot", nr(.reboot) },
};

pub fn syscallNr(s: []const u8) u64 {
    for (syscall_names) |e| {
        if (std.mem.eql(u8, s, e[0])) return e[1];
    }
    return parseNum(s) orelse usage("bad syscall ", s);
}

pub fn num(s: []const u8) u64 {
    return parseNum(s) orelse usage("bad number ", s);
}

/// Print {"action":A,"errno":E} to stdout and exit 1.
fn failErrno(action: []const u8, e: usize) noreturn {
    out.discard();
    put("{\"action\":");
    putStr(action);
    put(",\"errno\":");
    putU(e);
    put("}\n");
    flush(1);
    exit(1);
}

pub fn actWrite(path: [*:0]const u8, content: []const u8) void {
    const fd = openat(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644);
    if (errnoOf(fd) != 0) failErrno("write", errnoOf(fd));
    const e = writeAll(fd, content);
    close(fd);
    if (e != 0) failErrno("write", e);
}

pub fn actCat(path: [*:0]const u8) void {
    const fd = openat(path, O_RDONLY | O_CLOEXEC, 0);
    if (errnoOf(fd) != 0) failErrno("cat", errnoOf(fd));
    while (true) {
        const r = sys3(nr(.read), fd, ptr(&ps.file_buf), ps.file_buf.len);
        const e = errnoOf(r);
        if (e == EINTR) continue;
        if (e != 0) failErrno("cat", e);
        if (r == 0) break;
        _ = writeAll(1, ps.file_buf[0..r]);
    }
    close(fd);
}

pub fn actSyscall(argv: []const [*:0]u8, i: *usize) void {
    const n = syscallNr(std.mem.span(argv[i.*]));
    i.* += 1;
    var args = [6]usize{ 0, 0, 0, 0, 0, 0 };
    var k: usize = 0;
    // Arguments are the following words that look like numbers or @s: strings.
    while (k < 6 and i.* < argv.len) : (k += 1) {
        const s = std.mem.span(argv[i.*]);
        if (std.mem.startsWith(u8, s, "@s:")) {
            args[k] = ptr(argv[i.*]) + 3;
        } else if (parseNum(s)) |v| {
            args[k] = v;
        } else break;
        i.* += 1;
    }
    const r = sys(n, args[0], args[1], args[2], args[3], args[4], args[5]);
    const e = errnoOf(r);
    put("{\"syscall\":");
    putU(n);
    put(",\"ret\":");
    putI(if (e != 0) -1 else @bitCast(r));
    put(",\"errno\":");
    putU(e);
    put("}\n");
}

pub fn actLoop(n: u64, count: u64) void {
    const t0 = monoNs();
    var k: u64 = 0;
    while (k < count) : (k += 1) _ = sys(n, 0, 0, 0, 0, 0, 0);
    const dt = monoNs() - t0;
    // ns per call with three decimals
    const milli: u64 = if (count == 0) 0 else @intCast(@as(u128, dt) * 1000 / count);
    put("{\"loop\":");
    putU(n);
    put(",\"count\":");
    putU(count);
    put(",\"ns_per_call\":");
    putU(milli / 1000);
    putc('.');
    const f = milli % 1000;
    putc('0' + @as(u8, @intCast(f / 100)));
    putc('0' + @as(u8, @intCast(f / 10 % 10)));
    putc('0' + @as(u8, @intCast(f % 10)));
    put("}\n");
}

pub fn actAlloc(mib: u64) void {
    if (mib == 0) {
        put("{\"alloc\":0,\"ok\":true}\n");
        return;
    }
    const len = std.math.mul(u64, mib, 1 << 20) catch std.math.maxInt(u64);
    const prot = linux.PROT.READ | linux.PROT.WRITE;
    const flags: u32 = @bitCast(linux.MAP{ .TYPE = .PRIVATE, .ANONYMOUS = true });
    const addr = sys(nr(.mmap), 0, len, prot, flags, @bitCast(@as(isize, -1)), 0);
    put("{\"alloc\":");
    putU(mib);
    const e = errnoOf(addr);
    if (e != 0) {
        put(",\"ok\":false,\"errno\":");
        putU(e);
        put("}\n");
        flush(1);
        exit(1);
    }
    // Touch every page; the mapping is kept until the process exits.
    const p: [*]volatile u8 = @ptrFromInt(addr);
    var off: u64 = 0;
    while (off < len) : (off += 4096) p[off] = 1;
    put(",\"ok\":true}\n");
}

var child_pids: [16384]u32 = undefined;

pub fn actFork(n: u64) void {
    var ok: usize = 0;
    var first_err: usize = 0;
    while (ok < n) {
        if (ok == child_pids.len) {
            first_err = @intFromEnum(linux.E.AGAIN); // our own table is full
            break;
        }
        const r = sys(nr(.clone), linux.SIG.CHLD, 0, 0, 0, 0, 0);
        const e = errnoOf(r);
        if (e == EINTR) continue;
        if (e != 0) {
            first_err = e;
            break;
        }
        if (r == 0) {
            sleepNs(5_000_000_000);
            exit(0);
        }
        child_pids[ok] = @intCast(r);
        ok += 1;
    }
    put("{\"fork\":");
    putU(n);
    put(",\"ok\":");
    putU(ok);
    put(",\"errno\":");
    putU(first_err);
    put("}\n");
    flush(1);
    for (child_pids[0..ok]) |pid| _ = sys3(nr(.kill), pid, linux.SIG.KILL, 0);
    for (child_pids[0..ok]) |pid| {
        var st: u32 = 0;
        while (errnoOf(sys(nr(.wait4), pid, ptr(&st), 0, 0, 0, 0)) == EINTR) {}
    }
}

fn onSignal(sig: i32) callconv(.c) void {
    var b: [40]u8 = undefined;
    const pre = "{\"signal\":";
    @memcpy(b[0..pre.len], pre);
    var tmp: [20]u8 = undefined;
    const d = fmtU(&tmp, @intCast(sig));
    @memcpy(b[pre.len..][0..d.len], d);
    b[pre.len + d.len] = '}';
    b[pre.len + d.len + 1] = '\n';
    _ = writeAll(1, b[0 .. pre.len + d.len + 2]);
    exit(128 + @as(usize, @intCast(sig)));
}

const KSigaction = extern struct {
    handler: usize,
    flags: u64,
    restorer: usize,
    mask: u64,
};

pub fn actSignal() noreturn {
    // Catch every signal except those that cannot be caught and those
    // ignored by default (CHLD, CONT, URG, WINCH); each caught signal prints
    // {"signal":N} and exits with 128+N.
    const sa = KSigaction{
        .handler = @intFromPtr(&onSignal),
        .flags = linux.SA.RESTORER,
        .restorer = @intFromPtr(&linux.restore_rt),
        .mask = std.math.maxInt(u64),
    };
    var sig: usize = 1;
    while (sig <= 64) : (sig += 1) {
        switch (sig) {
            linux.SIG.KILL, linux.SIG.STOP, linux.SIG.CHLD, linux.SIG.CONT, linux.SIG.URG, linux.SIG.WINCH => continue,
            else => _ = sys(nr(.rt_sigaction), sig, ptr(&sa), 0, 8, 0, 0),
        }
    }
    const empty: u64 = 0;
    _ = sys(nr(.rt_sigprocmask), linux.SIG.SETMASK, ptr(&empty), 0, 8, 0, 0);
    put("{\"ready\":true}\n");
    flush(1);
    while (true) _ = sys3(nr(.pause), 0, 0, 0);
}

pub fn actOpen(path: [*:0]const u8, flags: u64) void {
    const fd = openat(path, flags, 0o644);
    const e = errnoOf(fd);
    put("{\"open\":");
    putStrZ(path);
    put(",\"fd\":");
    putI(if (e != 0) -1 else @intCast(fd));
    put(",\"errno\":");
    putU(e);
    put("}\n");
}
