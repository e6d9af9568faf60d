// Reads back an OCI image-layout archive: its image name, configuration and the files of every layer.
// For checks of what an archive holds; it reads the formats that oci-image.ts writes (ustar and pax).
import { readFile } from 'node:fs/promises';
import { posix } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { BLOCK } from './tar.ts';

export interface TarItem {
  readonly path: string;
  /** `0` file, `5` directory, `2` symlink, `1` hard link… */
  readonly typeFlag: string;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly linkTarget: string;
  readonly content: Buffer;
}

export interface ImageFile {
  readonly path: string;
  readonly type: 'file' | 'dir' | 'symlink' | 'other';
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly size: number;
  readonly linkTarget?: string;
}

export interface ImageConfigDocument {
  architecture: string;
  os: string;
  config: {
    User?: string;
    Env?: string[];
    Entrypoint?: string[];
    Cmd?: string[];
    WorkingDir?: string;
    ExposedPorts?: Record<string, object>;
    Labels?: Record<string, string>;
  };
  rootfs: { type: string; diff_ids: string[] };
}

export interface ArchivedImage {
  /** The `io.containerd.image.name` annotation. */
  readonly name: string;
  readonly config: ImageConfigDocument;
  /** Gzip'd layer blobs, bottom first. */
  readonly layers: readonly Buffer[];
  /** The image's file system with every layer applied, by absolute path. */
  readonly files: ReadonlyMap<string, ImageFile>;
}

export async function readOciArchive(path: string): Promise<ArchivedImage> {
  const entries = new Map(parseTar(await readFile(path)).map((item) => [item.path.replace(/\/$/, ''), item]));
  const blob = (digest: string): Buffer => {
    const item = entries.get(`blobs/${digest.replace(':', '/')}`);
    if (!item) throw new Error(`${path}: blob ${digest} is missing`);
    return item.content;
  };
  const json = <T>(data: Buffer | undefined, what: string): T => {
    if (!data) throw new Error(`${path}: no ${what}`);
    return JSON.parse(data.toString('utf8')) as T;
  };
  const index = json<{ manifests: { digest: string; annotations?: Record<string, string> }[] }>(
    entries.get('index.json')?.content,
    'index.json',
  );
  const [descriptor] = index.manifests;
  if (!descriptor || index.manifests.length !== 1)
    throw new Error(`${path}: expected one manifest in index.json`);
  const manifest = json<{ config: { digest: string }; layers: { digest: string }[] }>(
    blob(descriptor.digest),
    'manifest',
  );
  const layers = manifest.layers.map((layer) => blob(layer.digest));
  return {
    name: descriptor.annotations?.['io.containerd.image.name'] ?? '',
    config: json<ImageConfigDocument>(blob(manifest.config.digest), 'config'),
    layers,
    files: applyLayers(layers.map((layer) => parseTar(gunzipSync(layer)))),
  };
}

/** The file system that the layers make, later layers replacing earlier entries (whiteouts are not written by oci-image.ts and not read here). */
export function applyLayers(layers: readonly (readonly TarItem[])[]): Map<string, ImageFile> {
  const files = new Map<string, ImageFile>();
  for (const items of layers) {
    for (const item of items) {
      const path = posix.join('/', item.path).replace(/(.)\/+$/, '$1');
      const type =
        item.typeFlag === '0' || item.typeFlag === '\0'
          ? 'file'
          : item.typeFlag === '5'
            ? 'dir'
            : item.typeFlag === '2'
              ? 'symlink'
              : 'other';
      files.set(path, {
        path,
        type,
        mode: item.mode,
        uid: item.uid,
        gid: item.gid,
        size: item.content.length,
        ...(type === 'symlink' ? { linkTarget: item.linkTarget } : {}),
      });
    }
  }
  return files;
}

export function parseTar(archive: Buffer): TarItem[] {
  const items: TarItem[] = [];
  let pax: Record<string, string> = {};
  for (let offset = 0; offset + BLOCK <= archive.length;) {
    const header = archive.subarray(offset, offset + BLOCK);
    if (header.every((byte) => byte === 0)) break;
    const size = octal(header, 124, 12);
    const content = archive.subarray(offset + BLOCK, offset + BLOCK + size);
    offset += BLOCK + Math.ceil(size / BLOCK) * BLOCK;
    const typeFlag = String.fromCharCode(header[156] ?? 0);
    if (typeFlag === 'x') {
      pax = parsePax(content);
      continue;
    }
    const prefix = text(header, 345, 155);
    const name = text(header, 0, 100);
    items.push({
      path: pax.path ?? (prefix ? `${prefix}/${name}` : name),
      typeFlag,
      mode: octal(header, 100, 8),
      uid: octal(header, 108, 8),
      gid: octal(header, 116, 8),
      linkTarget: pax.linkpath ?? text(header, 157, 100),
      content: Buffer.from(content),
    });
    pax = {};
  }
  return items;
}

function parsePax(records: Buffer): Record<string, string> {
  const values: Record<string, string> = {};
  for (let offset = 0; offset < records.length;) {
    const space = records.indexOf(0x20, offset);
    const length = Number(records.toString('ascii', offset, space));
    if (space === -1 || !(length > 0)) break;
    const record = records.toString('utf8', space + 1, offset + length - 1);
    const equals = record.indexOf('=');
    values[record.slice(0, equals)] = record.slice(equals + 1);
    offset += length;
  }
  return values;
}

function text(block: Buffer, offset: number, width: number): string {
  const field = block.subarray(offset, offset + width);
  const end = field.indexOf(0);
  return field.toString('utf8', 0, end === -1 ? width : end);
}

function octal(block: Buffer, offset: number, width: number): number {
  const digits = text(block, offset, width).trim();
  return digits === '' ? 0 : parseInt(digits, 8);
}
