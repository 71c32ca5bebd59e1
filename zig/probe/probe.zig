//! probe: a tiny static, libc-free Linux x86_64 program that drun's tests put
//! into a container rootfs (as /probe) and run as the container process.
//!
//! argv[1..] is a list of actions run in order; no arguments means `report`.
//! Every action's output is buffered and flushed with one write() when the
//! action ends. See README.md for the list of actions and their output.

const std = @import("std");
const linux = std.os.linux;

// Smallest possible panic handler: every safety check becomes a trap.
pub const panic = std.debug.no_panic;

// ---------------------------------------------------------------------------
// Raw syscalls (x86_64). Syscall numbers come from std's table.

fn nr(comptime name: @TypeOf(.enum_literal)) usize {
    return @intFromEnum(@field(linux.SYS, @tagName(name)));
}

fn sys(n: usize, a: usize, b: usize, c: usize, d: usize, e: usize, f: usize) usize {
    return asm volatile ("syscall"
        : [ret] "={rax}" (-> usize),
        : [n] "{rax}" (n),
          [a] "{rdi}" (a),
          [b] "{rsi}" (b),
          [c] "{rdx}" (c),
          [d] "{r10}" (d),
          [e] "{r8}" (e),
          [f] "{r9}" (f),
        : "rcx", "r11", "memory"
    );
}

fn sys3(n: usize, a: usize, b: usize, c: usize) usize {
    return sys(n, a, b, c, 0, 0, 0);
}

/// errno of a raw syscall result, 0 on success.
fn errnoOf(r: usize) usize {
    return if (r > std.math.maxInt(usize) - 4095) 0 -% r else 0;
}

fn ptr(p: anytype) usize {
    return @intFromPtr(p);
}

/// open(2) flags as the raw syscall takes them (std's O is a packed struct).
fn oflags(comptime o: linux.O) usize {
    return @as(u32, @bitCast(o));
}

const AT_FDCWD: usize = @bitCast(@as(isize, linux.AT.FDCWD));
const O_RDONLY = oflags(.{});
const O_WRONLY = oflags(.{ .ACCMODE = .WRONLY });
const O_CREAT = oflags(.{ .CREAT = true });
const O_TRUNC = oflags(.{ .TRUNC = true });
const O_DIRECTORY = oflags(.{ .DIRECTORY = true });
const O_CLOEXEC = oflags(.{ .CLOEXEC = true });
const EINTR: usize = @intFromEnum(linux.E.INTR);

fn exit(code: usize) noreturn {
    _ = sys(nr(.exit_group), code, 0, 0, 0, 0, 0);
    unreachable;
}

fn sleepNs(ns: u64) void {
    var req = linux.timespec{ .sec = @intCast(ns / 1_000_000_000), .nsec = @intCast(ns % 1_000_000_000) };
    var rem: linux.timespec = undefined;
    while (errnoOf(sys3(nr(.nanosleep), ptr(&req), ptr(&rem), 0)) == EINTR) req = rem;
}

fn monoNs() u64 {
    var ts: linux.timespec = undefined;
    _ = sys3(nr(.clock_gettime), @intFromEnum(linux.CLOCK.MONOTONIC), ptr(&ts), 0);
    return @as(u64, @intCast(ts.sec)) * 1_000_000_000 + @as(u64, @intCast(ts.nsec));
}

// ---------------------------------------------------------------------------
// Output buffer and JSON helpers.

var obuf: [1 << 20]u8 = undefined;
var olen: usize = 0;

fn put(s: []const u8) void {
    const n = @min(s.len, obuf.len - olen);
    @memcpy(obuf[olen..][0..n], s[0..n]);
    olen += n;
}

fn putc(c: u8) void {
    if (olen < obuf.len) {
        obuf[olen] = c;
        olen += 1;
    }
}

fn fmtU(buf: *[20]u8, v: u64) []const u8 {
    var i: usize = buf.len;
    var x = v;
    while (true) {
        i -= 1;
        buf[i] = '0' + @as(u8, @intCast(x % 10));
        x /= 10;
        if (x == 0) break;
    }
    return buf[i..];
}

fn putU(v: u64) void {
    var tmp: [20]u8 = undefined;
    put(fmtU(&tmp, v));
}

fn putI(v: i64) void {
    if (v < 0) {
        putc('-');
        putU(0 -% @as(u64, @bitCast(v)));
    } else putU(@intCast(v));
}

const hexdig = "0123456789abcdef";

