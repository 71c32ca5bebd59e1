/**
 * A busybox image for the engine suites: as a rootfs tarball, and as an OCI image layout
 * tarball containerd can import.
 * @module
 */
import { join } from "node:path";
import { busyboxRootfs } from "../helpers.ts";
import { must } from "./commands.ts";

/** Applets the scenarios use, beyond those busyboxRootfs links. */
const EXTRA_APPLETS = ["grep", "touch", "chown", "unshare", "tty", "tr", "head", "wc", "stat"];

/** A busybox rootfs under dir/rootfs and its tarball dir/rootfs.tar. */
export async function busyboxTarball(dir: string): Promise<{ rootfs: string; tar: string }> {
  const rootfs = join(dir, "rootfs");
  busyboxRootfs(rootfs);
  for (const a of EXTRA_APPLETS) Deno.symlinkSync("busybox", join(rootfs, "bin", a));
  const tar = join(dir, "rootfs.tar");
  await must(["tar", "--numeric-owner", "-C", rootfs, "-cf", tar, "."]);
  return { rootfs, tar };
}

async function sha256(bytes: Uint8Array): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as BufferSource));
  return [...d].map((b) => b.toString(16).padStart(2, "0")).join("");
}

async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  const s = new Blob([bytes as BlobPart]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(s).arrayBuffer());
}

/**
 * An OCI image layout tarball (oci-layout, index.json, manifest, config, one gzip layer)
 * of a rootfs tarball, named `name` for containerd's import (`entrypoint`: the image's, none
 * by default). Returns its path.
 */
export async function ociImageTarball(
  dir: string,
  rootfsTar: string,
  name: string,
  entrypoint?: string[],
) {
  const layout = join(dir, entrypoint ? "oci-entrypoint" : "oci");
  const blobs = join(layout, "blobs/sha256");
  Deno.mkdirSync(blobs, { recursive: true });
  const blob = async (bytes: Uint8Array, mediaType: string) => {
    const digest = await sha256(bytes);
    Deno.writeFileSync(join(blobs, digest), bytes);
    return { mediaType, digest: `sha256:${digest}`, size: bytes.length };
  };
  const json = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
  const layerTar = Deno.readFileSync(rootfsTar);
  const layer = await blob(await gzip(layerTar), "application/vnd.oci.image.layer.v1.tar+gzip");
  const config = await blob(
    json({
      architecture: "amd64",
      os: "linux",
      config: {
        Env: ["PATH=/bin"],
        ...(entrypoint ? { Entrypoint: entrypoint } : { Cmd: ["/bin/sh"] }),
      },
      rootfs: { type: "layers", diff_ids: [`sha256:${await sha256(layerTar)}`] },
    }),
    "application/vnd.oci.image.config.v1+json",
  );
  const manifest = await blob(
    json({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      config,
      layers: [layer],
    }),
    "application/vnd.oci.image.manifest.v1+json",
  );
  const tag = name.slice(name.lastIndexOf(":") + 1);
  Deno.writeTextFileSync(
    join(layout, "oci-layout"),
    JSON.stringify({ imageLayoutVersion: "1.0.0" }),
  );
  Deno.writeTextFileSync(
    join(layout, "index.json"),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [{
        ...manifest,
        platform: { architecture: "amd64", os: "linux" },
        annotations: { "io.containerd.image.name": name, "org.opencontainers.image.ref.name": tag },
      }],
    }),
  );
  const tar = join(dir, entrypoint ? "image-entrypoint.tar" : "image.tar");
  await must(["tar", "-C", layout, "-cf", tar, "."]);
  return tar;
}
