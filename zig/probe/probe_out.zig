//! The probe's output: one buffer per action, flushed with one write() when the action ends,
//! and the JSON it writes (numbers, strings with invalid UTF-8 escaped, errors).
const std = @import("std");
const ps = @import("probe_sys.zig");
const sys3 = ps.sys3;
const nr = ps.nr;
const errnoOf = ps.errnoOf;
const ptr = ps.ptr;
const exit = ps.exit;
const EINTR = ps.EINTR;
var obuf: [1 << 20]u8 = undefined;
var olen: usize = 0;

/// Drops what the action has buffered so far.
pub fn discard() void {
    olen = 0;
}

pub fn put(s: []const u8) void {
    const n = @min(s.len, obuf.len - olen);
    @memcpy(obuf[olen..][0..n], s[0..n]);
    olen += n;
}

pub fn putc(c: u8) void {
    if (olen < obuf.len) {
        obuf[olen] = c;
        olen += 1;
    }
}

pub fn fmtU(buf: *[20]u8, v: u64) []const u8 {
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

pub fn putU(v: u64) void {
    var tmp: [20]u8 = undefined;
    put(fmtU(&tmp, v));
}

pub fn putI(v: i64) void {
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
pub fn putStr(s: []const u8) void {
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

pub fn putStrZ(s: [*:0]const u8) void {
    putStr(std.mem.span(s));
}

pub fn putOptU(v: ?u64) void {
    if (v) |x| putU(x) else put("null");
}

pub fn flush(fd: usize) void {
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

pub fn writeAll(fd: usize, data: []const u8) usize {
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

/// Print {"error":"<a><b>"} to stderr and exit 2.
pub fn usage(a: []const u8, b: []const u8) noreturn {
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