/// Length of the valid UTF-8 sequence at the start of s, 0 if invalid.
fn utf8Len(s: []const u8) usize {
    const n = std.unicode.utf8ByteSequenceLength(s[0]) catch return 0;
    if (n > s.len) return 0;
    _ = std.unicode.utf8Decode(s[0..n]) catch return 0;
    return n;
}

/// A JSON string. Invalid UTF-8 bytes are written as \u00XX.
fn putStr(s: []const u8) void {
    putc('"');
    var i: usize = 0;
    while (i < s.len) {
        const c = s[i];
        var n: usize = 1;
        switch (c) {
            '"' => put("\\\""),
            '\\' => put("\\\\"),
            '\n' => put("\\n"),
            '\r' => put("\\r"),
            '\t' => put("\\t"),
            0x20...0x21, 0x23...0x5b, 0x5d...0x7e => putc(c),
            else => {
                n = if (c >= 0x80) utf8Len(s[i..]) else 0;
                if (n == 0) {
                    put("\\u00");
                    putc(hexdig[c >> 4]);
                    putc(hexdig[c & 15]);
                    n = 1;
                } else put(s[i..][0..n]);
            },
        }
        i += n;
    }
    putc('"');
}

fn flush(fd: usize) void {
    var off: usize = 0;
    while (off < olen) {
        const r = sys3(nr(.write), fd, ptr(&obuf) + off, olen - off);
        const e = errnoOf(r);
        if (e == EINTR) continue;
        if (e != 0 or r == 0) break;
        off += r;
    }
    olen = 0;
}

/// Print {"error":"<a><b>"} to stderr and exit 2.
fn usage(a: []const u8, b: []const u8) noreturn {
    flush(1);
    put("{\"error\":");
    var tmp: [512]u8 = undefined;
    const n1 = @min(a.len, tmp.len);
    @memcpy(tmp[0..n1], a[0..n1]);
    const n2 = @min(b.len, tmp.len - n1);
    @memcpy(tmp[n1..][0..n2], b[0..n2]);
    putStr(tmp[0 .. n1 + n2]);
    put("}\n");
    flush(2);
    exit(2);
}

// ---------------------------------------------------------------------------
// File helpers.

fn openat(path: [*:0]const u8, flags: usize, mode: usize) usize {
    return sys(nr(.openat), AT_FDCWD, ptr(path), flags, mode, 0, 0);
}

fn close(fd: usize) void {
    _ = sys3(nr(.close), fd, 0, 0);
}

/// Read a whole (small) file into buf; null if it cannot be opened or read.
fn readFile(path: [*:0]const u8, buf: []u8) ?[]u8 {
    const fd = openat(path, O_RDONLY | O_CLOEXEC, 0);
    if (errnoOf(fd) != 0) return null;
    defer close(fd);
    var n: usize = 0;
    while (n < buf.len) {
        const r = sys3(nr(.read), fd, ptr(buf.ptr) + n, buf.len - n);
        const e = errnoOf(r);
        if (e == EINTR) continue;
        if (e != 0) return null;
        if (r == 0) break;
        n += r;
    }
    return buf[0..n];
}

fn trim(s: []const u8) []const u8 {
    return std.mem.trim(u8, s, " \t\r\n");
}

/// Value of "Name:" in /proc/self/status text.
fn statusField(status: ?[]const u8, name: []const u8) ?[]const u8 {
    const st = status orelse return null;
    var it = std.mem.splitScalar(u8, st, '\n');
    while (it.next()) |line| {
        if (line.len > name.len and line[name.len] == ':' and std.mem.startsWith(u8, line, name))
            return trim(line[name.len + 1 ..]);
    }
    return null;
}

// ---------------------------------------------------------------------------
// Number parsing.

/// Decimal, "0x" hex, optional leading '-' (two's complement).
fn parseNum(s: []const u8) ?u64 {
    var t = s;
    var neg = false;
    if (t.len > 0 and t[0] == '-') {
        neg = true;
        t = t[1..];
    }
    var base: u64 = 10;
    if (t.len > 2 and t[0] == '0' and (t[1] == 'x' or t[1] == 'X')) {
        base = 16;
        t = t[2..];
    }
    if (t.len == 0) return null;
    var v: u64 = 0;
    for (t) |c| {
        const d: u64 = switch (c) {
            '0'...'9' => c - '0',
            'a'...'f' => c - 'a' + 10,
            'A'...'F' => c - 'A' + 10,
            else => return null,
        };
        if (d >= base) return null;
        const m = @mulWithOverflow(v, base);
        if (m[1] != 0) return null;
        const a = @addWithOverflow(m[0], d);
        if (a[1] != 0) return null;
        v = a[0];
    }
    return if (neg) 0 -% v else v;
}

