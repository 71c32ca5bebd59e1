/**
 * Checks an OCI `linux.seccomp` object and turns it into plain numbers for the compiler. Every
 * problem is a {@link SpecError} naming the JSON path of the offending field.
 * @module
 */

import { SpecError } from "../errors.ts";
import {
  ACTIONS,
  ACTIONS_WITH_DATA,
  ERRNO,
  MAX_ARGS,
  OPERATORS,
  PROFILE_FLAGS,
  SECCOMP_RET_DATA,
  type SeccompOp,
} from "./constants.ts";
import { SCMP_ARCH, type SeccompArch } from "./tables.generated.ts";
import { asCString, pathLimits } from "../spec/validate/json.ts";

/** A validated argument condition, with both values as full 64-bit integers. */
export interface Condition {
  /** Argument index, 0..5. */
  index: number;
  /** Comparison. */
  op: SeccompOp;
  /** Compared value, or the mask for MASKED_EQ. */
  value: bigint;
  /** The value the masked argument must equal, for MASKED_EQ (0 when absent). */
  valueTwo: bigint;
}

/** A validated rule. */
export interface Rule {
  /** Syscall names, as given. */
  names: string[];
  /** JSON path of the rule, for warnings. */
  path: string;
  /** Seccomp return value, data included. */
  action: number;
  /** Argument conditions, as given. */
  conditions: Condition[];
}

/** A validated profile. */
export interface ValidProfile {
  /** Seccomp return value of the default action, data included. */
  defaultAction: number;
  /** Listed architectures that have a syscall table, without duplicates. */
  architectures: SeccompArch[];
  /** `SECCOMP_FILTER_FLAG_*` bits named in the profile. */
  flags: number;
  /** Whether the default action or any rule is SCMP_ACT_NOTIFY. */
  usesNotify: boolean;
  /** Rules in profile order. */
  rules: Rule[];
  /** Non-fatal findings. */
  warnings: string[];
}

const MAX_U64 = (1n << 64n) - 1n;
const TWO_POW_64 = 2 ** 64;

const own = (o: object, key: string) => Object.hasOwn(o, key);
const absent = (v: unknown) => v === undefined || v === null;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function stringArray(v: unknown, at: string): string[] {
  if (!Array.isArray(v)) throw new SpecError(at, "must be an array of strings");
  v.forEach((s, i) => {
    if (typeof s !== "string") throw new SpecError(`${at}[${i}]`, "must be a string");
  });
  return v as string[];
}

/** Seccomp return value of an OCI action with its optional errno / trace data. */
function actionValue(action: unknown, data: unknown, at: string, dataAt: string): number {
  if (typeof action !== "string" || !own(ACTIONS, action)) {
    throw new SpecError(at, `unknown action ${JSON.stringify(action)}`);
  }
  const carries = ACTIONS_WITH_DATA.includes(action);
  if (!absent(data)) {
    if (!carries) throw new SpecError(dataAt, `not allowed with ${action}`);
    if (typeof data !== "number" || !Number.isInteger(data) || data < 0 || data > 0xffff) {
      throw new SpecError(dataAt, "must be an integer 0..65535");
    }
  }
  if (!carries) return ACTIONS[action];
  const value = absent(data) ? ERRNO.EPERM : data as number;
  return (ACTIONS[action] | (value & SECCOMP_RET_DATA)) >>> 0;
}

/** An argument value as an unsigned 64-bit integer. */
function u64(v: unknown, at: string, warnings: string[]): bigint {
  if (typeof v === "bigint") {
    if (v < 0n || v > MAX_U64) throw new SpecError(at, "must be an unsigned 64-bit integer");
    return v;
  }
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > TWO_POW_64) {
    throw new SpecError(at, "must be an unsigned 64-bit integer");
  }
  if (v <= Number.MAX_SAFE_INTEGER) return BigInt(v);
  // A JSON number this large has already been rounded to a double; 2^64 itself is what the
  // values just below it (such as all-ones) round to.
  const exact = v === TWO_POW_64 ? MAX_U64 : BigInt(v);
  warnings.push(
    `${at}: ${v} is above 2^53 and may have lost precision as a JSON number; ` +
      `using ${exact}`,
  );
  return exact;
}

