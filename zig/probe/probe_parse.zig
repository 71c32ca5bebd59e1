//! Parsing for the probe: numbers on its command line (decimal, hex, negative, seconds) and
//! the text the kernel writes in /proc (status fields, octal).
const std = @import("std");

pub fn trim(s: []const u8) []const u8 {
    return std.mem.trim(u8, s, " \t\r\n");
}

/// Value of "Name:" in /proc/self/status text.
pub fn statusField(status: ?[]const u8, name: []const u8) ?[]const u8 {
    const st = status orelse return null;
    var it = std.mem.splitScalar(u8, st, '\n');
    while (it.next()) |line| {
        if (line.len > name.len and line[name.len] == ':' and std.mem.startsWith(u8, line, name))
            return trim(line[name.len + 1 ..]);
    }
    return null;
}

/// Decimal, "0x" hex, optional leading '-' (two's complement).
pub fn parseNum(s: []const u8) ?u64 {
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

pub fn parseSigned(s: []const u8) ?i64 {
    return @bitCast(parseNum(s) orelse return null);
}

pub fn parseOctal(s: []const u8) ?u64 {
    if (s.len == 0) return null;
    var v: u64 = 0;
    for (s) |c| {
        if (c < '0' or c > '7') return null;
        v = v * 8 + (c - '0');
    }
    return v;
}

/// "SECS[.FRACTION]" -> nanoseconds (decimal only, e.g. "2", "0.2", ".5").
pub fn parseSecs(s: []const u8) ?u64 {
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
