// Writes a container image as an OCI image-layout tar archive, the format `ctr images import` (containerd
// 1.6 and later) and `docker load` read. The manifest's `io.containerd.image.name` annotation carries the
// full normalized name (containerd names the image by it), `org.opencontainers.image.ref.name` the tag
// (as the OCI layout spec has it), and a Docker `manifest.json` is added for `docker load`.
import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { buildLayer, isBuiltLayer, LAYER_MTIME, sha256, type Layer, type LayerSpec } from './layer.ts';
import { TAR_END, tarHeader, tarPadding } from './tar.ts';

export type { FileSpec, Layer, LayerSpec } from './layer.ts';
export { buildLayer } from './layer.ts';

export interface ImageConfig {
  readonly entrypoint?: readonly string[];
  readonly cmd?: readonly string[];
  /** `uid[:gid]` or a name from the image's /etc/passwd. */
  readonly user?: string;
  /** In order; PATH is not added for you. */
  readonly env?: Readonly<Record<string, string>>;
  readonly workingDir?: string;
  /** `8080` (tcp), `'8080/tcp'` or `'53/udp'`. */
  readonly exposedPorts?: readonly (number | string)[];
  readonly labels?: Readonly<Record<string, string>>;
  readonly stopSignal?: string;
}

export interface Platform {
  readonly os: string;
  readonly architecture: string;
}

export interface ImageSpec {
  /** e.g. `click-to-call-in/operator:0.1.0`; no tag means `latest`. */
  readonly ref: string;
  /** Bottom first. Built layers are used as they are, so images can share them. */
  readonly layers: readonly (LayerSpec | Layer)[];
  readonly config: ImageConfig;
  /** Default: linux and the host's architecture. */
  readonly platform?: Platform;
}

export interface WrittenImage {
  /** The name containerd gives the image, e.g. `docker.io/click-to-call-in/operator:0.1.0`. */
  readonly name: string;
  readonly path: string;
  readonly manifestDigest: string;
  readonly configDigest: string;
  readonly layers: readonly Layer[];
  /** Bytes of the archive. */
  readonly size: number;
}

const MEDIA_TYPE = {
  index: 'application/vnd.oci.image.index.v1+json',
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layer: 'application/vnd.oci.image.layer.v1.tar+gzip',
} as const;

const EPOCH = new Date(LAYER_MTIME * 1000).toISOString().replace('.000Z', 'Z');

export async function writeOciArchive(image: ImageSpec, outPath: string): Promise<WrittenImage> {
  const layers = await Promise.all(
    image.layers.map((layer) => (isBuiltLayer(layer) ? layer : buildLayer(layer))),
  );
  const platform = image.platform ?? hostPlatform();
  const name = normalizeImageRef(image.ref);
  const config = json(imageConfigDocument(image.config, layers, platform));
  const manifest = json({
    schemaVersion: 2,
    mediaType: MEDIA_TYPE.manifest,
    config: { mediaType: MEDIA_TYPE.config, digest: sha256(config), size: config.length },
    layers: layers.map((layer) => ({
      mediaType: MEDIA_TYPE.layer,
      digest: layer.digest,
      size: layer.blob.length,
    })),
  });
  const index = json({
    schemaVersion: 2,
    mediaType: MEDIA_TYPE.index,
    manifests: [
      {
        mediaType: MEDIA_TYPE.manifest,
        digest: sha256(manifest),
        size: manifest.length,
        platform,
        annotations: {
          'io.containerd.image.name': name,
          'org.opencontainers.image.ref.name': name.slice(name.lastIndexOf(':') + 1),
        },
      },
    ],
  });
  const dockerManifest = json([
    {
      Config: blobPath(sha256(config)),
      RepoTags: [name],
      Layers: layers.map((layer) => blobPath(layer.digest)),
    },
  ]);

  const blobs = new Map<string, Buffer>([
    [sha256(config), config],
    [sha256(manifest), manifest],
  ]);
  for (const layer of layers) blobs.set(layer.digest, layer.blob);

  const size = await writeTarFile(outPath, [
    ['oci-layout', json({ imageLayoutVersion: '1.0.0' })],
    ['index.json', index],
    ['manifest.json', dockerManifest],
    ['blobs/', null],
    ['blobs/sha256/', null],
    ...[...blobs].map(([digest, blob]): [string, Buffer] => [blobPath(digest), blob]),
  ]);
  return {
    name,
    path: outPath,
    manifestDigest: sha256(manifest),
    configDigest: sha256(config),
    layers,
    size,
  };
}

