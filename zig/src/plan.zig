//! Reader of the launch plan that lib/plan/encode.ts writes. The layout is the contract
//! between the two sides; it is deliberately dumb (numbers, then length-prefixed strings)
//! so the child can walk it without allocating.
//!
//! header: u32 magic "DRUN", u32 version, u64 clone flags
//! op:     u16 kind, u8 nnum, u8 nstr, u32 size (whole op), nnum x u64, nstr x (u32 len, bytes, NUL)

pub const MAGIC: u32 = 0x4e555244;
pub const VERSION: u32 = 1;
pub const HEADER: usize = 16;

pub const Op = struct {
    kind: u16,
    nnum: u8,
    nstr: u8,
    body: [*]const u8,
    size: usize,

    pub fn num(self: Op, i: usize) u64 {
        if (i >= self.nnum) return 0;
        return readU64(self.body + 8 + i * 8);
    }

    /// The i-th string, NUL-terminated, and its length (strings may hold binary data).
    pub fn str(self: Op, i: usize) struct { p: [*:0]const u8, len: usize } {
        var at: [*]const u8 = self.body + 8 + @as(usize, self.nnum) * 8;
        var k: usize = 0;
        while (k < self.nstr) : (k += 1) {
            const len = readU32(at);
            if (k == i) return .{ .p = @ptrCast(at + 4), .len = len };
            at += 4 + len + 1;
        }
        return .{ .p = "", .len = 0 };
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
        if (self.at + 8 > self.len) return null;
        const p = self.base + self.at;
        const size = readU32(p + 4);
        if (size < 8 or self.at + size > self.len) return null;
        self.at += size;
        return Op{ .kind = @as(u16, p[0]) | (@as(u16, p[1]) << 8), .nnum = p[2], .nstr = p[3], .body = p, .size = size };
    }
};
