//! probe: a tiny static, libc-free Linux x86_64 program that drun's tests put
//! into a container rootfs (as /probe) and run as the container process.
//!
//! argv[1..] is a list of actions run in order; no arguments means `report`.
//! Every action's output is buffered and flushed with one write() when the
//! action ends. See README.md for the list of actions and their output.

const std = @import("std");
const ps = @import("probe_sys.zig");
const out = @import("probe_out.zig");
const actions = @import("probe_actions.zig");
const exit = ps.exit;
const sleepNs = ps.sleepNs;
const put = out.put;
const putc = out.putc;
const flush = out.flush;
const usage = out.usage;
const parseSecs = @import("probe_parse.zig").parseSecs;
const report = @import("probe_report.zig").report;
const num = actions.num;
const syscallNr = actions.syscallNr;
const actWrite = actions.actWrite;
const actCat = actions.actCat;
const actSyscall = actions.actSyscall;
const actLoop = actions.actLoop;
const actAlloc = actions.actAlloc;
const actFork = actions.actFork;
const actSignal = actions.actSignal;
const actOpen = actions.actOpen;

// Smallest possible panic handler: every safety check becomes a trap.
pub const panic = std.debug.no_panic;

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
        report(g_argv, g_envp);
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
                report(g_argv, g_envp);
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