/** The OCI image configuration document (what `docker inspect` shows under Config, plus rootfs and history). */
export function imageConfigDocument(
  config: ImageConfig,
  layers: readonly Layer[],
  platform: Platform,
): object {
  const exposed = config.exposedPorts?.map((port) => (typeof port === 'number' ? `${port}/tcp` : port));
  return {
    created: EPOCH,
    architecture: platform.architecture,
    os: platform.os,
    config: {
      ...(config.user === undefined ? {} : { User: config.user }),
      ...(exposed?.length ? { ExposedPorts: Object.fromEntries(exposed.map((port) => [port, {}])) } : {}),
      ...(config.env ? { Env: Object.entries(config.env).map(([key, value]) => `${key}=${value}`) } : {}),
      ...(config.entrypoint ? { Entrypoint: [...config.entrypoint] } : {}),
      ...(config.cmd ? { Cmd: [...config.cmd] } : {}),
      ...(config.workingDir === undefined ? {} : { WorkingDir: config.workingDir }),
      ...(config.labels ? { Labels: { ...config.labels } } : {}),
      ...(config.stopSignal === undefined ? {} : { StopSignal: config.stopSignal }),
    },
    rootfs: { type: 'layers', diff_ids: layers.map((layer) => layer.diffId) },
    history: layers.map((layer) => ({ created: EPOCH, created_by: layer.comment })),
  };
}

/**
 * The full name an image reference stands for, as Docker and containerd's CRI resolve it:
 * `nats:2.11` → `docker.io/library/nats:2.11`, `registry.k8s.io/pause` → `registry.k8s.io/pause:latest`.
 */
export function normalizeImageRef(ref: string): string {
  if (ref.includes('@')) throw new Error(`image ref ${ref}: digests are not supported, give a tag`);
  const tagColon = ref.indexOf(':', ref.lastIndexOf('/') + 1);
  const repository = tagColon === -1 ? ref : ref.slice(0, tagColon);
  const tag = tagColon === -1 ? 'latest' : ref.slice(tagColon + 1);
  const { domain, path } = splitDomain(repository);
  const component = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
  if (!new RegExp(`^${component}(?:/${component})*$`).test(path)) {
    throw new Error(`image ref ${ref}: invalid repository name`);
  }
  if (!/^\w[\w.-]{0,127}$/.test(tag)) throw new Error(`image ref ${ref}: invalid tag`);
  if (domain !== undefined) return `${domain}/${path}:${tag}`;
  return path.includes('/') ? `docker.io/${path}:${tag}` : `docker.io/library/${path}:${tag}`;
}

/** Docker's rule: the first component is a registry when it has a dot or a port, or is `localhost`. */
function splitDomain(repository: string): { domain?: string; path: string } {
  const slash = repository.indexOf('/');
  const first = repository.slice(0, Math.max(slash, 0));
  if (slash !== -1 && (first.includes('.') || first.includes(':') || first === 'localhost')) {
    return { domain: first, path: repository.slice(slash + 1) };
  }
  return { path: repository };
}

export function hostPlatform(): Platform {
  const architectures: Partial<Record<NodeJS.Architecture, string>> = { x64: 'amd64', arm64: 'arm64' };
  const architecture = architectures[process.arch];
  if (!architecture) throw new Error(`no OCI architecture name for ${process.arch}`);
  return { os: 'linux', architecture };
}

function blobPath(digest: string): string {
  return `blobs/${digest.replace(':', '/')}`;
}

function json(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value));
}

/** Writes the entries (null content: a directory) as a tar file, atomically; returns its size. */
async function writeTarFile(outPath: string, entries: readonly [string, Buffer | null][]): Promise<number> {
  const partial = `${outPath}.${process.pid}-${randomBytes(4).toString('hex')}.partial`;
  const file = await open(partial, 'w');
  let size = 0;
  try {
    const write = async (chunk: Buffer): Promise<void> => {
      for (let offset = 0; offset < chunk.length;) {
        const { bytesWritten } = await file.write(chunk, offset);
        offset += bytesWritten;
      }
      size += chunk.length;
    };
    for (const [path, content] of entries) {
      const common = { path, uid: 0, gid: 0, mtime: LAYER_MTIME };
      if (content === null) {
        await write(tarHeader({ ...common, type: 'dir', mode: 0o755 }));
      } else {
        await write(tarHeader({ ...common, type: 'file', mode: 0o644, size: content.length }));
        await write(content);
        await write(tarPadding(content.length));
      }
    }
    await write(TAR_END);
    await file.close();
    await rename(partial, outPath);
    return size;
  } catch (error) {
    await file.close().catch(() => undefined);
    await rm(partial, { force: true });
    throw error;
  }
}