fn parseSigned(s: []const u8) ?i64 {
    return @bitCast(parseNum(s) orelse return null);
}

fn parseOctal(s: []const u8) ?u64 {
    if (s.len == 0) return null;
    var v: u64 = 0;
    for (s) |c| {
        if (c < '0' or c > '7') return null;
        v = v * 8 + (c - '0');
    }
    return v;
}

/// "SECS[.FRACTION]" -> nanoseconds (decimal only, e.g. "2", "0.2", ".5").
fn parseSecs(s: []const u8) ?u64 {
    var whole: u64 = 0;
    var frac: u64 = 0;
    var scale: u64 = 100_000_000;
    var digits: usize = 0;
    var in_frac = false;
    for (s) |c| {
        if (c == '.' and !in_frac) {
            in_frac = true;
            continue;
        }
        if (c < '0' or c > '9') return null;
        digits += 1;
        if (in_frac) {
            frac += (c - '0') * scale;
            scale /= 10;
        } else {
            whole = std.math.mul(u64, whole, 10) catch return null;
            whole = std.math.add(u64, whole, c - '0') catch return null;
        }
    }
    if (digits == 0) return null;
    const ns = std.math.mul(u64, whole, 1_000_000_000) catch return null;
    return std.math.add(u64, ns, frac) catch null;
}

// ---------------------------------------------------------------------------
// report

var status_buf: [32 << 10]u8 = undefined;
var file_buf: [1 << 20]u8 = undefined;
var unesc_buf: [8 << 10]u8 = undefined;
var groups_buf: [65536]u32 = undefined;
var fds_buf: [16384]u32 = undefined;
var dents_buf: [16 << 10]u8 align(8) = undefined;

const rlimit_names = [16][]const u8{
    "RLIMIT_CPU",      "RLIMIT_FSIZE", "RLIMIT_DATA",   "RLIMIT_STACK",
    "RLIMIT_CORE",     "RLIMIT_RSS",   "RLIMIT_NPROC",  "RLIMIT_NOFILE",
    "RLIMIT_MEMLOCK",  "RLIMIT_AS",    "RLIMIT_LOCKS",  "RLIMIT_SIGPENDING",
    "RLIMIT_MSGQUEUE", "RLIMIT_NICE",  "RLIMIT_RTPRIO", "RLIMIT_RTTIME",
};

const ns_names = [_][]const u8{ "mnt", "pid", "net", "ipc", "uts", "user", "cgroup", "time" };

const cap_fields = [_][2][]const u8{
    .{ "inh", "CapInh" }, .{ "prm", "CapPrm" }, .{ "eff", "CapEff" },
    .{ "bnd", "CapBnd" }, .{ "amb", "CapAmb" },
};

fn putStrZ(s: [*:0]const u8) void {
    putStr(std.mem.span(s));
}

fn putOptU(v: ?u64) void {
    if (v) |x| putU(x) else put("null");
}

fn putTriple(n: usize) void {
    var a: u32 = 0;
    var b: u32 = 0;
    var c: u32 = 0;
    _ = sys3(n, ptr(&a), ptr(&b), ptr(&c));
    putc('[');
    putU(a);
    putc(',');
    putU(b);
    putc(',');
    putU(c);
    putc(']');
}

/// Decode mountinfo's octal escapes (\040 etc.).
fn unescapeOctal(s: []const u8) []const u8 {
    var n: usize = 0;
    var i: usize = 0;
    while (i < s.len and n < unesc_buf.len) {
        const oct = if (s[i] == '\\' and i + 3 < s.len) parseOctal(s[i + 1 .. i + 4]) else null;
        if (oct) |v| {
            unesc_buf[n] = @truncate(v);
            i += 4;
        } else {
            unesc_buf[n] = s[i];
            i += 1;
        }
        n += 1;
    }
    return unesc_buf[0..n];
}

