//! Reader of the launch plan that lib/plan/encode.ts writes. The layout is the contract
//! between the two sides; it is deliberately dumb (numbers, then length-prefixed strings)
//! so the child can walk it without allocating.
//!
//! header: u32 magic "DRUN", u32 version, u64 clone flags
//! op:     u16 kind, u8 nnum, u8 0, u32 size (whole op), u32 nstr, nnum x u64,
//!         nstr x (u32 len, bytes, NUL)

pub const MAGIC: u32 = 0x4e555244;
pub const VERSION: u32 = 2;
pub const OP_HEADER: usize = 12;
pub const HEADER: usize = 16;

pub const Op = struct {
    kind: u16,
    nnum: u8,
    nstr: u32,
    body: [*]const u8,
    size: usize,

    pub fn num(self: Op, i: usize) u64 {
        if (i >= self.nnum) return 0;
        return readU64(self.body + OP_HEADER + i * 8);
    }

    /// The i-th string, NUL-terminated, and its length (strings may hold binary data).
    pub fn str(self: Op, i: usize) Str {
        var it = self.strs();
        var k: usize = 0;
        while (it.next()) |s| : (k += 1) if (k == i) return s;
        return .{ .p = "", .len = 0 };
    }

    /// The strings in order, each bounds-checked against the op's size.
    pub fn strs(self: Op) StrIter {
        return .{ .at = OP_HEADER + @as(usize, self.nnum) * 8, .left = self.nstr, .op = self };
    }
};

pub const Str = struct { p: [*:0]const u8, len: usize };

pub const StrIter = struct {
    at: usize,
    left: u32,
    op: Op,

    pub fn next(self: *StrIter) ?Str {
        if (self.left == 0 or self.at + 4 > self.op.size) return null;
        const len = readU32(self.op.body + self.at);
        if (self.at + 4 + len + 1 > self.op.size) return null;
        const s = Str{ .p = @ptrCast(self.op.body + self.at + 4), .len = len };
        self.at += 4 + len + 1;
        self.left -= 1;
        return s;
    }
};

pub fn readU32(p: [*]const u8) u32 {
    return @as(u32, p[0]) | (@as(u32, p[1]) << 8) | (@as(u32, p[2]) << 16) | (@as(u32, p[3]) << 24);
}

pub fn readU64(p: [*]const u8) u64 {
    return @as(u64, readU32(p)) | (@as(u64, readU32(p + 4)) << 32);
}

pub const Iter = struct {
    base: [*]const u8,
    len: usize,
    at: usize = HEADER,

    pub fn next(self: *Iter) ?Op {
        if (self.at + OP_HEADER > self.len) return null;
        const p = self.base + self.at;
        const size = readU32(p + 4);
        if (size < OP_HEADER + @as(usize, p[2]) * 8 or self.at + size > self.len) return null;
        self.at += size;
        return Op{ .kind = @as(u16, p[0]) | (@as(u16, p[1]) << 8), .nnum = p[2], .nstr = readU32(p + 8), .body = p, .size = size };
    }
};
