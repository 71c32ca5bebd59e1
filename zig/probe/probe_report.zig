//! `report`: one JSON object with what the container process sees of itself: ids, groups,
//! cwd, env and args, names, umask, mounts, namespaces, capabilities, rlimits, no_new_privs,
//! seccomp, oom_score_adj and open fds. The tests compare it with the config.
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
const openat = ps.openat;
const close = ps.close;
const readFile = ps.readFile;
const AT_FDCWD = ps.AT_FDCWD;
const O_RDONLY = ps.O_RDONLY;
const O_DIRECTORY = ps.O_DIRECTORY;
const O_CLOEXEC = ps.O_CLOEXEC;
const put = out.put;
const putc = out.putc;
const putU = out.putU;
const putI = out.putI;
const putStr = out.putStr;
const putStrZ = out.putStrZ;
const putOptU = out.putOptU;
const trim = parse.trim;
const statusField = parse.statusField;
const parseNum = parse.parseNum;
const parseSigned = parse.parseSigned;
const parseOctal = parse.parseOctal;
var status_buf: [32 << 10]u8 = undefined;
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
    const text = readFile("/proc/self/mountinfo", &ps.file_buf) orelse {
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

/// Writes the report for a process started with `argv` and `envp`.
pub fn report(argv: []const [*:0]u8, envp: []const [*:0]u8) void {
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
    for (envp, 0..) |e, i| {
        if (i != 0) putc(',');
        putStrZ(e);
    }
    put("],\"args\":[");
    for (argv, 0..) |a, i| {
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