function condition(v: unknown, at: string, warnings: string[]): Condition {
  if (!isObject(v)) throw new SpecError(at, "must be an object");
  const { index, op } = v;
  if (typeof index !== "number" || !Number.isInteger(index) || index < 0 || index >= MAX_ARGS) {
    throw new SpecError(`${at}.index`, `must be 0..${MAX_ARGS - 1}`);
  }
  if (typeof op !== "string" || !own(OPERATORS, op)) {
    throw new SpecError(`${at}.op`, `unknown operator ${JSON.stringify(op)}`);
  }
  if (absent(v.value)) throw new SpecError(`${at}.value`, "is required");
  return {
    index,
    op: OPERATORS[op],
    value: u64(v.value, `${at}.value`, warnings),
    valueTwo: absent(v.valueTwo) ? 0n : u64(v.valueTwo, `${at}.valueTwo`, warnings),
  };
}

function rule(v: unknown, at: string, warnings: string[]): Rule {
  if (!isObject(v)) throw new SpecError(at, "must be an object");
  const names = stringArray(v.names, `${at}.names`);
  if (names.length === 0) throw new SpecError(`${at}.names`, "must not be empty");
  names.forEach((n, i) => {
    if (n === "") throw new SpecError(`${at}.names[${i}]`, "must not be empty");
  });
  const action = actionValue(v.action, v.errnoRet, `${at}.action`, `${at}.errnoRet`);
  let conditions: Condition[] = [];
  if (!absent(v.args)) {
    if (!Array.isArray(v.args)) throw new SpecError(`${at}.args`, "must be an array");
    conditions = v.args.map((a, i) => condition(a, `${at}.args[${i}]`, warnings));
  }
  return { names, path: at, action, conditions };
}

/**
 * Validates `profile` (found at JSON path `path`) and converts it to numbers. Throws
 * {@link SpecError} on the first problem.
 */
export function validateSeccomp(profile: unknown, path: string): ValidProfile {
  if (!isObject(profile)) throw new SpecError(path, "must be an object");
  const warnings: string[] = [];
  const defaultAction = actionValue(
    profile.defaultAction,
    profile.defaultErrnoRet,
    `${path}.defaultAction`,
    `${path}.defaultErrnoRet`,
  );
  let usesNotify = profile.defaultAction === "SCMP_ACT_NOTIFY";

  const architectures: SeccompArch[] = [];
  if (!absent(profile.architectures)) {
    const at = `${path}.architectures`;
    stringArray(profile.architectures, at).forEach((name, i) => {
      if (!own(SCMP_ARCH, name)) {
        throw new SpecError(`${at}[${i}]`, `unknown architecture ${JSON.stringify(name)}`);
      }
      const arch = SCMP_ARCH[name];
      if (arch !== null && !architectures.includes(arch)) architectures.push(arch);
    });
  }

  let flags = 0;
  if (!absent(profile.flags)) {
    const at = `${path}.flags`;
    stringArray(profile.flags, at).forEach((name, i) => {
      if (name === "SECCOMP_FILTER_FLAG_NEW_LISTENER") {
        throw new SpecError(`${at}[${i}]`, "is set by the runtime when a rule uses NOTIFY");
      }
      if (!own(PROFILE_FLAGS, name)) {
        throw new SpecError(`${at}[${i}]`, `unknown flag ${JSON.stringify(name)}`);
      }
      flags |= PROFILE_FLAGS[name];
    });
  }

  const rules: Rule[] = [];
  if (!absent(profile.syscalls)) {
    if (!Array.isArray(profile.syscalls)) {
      throw new SpecError(`${path}.syscalls`, "must be an array");
    }
    profile.syscalls.forEach((s, i) => {
      const r = rule(s, `${path}.syscalls[${i}]`, warnings);
      if (isObject(s) && s.action === "SCMP_ACT_NOTIFY") usesNotify = true;
      rules.push(r);
    });
  }
  // Without a listener nobody could answer the notifications and the process would hang.
  if (usesNotify && absent(profile.listenerPath)) {
    throw new SpecError(`${path}.listenerPath`, "required when SCMP_ACT_NOTIFY is used");
  }

  if (!absent(profile.listenerPath)) {
    const at = `${path}.listenerPath`;
    const p = asCString(profile.listenerPath, at);
    if (p === "") throw new SpecError(at, "must not be empty");
    if (!p.startsWith("/")) throw new SpecError(at, "must be an absolute path");
    pathLimits(p, at);
  }
  if (!absent(profile.listenerMetadata)) {
    const at = `${path}.listenerMetadata`;
    if (typeof profile.listenerMetadata !== "string") throw new SpecError(at, "must be a string");
    if (absent(profile.listenerPath)) throw new SpecError(at, "needs listenerPath");
  }

  return { defaultAction, architectures, flags, usesNotify, rules, warnings };
}
