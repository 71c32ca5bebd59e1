/**
 * Validates documents against the runtime-spec JSON schemas vendored in `runtime-spec/`
 * (draft-04, so through ajv's draft-04 build).
 * @module
 */
import "ajv"; // the peer ajv-draft-04 builds on: it must be in the module graph
import ajvDraft04 from "ajv-draft-04";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Where the schemas are.
 *
 * @example
 * ```ts
 * Deno.readTextFileSync(join(SCHEMA_DIR, "state-schema.json"));
 * ```
 */
export const SCHEMA_DIR = join(dirname(fileURLToPath(import.meta.url)), "runtime-spec");

/**
 * The top-level schemas: a bundle's config, a container's state, a runtime's features.
 *
 * @example
 * ```ts
 * const name: SchemaName = "features-schema.json";
 * ```
 */
export type SchemaName = "config-schema.json" | "state-schema.json" | "features-schema.json";

// A CommonJS module: its class is the default export's `default` (as TypeScript sees it, too).
const Ajv = ajvDraft04.default;
let ajv: InstanceType<typeof Ajv> | undefined;

function load(): InstanceType<typeof Ajv> {
  if (ajv) return ajv;
  // strict off: the schemas use draft-04 idioms (e.g. "id"-less refs by file name) that
  // ajv's strict mode reports although they are valid draft-04.
  const a = new Ajv({ strict: false, allErrors: true });
  for (const e of Deno.readDirSync(SCHEMA_DIR)) {
    if (!e.name.endsWith(".json")) continue;
    // The file name is the schema's id, so "defs.json#/..." refs resolve between them.
    a.addSchema(JSON.parse(Deno.readTextFileSync(join(SCHEMA_DIR, e.name))), e.name);
  }
  ajv = a;
  return a;
}

/**
 * The schema's complaints about `doc`, one line each (`/linux/seccomp/archs/5 must be equal to
 * one of the allowed values`); empty when it is valid.
 *
 * @example
 * ```ts
 * schemaErrors("state-schema.json", { ociVersion: "1.2.0" }); // ["must have required property 'id'", ...]
 * ```
 */
export function schemaErrors(name: SchemaName, doc: unknown): string[] {
  const validate = load().getSchema(name);
  if (!validate) throw new Error(`schema ${name} is not in ${SCHEMA_DIR}`);
  if (validate(doc)) return [];
  return (validate.errors ?? []).map((e) => {
    const at = e.instancePath || "(root)";
    const allowed = e.params && "allowedValues" in e.params
      ? ` (${JSON.stringify(e.params.allowedValues)}, got ${
        JSON.stringify(valueAt(doc, e.instancePath))
      })`
      : "";
    return `${at} ${e.message}${allowed}`;
  });
}

function valueAt(doc: unknown, pointer: string): unknown {
  let v = doc;
  for (const part of pointer.split("/").slice(1)) {
    const key = part.replaceAll("~1", "/").replaceAll("~0", "~");
    v = (v as Record<string, unknown> | undefined)?.[key];
  }
  return v;
}