fn putMounts() void {
    const text = readFile("/proc/self/mountinfo", &file_buf) orelse {
        put("null");
        return;
    };
    putc('[');
    var first = true;
    var lines = std.mem.splitScalar(u8, text, '\n');
    while (lines.next()) |line| {
        var f: [5][]const u8 = undefined; // target, options, fstype, source, superopts
        var idx: usize = 0;
        var after_sep: usize = 0;
        var ok = false;
        var it = std.mem.tokenizeScalar(u8, line, ' ');
        while (it.next()) |tok| : (idx += 1) {
            if (idx == 4) f[0] = tok;
            if (idx == 5) f[1] = tok;
            if (idx > 5 and after_sep == 0 and std.mem.eql(u8, tok, "-")) {
                after_sep = 1;
                continue;
            }
            if (after_sep >= 1 and after_sep <= 3) {
                f[after_sep + 1] = tok;
                if (after_sep == 3) ok = true;
                after_sep += 1;
            }
        }
        if (!ok) continue;
        if (!first) putc(',');
        first = false;
        put("{\"target\":");
        putStr(unescapeOctal(f[0]));
        put(",\"fstype\":");
        putStr(unescapeOctal(f[2]));
        put(",\"source\":");
        putStr(unescapeOctal(f[3]));
        put(",\"options\":");
        putStr(unescapeOctal(f[1]));
        put(",\"super_options\":");
        putStr(unescapeOctal(f[4]));
        putc('}');
    }
    putc(']');
}

fn putNs() void {
    putc('{');
    inline for (ns_names, 0..) |name, i| {
        if (i != 0) putc(',');
        putc('"');
        put(name);
        put("\":");
        var buf: [128]u8 = undefined;
        const r = sys(nr(.readlinkat), AT_FDCWD, ptr("/proc/self/ns/" ++ name), ptr(&buf), buf.len, 0, 0);
        var v: ?u64 = null;
        if (errnoOf(r) == 0) {
            const s = buf[0..r];
            if (std.mem.indexOfScalar(u8, s, '[')) |a| {
                if (std.mem.lastIndexOfScalar(u8, s, ']')) |b| {
                    if (b > a) v = parseNum(s[a + 1 .. b]);
                }
            }
        }
        putOptU(v);
    }
    putc('}');
}

/// Where a `struct linux_dirent64` keeps its record length and its name.
const reclen_at = @offsetOf(linux.dirent64, "reclen");
const name_at = @offsetOf(linux.dirent64, "name");

