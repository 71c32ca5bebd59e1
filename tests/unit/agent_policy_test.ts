/** The seccomp agent's policy engine: errnos, path arguments, normalisation, globs, rules. */
import assert from "node:assert/strict";
import {
  decide,
  errnoName,
  formatLine,
  matchGlob,
  needsPaths,
  normalizePath,
  parseErrno,
  parsePolicy,
  parsePolicyText,
  pathArgs,
  PolicyError,
} from "../../lib/agent/mod.ts";

Deno.test("policy: errnos by name or number", () => {
  assert.equal(parseErrno("ENOMEDIUM"), 123);
  assert.equal(parseErrno("enomedium"), 123);
  assert.equal(parseErrno("EPERM"), 1);
  assert.equal(parseErrno(123), 123);
  assert.equal(parseErrno("123"), 123);
  assert.equal(parseErrno("EWOULDBLOCK"), 11);
  for (const bad of ["ENOPE", 0, -1, 4096, 1.5, "", null, true]) {
    assert.equal(parseErrno(bad), undefined, String(bad));
  }
  assert.equal(errnoName(123), "ENOMEDIUM");
  assert.equal(errnoName(11), "EAGAIN");
  assert.equal(errnoName(95), "EOPNOTSUPP");
  assert.equal(errnoName(999), undefined);
});

Deno.test("policy: which argument holds the path, and under which dirfd", () => {
  assert.deepEqual(pathArgs("mkdir"), [{ index: 0 }]);
  assert.deepEqual(pathArgs("chmod"), [{ index: 0 }]);
  assert.deepEqual(pathArgs("open"), [{ index: 0 }]);
  assert.deepEqual(pathArgs("execve"), [{ index: 0 }]);
  assert.deepEqual(pathArgs("openat"), [{ index: 1, dirfd: 0 }]);
  assert.deepEqual(pathArgs("mkdirat"), [{ index: 1, dirfd: 0 }]);
  assert.deepEqual(pathArgs("execveat"), [{ index: 1, dirfd: 0 }]);
  assert.deepEqual(pathArgs("renameat2"), [{ index: 1, dirfd: 0 }, { index: 3, dirfd: 2 }]);
  assert.deepEqual(pathArgs("symlinkat"), [{ index: 2, dirfd: 1 }]);
  assert.deepEqual(pathArgs("mount"), [{ index: 1 }]);
  assert.deepEqual(pathArgs("getpid"), []);
  assert.deepEqual(pathArgs(undefined), []);
});

Deno.test("policy: paths are normalised lexically, relative ones against a base", () => {
  const cases: [string, string | undefined, string][] = [
    ["/tmp/x", undefined, "/tmp/x"],
    ["/tmp//x/", undefined, "/tmp/x"],
    ["/tmp/./x", undefined, "/tmp/x"],
    ["/tmp/../etc/passwd", undefined, "/etc/passwd"],
    ["/../../x", undefined, "/x"],
    ["/", undefined, "/"],
    ["x", "/tmp", "/tmp/x"],
    ["../x", "/tmp/a", "/tmp/x"],
    ["../../../x", "/tmp", "/x"],
    ["", "/tmp", "/tmp"],
    [".", "/", "/"],
    ["x/../y", undefined, "y"],
    ["../x", undefined, "../x"],
    ["x", "socket:[123]", "x"],
  ];
  for (const [p, base, want] of cases) {
    assert.equal(normalizePath(p, base), want, `${p} under ${base}`);
  }
});

