// Image layers: a directory tree or a list of files becomes one deterministic gzip'd tar (sorted entries,
// fixed mtimes, explicit owners), with the two digests an image needs: the diff ID of the tar and the digest
// of the gzip'd blob.
import { createHash } from 'node:crypto';
import { lstat, readFile, readdir, readlink, stat } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { TAR_END, tarEntry, type TarEntryType } from './tar.ts';

const gzipAsync = promisify(gzip);

/** Every entry gets this mtime, so the same inputs give the same digests. */
export const LAYER_MTIME = 0;

/** One file, directory or symlink of a layer, by its path inside the image. */
export interface FileSpec {
  /** Path inside the image, e.g. `usr/local/bin/node` (a leading `/` is ignored). */
  readonly path: string;
  /** Default `file`. */
  readonly type?: TarEntryType;
  /** The file's content… */
  readonly content?: string | Buffer;
  /** …or a host file to copy (symlinks followed); its mode is kept unless `mode` is given. */
  readonly fromPath?: string;
  /** The target of a symlink. */
  readonly target?: string;
  /** Default: 0o644 for files, 0o755 for directories, 0o777 for symlinks. */
  readonly mode?: number;
  readonly uid?: number;
  readonly gid?: number;
}

/** A host directory tree copied to `prefix` (default: the image root), owned by `uid:gid` (default 0:0). */
export interface DirLayerSpec {
  readonly fromDir: string;
  readonly prefix?: string;
  readonly uid?: number;
  readonly gid?: number;
  /** Paths relative to `fromDir` (posix separators) to leave out, with everything under them. */
  readonly exclude?: (relativePath: string) => boolean;
  /** Shown in the image history. */
  readonly comment?: string;
}

export interface FilesLayerSpec {
  readonly files: readonly FileSpec[];
  readonly comment?: string;
}

export type LayerSpec = DirLayerSpec | FilesLayerSpec;

/** What a layer holds, for listings and checks. */
export interface LayerFile {
  readonly path: string;
  readonly type: TarEntryType;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly size: number;
  readonly target?: string;
}

/** A built layer; pass it to several images to share it. */
export interface Layer {
  readonly blob: Buffer;
  /** sha256 of the gzip'd blob. */
  readonly digest: string;
  /** sha256 of the uncompressed tar. */
  readonly diffId: string;
  readonly files: readonly LayerFile[];
  readonly comment: string;
}

interface LayerItem extends LayerFile {
  readonly content?: Buffer;
}

export function isBuiltLayer(layer: LayerSpec | Layer): layer is Layer {
  return 'blob' in layer;
}

export async function buildLayer(spec: LayerSpec, options: { gzipLevel?: number } = {}): Promise<Layer> {
  const items = 'fromDir' in spec ? await dirItems(spec) : await fileItems(spec.files);
  const tar = layerTar(items);
  const blob = await gzipAsync(tar, { level: options.gzipLevel ?? 6 });
  return {
    blob,
    digest: sha256(blob),
    diffId: sha256(tar),
    files: items.map(({ content: _content, ...file }) => file),
    comment: spec.comment ?? ('fromDir' in spec ? `COPY ${spec.prefix ?? '/'}` : 'files'),
  };
}

export function sha256(data: Buffer): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** The tar of a layer: parents added where missing, entries sorted, duplicate paths refused. */
export function layerTar(items: readonly LayerItem[]): Buffer {
  const chunks = withParents(items).map((item) =>
    tarEntry(
      {
        path: item.path,
        type: item.type,
        mode: item.mode,
        uid: item.uid,
        gid: item.gid,
        mtime: LAYER_MTIME,
        ...(item.target === undefined ? {} : { linkTarget: item.target }),
      },
      item.content,
    ),
  );
  return Buffer.concat([...chunks, TAR_END]);
}

function withParents(items: readonly LayerItem[]): LayerItem[] {
  const byPath = new Map<string, LayerItem>();
  for (const item of items) {
    if (byPath.has(item.path)) throw new Error(`layer: ${item.path} is given twice`);
    byPath.set(item.path, item);
  }
  for (const item of items) {
    for (let parent = posix.dirname(item.path); parent !== '.'; parent = posix.dirname(parent)) {
      if (byPath.has(parent)) break;
      byPath.set(parent, { path: parent, type: 'dir', mode: 0o755, uid: 0, gid: 0, size: 0 });
    }
  }
  return [...byPath.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

function imagePath(path: string): string {
  const clean = posix.normalize(path.replace(/^\/+/, '')).replace(/\/+$/, '');
  if (clean === '' || clean === '.' || clean.startsWith('../'))
    throw new Error(`layer: bad image path ${path}`);
  return clean;
}

async function fileItems(files: readonly FileSpec[]): Promise<LayerItem[]> {
  return Promise.all(files.map(fileItem));
}

async function fileItem(spec: FileSpec): Promise<LayerItem> {
  const type = spec.type ?? 'file';
  const owner = { uid: spec.uid ?? 0, gid: spec.gid ?? 0 };
  const path = imagePath(spec.path);
  if (type === 'dir') return { path, type, mode: spec.mode ?? 0o755, ...owner, size: 0 };
  if (type === 'symlink') {
    if (!spec.target) throw new Error(`layer: symlink ${spec.path} has no target`);
    return { path, type, mode: spec.mode ?? 0o777, ...owner, size: 0, target: spec.target };
  }
  if (spec.fromPath !== undefined) {
    const [content, info] = await Promise.all([readFile(spec.fromPath), stat(spec.fromPath)]);
    return { path, type, mode: spec.mode ?? info.mode & 0o7777, ...owner, size: content.length, content };
  }
  const content = Buffer.from(spec.content ?? '');
  return { path, type, mode: spec.mode ?? 0o644, ...owner, size: content.length, content };
}

async function dirItems(spec: DirLayerSpec): Promise<LayerItem[]> {
  const owner = { uid: spec.uid ?? 0, gid: spec.gid ?? 0 };
  const prefix = spec.prefix === undefined || /^\/*$/.test(spec.prefix) ? '' : imagePath(spec.prefix);
  const items: LayerItem[] = [];
  if (prefix !== '') items.push({ path: prefix, type: 'dir', mode: 0o755, ...owner, size: 0 });

  async function walk(relativeDir: string): Promise<void> {
    const names = (await readdir(join(spec.fromDir, relativeDir))).sort();
    for (const name of names) {
      const relative = relativeDir === '' ? name : `${relativeDir}/${name}`;
      if (spec.exclude?.(relative)) continue;
      const hostPath = join(spec.fromDir, relative);
      const path = prefix === '' ? relative : `${prefix}/${relative}`;
      const info = await lstat(hostPath);
      const mode = info.mode & 0o7777;
      if (info.isDirectory()) {
        items.push({ path, type: 'dir', mode, ...owner, size: 0 });
        await walk(relative);
      } else if (info.isSymbolicLink()) {
        items.push({
          path,
          type: 'symlink',
          mode: 0o777,
          ...owner,
          size: 0,
          target: await readlink(hostPath),
        });
      } else if (info.isFile()) {
        const content = await readFile(hostPath);
        items.push({ path, type: 'file', mode, ...owner, size: content.length, content });
      }
      // Sockets, FIFOs and devices have no place in an image layer and are skipped.
    }
  }
  await walk('');
  return items;
}