fn putFds() void {
    const dfd = openat("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
    if (errnoOf(dfd) != 0) {
        put("null");
        return;
    }
    var count: usize = 0;
    outer: while (true) {
        const r = sys3(nr(.getdents64), dfd, ptr(&dents_buf), dents_buf.len);
        if (errnoOf(r) != 0 or r == 0) break;
        var off: usize = 0;
        while (off + name_at < r) {
            const reclen = std.mem.readInt(u16, dents_buf[off + reclen_at ..][0..2], .little);
            if (reclen < name_at + 1 or off + reclen > r) break :outer;
            const name = std.mem.sliceTo(dents_buf[off + name_at .. off + reclen], 0);
            off += reclen;
            const v = parseNum(name) orelse continue;
            if (name[0] < '0' or name[0] > '9' or v == dfd) continue;
            if (count == fds_buf.len) break :outer;
            // insertion sort (the kernel already lists them in order)
            var j = count;
            while (j > 0 and fds_buf[j - 1] > v) : (j -= 1) fds_buf[j] = fds_buf[j - 1];
            fds_buf[j] = @intCast(v);
            count += 1;
        }
    }
    close(dfd);
    putc('[');
    for (fds_buf[0..count], 0..) |fd, i| {
        if (i != 0) putc(',');
        putU(fd);
    }
    putc(']');
}

fn report() void {
    const status = readFile("/proc/self/status", &status_buf);

    put("{\"pid\":");
    putU(sys3(nr(.getpid), 0, 0, 0));
    put(",\"ppid\":");
    putU(sys3(nr(.getppid), 0, 0, 0));
    put(",\"uid\":");
    putTriple(nr(.getresuid));
    put(",\"gid\":");
    putTriple(nr(.getresgid));

    put(",\"groups\":[");
    const ng = sys3(nr(.getgroups), groups_buf.len, ptr(&groups_buf), 0);
    if (errnoOf(ng) == 0) {
        for (groups_buf[0..ng], 0..) |g, i| {
            if (i != 0) putc(',');
            putU(g);
        }
    }
    putc(']');

    put(",\"cwd\":");
    var cwd: [4097]u8 = undefined;
    const cr = sys3(nr(.getcwd), ptr(&cwd), cwd.len, 0);
    if (errnoOf(cr) == 0 and cr > 0) putStr(cwd[0 .. cr - 1]) else put("null");

    put(",\"env\":[");
    for (g_envp, 0..) |e, i| {
        if (i != 0) putc(',');
        putStrZ(e);
    }
    put("],\"args\":[");
    for (g_argv, 0..) |a, i| {
        if (i != 0) putc(',');
        putStrZ(a);
    }
    putc(']');

    var uts: linux.utsname = undefined;
    if (errnoOf(sys3(nr(.uname), ptr(&uts), 0, 0)) == 0) {
        put(",\"hostname\":");
        putStr(std.mem.sliceTo(&uts.nodename, 0));
        put(",\"domainname\":");
        putStr(std.mem.sliceTo(&uts.domainname, 0));
    } else put(",\"hostname\":null,\"domainname\":null");

    put(",\"umask\":");
    var umask: ?u64 = if (statusField(status, "Umask")) |s| parseOctal(s) else null;
    if (umask == null) {
        // Kernel without the Umask field (or no /proc): set-and-restore.
        const old = sys3(nr(.umask), 0o22, 0, 0);
        _ = sys3(nr(.umask), old, 0, 0);
        umask = old;
    }
    putOptU(umask);

    put(",\"mounts\":");
    putMounts();

    put(",\"ns\":");
    putNs();

    put(",\"caps\":{");
    for (cap_fields, 0..) |cf, i| {
        if (i != 0) putc(',');
        putc('"');
        put(cf[0]);
        put("\":");
        if (statusField(status, cf[1])) |v| putStr(v) else put("null");
    }
    putc('}');

    put(",\"rlimits\":{");
    for (rlimit_names, 0..) |name, i| {
        if (i != 0) putc(',');
        putc('"');
        put(name);
        put("\":");
        var lim: [2]u64 = undefined;
        if (errnoOf(sys(nr(.prlimit64), 0, i, 0, ptr(&lim), 0, 0)) == 0) {
            putc('[');
            putI(@bitCast(lim[0]));
            putc(',');
            putI(@bitCast(lim[1]));
            putc(']');
        } else put("null");
    }
    putc('}');

    put(",\"no_new_privs\":");
    const nnp = sys(nr(.prctl), @intFromEnum(linux.PR.GET_NO_NEW_PRIVS), 0, 0, 0, 0, 0);
    put(if (errnoOf(nnp) != 0) "null" else if (nnp != 0) "true" else "false");

    put(",\"seccomp\":");
    putOptU(if (statusField(status, "Seccomp")) |s| parseNum(s) else null);

    put(",\"oom_score_adj\":");
    var oom_buf: [32]u8 = undefined;
    if (readFile("/proc/self/oom_score_adj", &oom_buf)) |s| {
        if (parseSigned(trim(s))) |v| putI(v) else put("null");
    } else put("null");

    put(",\"fds\":");
    putFds();

    put("}\n");
}

// ---------------------------------------------------------------------------
// Other actions

const syscall_names = [_]struct { []const u8, usize }{
    .{ "mount", nr(.mount) },     .{ "umount2", nr(.umount2) },
    .{ "unshare", nr(.unshare) }, .{ "keyctl", nr(.keyctl) },
    .{ "clone3", nr(.clone3) },   .{ "getpid", nr(.getpid) },
    .{ "chmod", nr(.chmod) },     .{ "mkdir", nr(.mkdir) },
    .{ "mkdirat", nr(.mkdirat) }, .{ "personality", nr(.personality) },
    .{ "setns", nr(.setns) },     .{ "reboot", nr(.reboot) },
};

fn syscallNr(s: []const u8) u64 {
    for (syscall_names) |e| {
        if (std.mem.eql(u8, s, e[0])) return e[1];
    }
    return parseNum(s) orelse usage("bad syscall ", s);
}

fn num(s: []const u8) u64 {
    return parseNum(s) orelse usage("bad number ", s);
}

/// Print {"action":A,"errno":E} to stdout and exit 1.
fn failErrno(action: []const u8, e: usize) noreturn {
    olen = 0;
    put("{\"action\":");
    putStr(action);
    put(",\"errno\":");
    putU(e);
    put("}\n");
    flush(1);
    exit(1);
}

fn writeAll(fd: usize, data: []const u8) usize {
    var off: usize = 0;
    while (off < data.len) {
        const r = sys3(nr(.write), fd, ptr(data.ptr) + off, data.len - off);
        const e = errnoOf(r);
        if (e == EINTR) continue;
        if (e != 0) return e;
        off += r;
    }
    return 0;
}

fn actWrite(path: [*:0]const u8, content: []const u8) void {
    const fd = openat(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644);
    if (errnoOf(fd) != 0) failErrno("write", errnoOf(fd));
    const e = writeAll(fd, content);
    close(fd);
    if (e != 0) failErrno("write", e);
}

fn actCat(path: [*:0]const u8) void {
    const fd = openat(path, O_RDONLY | O_CLOEXEC, 0);
    if (errnoOf(fd) != 0) failErrno("cat", errnoOf(fd));
    while (true) {
        const r = sys3(nr(.read), fd, ptr(&file_buf), file_buf.len);
        const e = errnoOf(r);
        if (e == EINTR) continue;
        if (e != 0) failErrno("cat", e);
        if (r == 0) break;
        _ = writeAll(1, file_buf[0..r]);
    }
    close(fd);
}

fn actSyscall(argv: []const [*:0]u8, i: *usize) void {
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

fn actLoop(n: u64, count: u64) void {
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

fn actAlloc(mib: u64) void {
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

fn actFork(n: u64) void {
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

fn actSignal() noreturn {
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

fn actOpen(path: [*:0]const u8, flags: u64) void {
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

// ---------------------------------------------------------------------------

// Our own entry point instead of std.start: std's start code raises
// RLIMIT_STACK to the ELF's PT_GNU_STACK size, which would falsify the
// reported rlimits. This one only collects argv/envp and calls run().
var g_argv: []const [*:0]u8 = &.{};
var g_envp: []const [*:0]u8 = &.{};

pub export fn _start() callconv(.naked) noreturn {
    asm volatile (
        \\ xorl %%ebp, %%ebp
        \\ movq %%rsp, %%rdi
        \\ andq $-16, %%rsp
        \\ callq %[entry:P]
        :
        : [entry] "X" (&entry),
    );
}

fn entry(sp: [*]usize) callconv(.c) noreturn {
    const argc = sp[0];
    const argv: [*][*:0]u8 = @ptrCast(sp + 1);
    const envp: [*]?[*:0]u8 = @ptrCast(sp + 2 + argc);
    var n: usize = 0;
    while (envp[n] != null) n += 1;
    g_argv = argv[0..argc];
    g_envp = @ptrCast(envp[0..n]);
    run();
}

fn run() noreturn {
    const argv = g_argv;
    if (argv.len <= 1) {
        report();
        flush(1);
        exit(0);
    }
    var i: usize = 1;
    while (i < argv.len) {
        const act = std.mem.span(argv[i]);
        i += 1;
        const nargs: usize = if (eq(act, "report") or eq(act, "signal"))
            0
        else if (eq(act, "write") or eq(act, "loop") or eq(act, "open"))
            2
        else if (eq(act, "exit") or eq(act, "sleep") or eq(act, "cat") or eq(act, "syscall") or
            eq(act, "alloc") or eq(act, "fork") or eq(act, "echo"))
            1
        else
            usage("unknown action ", act);
        if (i + nargs > argv.len) usage("missing argument for ", act);
        const a1 = if (nargs >= 1) std.mem.span(argv[i]) else "";
        const a2 = if (nargs >= 2) std.mem.span(argv[i + 1]) else "";

        if (eq(act, "syscall")) {
            actSyscall(argv, &i);
        } else {
            i += nargs;
            if (eq(act, "report")) {
                report();
            } else if (eq(act, "exit")) {
                const code = num(a1);
                flush(1);
                exit(code & 0xff);
            } else if (eq(act, "sleep")) {
                sleepNs(parseSecs(a1) orelse usage("bad number ", a1));
            } else if (eq(act, "write")) {
                actWrite(argv[i - 2], a2);
            } else if (eq(act, "cat")) {
                flush(1);
                actCat(argv[i - 1]);
            } else if (eq(act, "loop")) {
                actLoop(syscallNr(a1), num(a2));
            } else if (eq(act, "alloc")) {
                actAlloc(num(a1));
            } else if (eq(act, "fork")) {
                actFork(num(a1));
            } else if (eq(act, "signal")) {
                actSignal();
            } else if (eq(act, "open")) {
                actOpen(argv[i - 2], num(a2));
            } else if (eq(act, "echo")) {
                put(a1);
                putc('\n');
            }
        }
        flush(1);
    }
    exit(0);
}

fn eq(a: []const u8, b: []const u8) bool {
    return std.mem.eql(u8, a, b);
}
