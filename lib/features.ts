/**
 * The OCI features document (`drun features`): what this build of drun supports, so engines
 * can decide before they ask. It names only what drun acts on, and only values the
 * runtime-spec schema of `ociVersionMax` knows, so an engine that validates it can use it.
 * @module
 */
import { CAPABILITIES } from "./linux/capabilities.ts";
import { NAMESPACES } from "./linux/namespaces.ts";
import { HOOK_KINDS } from "./hooks.ts";
import { KNOWN_MOUNT_OPTIONS } from "./spec/validate.ts";
import { parseMountOptions } from "./plan/mount_options.ts";
import { seccompFeatures } from "./seccomp/compile.ts";
import { OCI_VERSION } from "./runtime.ts";
import { VERSION } from "./version.ts";

// The SeccompArch and SeccompFlag enums of runtime-spec 1.2.0 (schema/defs-linux.json). drun
// also handles SCMP_ARCH_LOONGARCH64 and SECCOMP_FILTER_FLAG_TSYNC_ESRCH, but a document
// naming them fails the schema, so they are accepted in profiles and left out here.
const SPEC_SECCOMP_ARCHS: ReadonlySet<string> = new Set([
  "SCMP_ARCH_X86",
  "SCMP_ARCH_X86_64",
  "SCMP_ARCH_X32",
  "SCMP_ARCH_ARM",
  "SCMP_ARCH_AARCH64",
  "SCMP_ARCH_MIPS",
  "SCMP_ARCH_MIPS64",
  "SCMP_ARCH_MIPS64N32",
  "SCMP_ARCH_MIPSEL",
  "SCMP_ARCH_MIPSEL64",
  "SCMP_ARCH_MIPSEL64N32",
  "SCMP_ARCH_PPC",
  "SCMP_ARCH_PPC64",
  "SCMP_ARCH_PPC64LE",
  "SCMP_ARCH_S390",
  "SCMP_ARCH_S390X",
  "SCMP_ARCH_PARISC",
  "SCMP_ARCH_PARISC64",
  "SCMP_ARCH_RISCV64",
]);
const SPEC_SECCOMP_FLAGS: ReadonlySet<string> = new Set([
  "SECCOMP_FILTER_FLAG_TSYNC",
  "SECCOMP_FILTER_FLAG_LOG",
  "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
  "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
]);

/**
 * The mount options drun carries out: those the validator accepts that the mount code turns
 * into flags, propagation, attributes or an idmapped bind (`idmap`, `ridmap`). Left out: options
 * it accepts and ignores (`tmpcopyup`) and those it would hand to the filesystem as data
 * (`silent`, `loud`).
 *
 * @example
 * ```ts
 * supportedMountOptions().includes("rbind"); // true
 * supportedMountOptions().includes("tmpcopyup"); // false
 * ```
 */
export function supportedMountOptions(): string[] {
  return [...KNOWN_MOUNT_OPTIONS].filter((o) => {
    const p = parseMountOptions([o]);
    return p.ignored.length === 0 && p.data === "";
  }).sort();
}

/**
 * Whether the running kernel has mount_setattr(2) (Linux 5.12), which idmapped mounts need.
 *
 * @example
 * ```ts
 * kernelHasMountSetattr("6.18.0"); // true
 * ```
 */
export function kernelHasMountSetattr(release: string = Deno.osRelease()): boolean {
  const [major = 0, minor = 0] = release.split(/[.-]/).map(Number);
  return major > 5 || (major === 5 && minor >= 12);
}

/**
 * Builds the features document.
 *
 * @example
 * ```ts
 * const f = features();
 * console.log(f.ociVersionMax, (f.linux as { namespaces: string[] }).namespaces);
 * ```
 */
export function features(): Record<string, unknown> {
  const sc = seccompFeatures();
  const flags = sc.flags.filter((f) => SPEC_SECCOMP_FLAGS.has(f));
  return {
    ociVersionMin: "1.0.0",
    ociVersionMax: OCI_VERSION,
    hooks: [...HOOK_KINDS],
    mountOptions: supportedMountOptions(),
    linux: {
      namespaces: Object.keys(NAMESPACES).sort(),
      capabilities: [...CAPABILITIES],
      cgroup: { v1: true, v2: true, systemd: false, systemdUser: false, rdma: false },
      seccomp: {
        enabled: true,
        actions: sc.actions,
        operators: sc.operators,
        archs: sc.archs.filter((a) => SPEC_SECCOMP_ARCHS.has(a)),
        knownFlags: flags,
        supportedFlags: [...flags],
      },
      apparmor: { enabled: false },
      selinux: { enabled: false },
      intelRdt: { enabled: false },
      // Idmapped binds need mount_setattr (Linux 5.12); lib/plan/build.ts makes them.
      mountExtensions: { idmap: { enabled: kernelHasMountSetattr() } },
    },
    annotations: { "org.drun.version": VERSION },
  };
}

export { VERSION };