Deno.test("policy: globs", () => {
  const yes: [string, string][] = [
    ["/tmp/*", "/tmp/x"],
    ["/tmp/**", "/tmp"],
    ["/tmp/**", "/tmp/a/b/c"],
    ["/a/**/b", "/a/b"],
    ["/a/**/b", "/a/x/y/b"],
    ["**/b", "/x/b"],
    ["**", "/anything/at/all"],
    ["/**", "/"],
    ["/etc/*.conf", "/etc/a.conf"],
    ["/dev/tty?", "/dev/tty1"],
    ["/dev/tty[0-3]", "/dev/tty2"],
    ["/dev/tty[!0-3]", "/dev/tty7"],
    ["/x\\*", "/x*"],
    ["/a.b", "/a.b"],
    ["/tmp//x/", "/tmp/x"],
    ["/(x)+", "/(x)+"],
  ];
  const no: [string, string][] = [
    ["/tmp/*", "/tmp/a/b"],
    ["/tmp/*", "/tmp"],
    ["/tmp/**", "/tmpx"],
    ["/tmp/**", "/tm"],
    ["/a/**/b", "/a/xb"],
    ["/etc/*.conf", "/etc/a.confx"],
    ["/dev/tty?", "/dev/tty10"],
    ["/dev/tty[0-3]", "/dev/tty7"],
    ["/dev/tty[!0-3]", "/dev/tty2"],
    ["/x\\*", "/xy"],
    ["/a.b", "/axb"],
    ["/tmp/*", "tmp/x"],
    ["/a?b", "/a/b"],
  ];
  for (const [g, p] of yes) assert.ok(matchGlob(g, p), `${g} should match ${p}`);
  for (const [g, p] of no) assert.ok(!matchGlob(g, p), `${g} should not match ${p}`);
});

Deno.test("policy: defaults and the first matching rule decide", () => {
  const p = parsePolicy({
    defaultAction: "log",
    rules: [
      { syscalls: ["chmod"], paths: ["/etc/**"], action: "deny", errno: "EROFS" },
      { syscalls: ["chmod", "fchmodat"], paths: ["/tmp/*"], action: "allow" },
      { syscalls: ["chmod"], action: "deny" },
      { syscalls: ["getpid"], action: "deny", errno: 123 },
      { syscalls: ["rename"], paths: ["/secret/**"], action: "deny", errno: "EACCES" },
    ],
  });
  assert.equal(p.defaultErrno, 1);
  const d1 = decide(p, "chmod", ["/etc/passwd"]);
  assert.deepEqual(d1, { action: "deny", errno: 30, rule: 0, response: { error: 30 } });
  const d2 = decide(p, "chmod", ["/tmp/x"]);
  assert.deepEqual(d2, {
    action: "allow",
    errno: undefined,
    rule: 1,
    response: { continue: true },
  });
  // No glob matches: falls through to the rule without paths, with the default errno.
  assert.deepEqual(decide(p, "chmod", ["/home/x"]).response, { error: 1 });
  assert.equal(decide(p, "chmod", ["/home/x"]).rule, 2);
  // A path that could not be read matches no glob.
  assert.equal(decide(p, "chmod", [undefined]).rule, 2);
  assert.equal(decide(p, "fchmodat", ["/tmp/y"]).rule, 1);
  assert.equal(decide(p, "fchmodat", ["/etc/y"]).rule, -1);
  assert.deepEqual(decide(p, "getpid").response, { error: 123 });
  // Any of two path arguments.
  assert.equal(decide(p, "rename", ["/tmp/a", "/secret/b"]).rule, 4);
  assert.equal(decide(p, "rename", ["/secret/a", "/tmp/b"]).rule, 4);
  assert.equal(decide(p, "rename", ["/tmp/a", "/tmp/b"]).rule, -1);
  // Unmatched and unknown syscalls get the default action.
  const d3 = decide(p, "mkdir", ["/x"]);
  assert.deepEqual(d3, { action: "log", errno: undefined, rule: -1, response: { continue: true } });
  assert.equal(decide(p, undefined).action, "log");
  assert.ok(needsPaths(p, "chmod"));
  assert.ok(!needsPaths(p, "getpid"));
  assert.ok(!needsPaths(p, "mkdir"));

  const deny = parsePolicy({ defaultAction: "deny", defaultErrno: "ENOSYS" });
  assert.deepEqual(decide(deny, "anything"), {
    action: "deny",
    errno: 38,
    rule: -1,
    response: { error: 38 },
  });
  assert.deepEqual(decide(parsePolicy({}), "x").response, { continue: true });
});

