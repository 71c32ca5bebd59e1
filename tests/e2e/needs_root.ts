/**
 * Imported first by every test file in tests/e2e/ and tests/clients/: they start real
 * containers, make users, mount and write cgroups, so they need root. Run as another user they
 * would fail far from the reason (EPERM from a mount, a missing cgroup, a refused state dir);
 * instead this module prints one line naming the file and registers each of its tests as
 * ignored, its name ending in "(needs root)". As root it does nothing at all.
 *
 * ```ts
 * import "./needs_root.ts";
 * ```
 * @module
 */

/** The repository root, two levels up from this file. */
const REPO = new URL("../../", import.meta.url).href;

/** What a caller passed to `Deno.test`, in any of its forms, as one definition. */
function definition(args: unknown[]): Deno.TestDefinition {
  const fn = args.find((a) => typeof a === "function") as Deno.TestDefinition["fn"] | undefined;
  const opts = args.find((a) => typeof a === "object" && a !== null) as
    | Partial<Deno.TestDefinition>
    | undefined;
  const name = args.find((a) => typeof a === "string") as string | undefined;
  return {
    ...opts,
    name: name ?? opts?.name ?? fn?.name ?? "test",
    fn: fn ?? opts?.fn ?? (() => {}),
  };
}

if (Deno.uid() !== 0) {
  const main = Deno.mainModule;
  const file = main.startsWith(REPO) ? main.slice(REPO.length) : main;
  console.log(`${file}: skipped, needs root (run as root)`);
  const register = Deno.test;
  const ignored = (...args: unknown[]) => {
    const d = definition(args);
    register({ ...d, name: `${d.name} (needs root)`, ignore: true });
  };
  // Deno.test is read-only to the type checker but a plain writable property at run time.
  Object.defineProperty(Deno, "test", { value: ignored, configurable: true, writable: true });
}
