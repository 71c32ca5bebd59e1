/**
 * The library's documentation holds: the example at the top of mod.ts runs as written
 * (it threw while defaultSpec gave a terminal nobody received), every export of every entry
 * in deno.json's `exports` has an example, and `deno doc --lint` passes on them.
 */
import "./needs_root.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import { busyboxBundle, REPO } from "../helpers.ts";

const ENTRIES = Object.values(
  JSON.parse(Deno.readTextFileSync(join(REPO, "deno.json"))).exports as Record<string, string>,
);

async function deno(args: string[]): Promise<Deno.CommandOutput> {
  return await new Deno.Command(Deno.execPath(), {
    args,
    cwd: REPO,
    stdout: "piped",
    stderr: "piped",
  }).output();
}

Deno.test("library docs: the example of mod.ts runs against a real rootfs", async () => {
  const { b } = busyboxBundle();
  try {
    const doc = Deno.readTextFileSync(join(REPO, "mod.ts"));
    const code = /```ts\n([\s\S]*?)```/.exec(doc)![1].replace(/^ \* ?/gm, "")
      .replace("jsr:@drun/drun", `file://${REPO}/mod.ts`)
      .replace("/run/drun", b.root)
      .replace("/path/to/rootfs", b.rootfs);
    const file = join(b.dir, "example.ts");
    Deno.writeTextFileSync(file, code);
    const out = await deno(["run", "-A", file]);
    const text = new TextDecoder().decode(out.stdout);
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    assert.equal(
      text,
      '{ code: 0, stdout: "hello\\n", stderr: "" }\nfed through stdin\n { code: 0 }\n',
    );
    assert.deepEqual([...Deno.readDirSync(b.root)], [], "the example left a container behind");
  } finally {
    await b.cleanup();
  }
});

Deno.test("library docs: an example on every export, deno doc --lint clean", async () => {
  const lint = await deno(["doc", "--lint", ...ENTRIES]);
  assert.equal(lint.code, 0, new TextDecoder().decode(lint.stderr));
  const json = await deno(["doc", "--json", ...ENTRIES]);
  const doc = JSON.parse(new TextDecoder().decode(json.stdout));
  const missing: string[] = [];
  for (const [entry, node] of Object.entries(doc.nodes) as [string, DocNode][]) {
    for (const sym of node.symbols) {
      // A symbol two entries export is documented once; the other shows a reference to it.
      if (sym.declarations.every((d) => d.kind === "reference")) continue;
      const tags = sym.declarations.flatMap((d) => d.jsDoc?.tags ?? []);
      if (!tags.some((t) => t.kind === "example")) {
        missing.push(`${entry.slice(REPO.length + 8)}: ${sym.name}`);
      }
    }
  }
  assert.deepEqual(missing, []);
});

/** The part of `deno doc --json` this test reads. */
interface DocNode {
  symbols: {
    name: string;
    declarations: { kind: string; jsDoc?: { tags?: { kind: string }[] } }[];
  }[];
}

Deno.test("library docs: the library examples run as documented", async () => {
  const want: Record<string, string> = {
    "library_lifecycle.ts": "hello from example\nexited: { code: 3 }\n",
    "library_stdio.ts": 'run: { code: 0, stdout: "out\\n", stderr: "err\\n" }\n' +
      "answer: got one\nanswer: got two\nexit: { code: 0 }\n",
  };
  for (const [file, tail] of Object.entries(want)) {
    const out = await deno(["run", "-A", join(REPO, "examples", file)]);
    assert.equal(out.code, 0, `${file}: ${new TextDecoder().decode(out.stderr)}`);
    assert.ok(new TextDecoder().decode(out.stdout).endsWith(tail), file);
  }
});