Deno.test("policy: errors name the JSON path of the bad field", () => {
  const cases: [unknown, string, RegExp][] = [
    [[], "", /must be a JSON object/],
    [{ defaultAction: "kill" }, "defaultAction", /one of allow, deny, log/],
    [{ defaultErrno: "ENOPE" }, "defaultErrno", /unknown errno name "ENOPE"/],
    [{ defaultErrno: 0 }, "defaultErrno", /from 1 to 4095/],
    [{ rule: [] }, "rule", /unknown field/],
    [{ rules: {} }, "rules", /must be an array/],
    [{ rules: [3] }, "rules[0]", /must be an object/],
    [{ rules: [{ action: "allow" }] }, "rules[0].syscalls", /non-empty array/],
    [{ rules: [{ syscalls: [], action: "allow" }] }, "rules[0].syscalls", /non-empty/],
    [
      { rules: [{ syscalls: ["mkdir", "mkdri"], action: "allow" }] },
      "rules[0].syscalls[1]",
      /unknown syscall "mkdri"/,
    ],
    [{ rules: [{ syscalls: ["mkdir"] }] }, "rules[0].action", /is required/],
    [{ rules: [{ syscalls: ["mkdir"], action: "ok" }] }, "rules[0].action", /one of/],
    [
      { rules: [{ syscalls: ["mkdir"], action: "deny" }, { syscalls: ["x"], action: "deny" }] },
      "rules[1].syscalls[0]",
      /unknown syscall/,
    ],
    [
      { rules: [{ syscalls: ["chmod"], action: "deny", errno: "ENOMEDUM" }] },
      "rules[0].errno",
      /unknown errno name "ENOMEDUM"/,
    ],
    [
      { rules: [{ syscalls: ["chmod"], action: "allow", errno: 1 }] },
      "rules[0].errno",
      /only a "deny" rule/,
    ],
    [
      { rules: [{ syscalls: ["chmod"], action: "deny", paths: "/etc" }] },
      "rules[0].paths",
      /non-empty array of globs/,
    ],
    [
      { rules: [{ syscalls: ["chmod"], action: "deny", paths: ["/etc", 3] }] },
      "rules[0].paths[1]",
      /must be a glob/,
    ],
    [
      { rules: [{ syscalls: ["chmod"], action: "deny", paths: ["/dev/tty[0-"] }] },
      "rules[0].paths[0]",
      /unclosed \[/,
    ],
    [
      { rules: [{ syscalls: ["chmod", "getpid"], action: "deny", paths: ["/x"] }] },
      "rules[0].syscalls[1]",
      /getpid takes no path argument/,
    ],
    [
      { rules: [{ syscalls: ["chmod"], action: "deny", path: ["/x"] }] },
      "rules[0].path",
      /unknown field/,
    ],
  ];
  for (const [doc, path, msg] of cases) {
    assert.throws(
      () => parsePolicy(doc),
      (e) => {
        assert.ok(e instanceof PolicyError, String(e));
        assert.equal(e.path, path, `${JSON.stringify(doc)}: ${e.message}`);
        assert.match(e.message, msg);
        if (path) assert.ok(e.message.startsWith(`${path}: `), e.message);
        return true;
      },
    );
  }
  assert.throws(() => parsePolicyText('{"rules": ['), /invalid JSON/);
  assert.ok(
    parsePolicy({ comment: "x", rules: [{ comment: "y", syscalls: ["mkdir"], action: "log" }] }),
  );
});

Deno.test("policy: output lines, text and JSON", () => {
  const t = "2030-01-01T00:00:00.000Z";
  const n = {
    event: "notification" as const,
    id: "c1",
    pid: 42,
    syscall: "chmod",
    nr: 90,
    path: "/x",
    decision: "deny" as const,
    errno: 123,
    rule: 0,
  };
  assert.equal(formatLine(n, "text", t), `${t} c1 pid=42 chmod "/x" -> deny ENOMEDIUM (rules[0])`);
  assert.deepEqual(JSON.parse(formatLine(n, "json", t)), { time: t, ...n });
  const g = {
    event: "notification" as const,
    id: "c1",
    pid: 42,
    syscall: "getpid",
    nr: 39,
    args: ["0x0", "0x1"],
    decision: "allow" as const,
    rule: -1,
  };
  assert.equal(formatLine(g, "text", t), `${t} c1 pid=42 getpid (0x0, 0x1) -> allow (default)`);
  assert.equal(
    formatLine(
      { event: "stats", fds: 9, listeners: 1, connections: 2, notifications: 3 },
      "text",
      t,
    ),
    `${t} stats fds=9 listeners=1 connections=2 notifications=3`,
  );
});
