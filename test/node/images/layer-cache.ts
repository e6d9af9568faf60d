// Built layers kept on disk between builds, by a key made from everything the layer is built from, so that
// a warm build skips `npm ci` and the gzip of the Node.js binary. A few entries of each kind are kept.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Layer } from './layer.ts';

const KEPT_PER_KIND = 2;
/** Bump when the layer format changes, so that no old entry is taken for a new one. */
const FORMAT = 'layer-cache-v1';

export function defaultImagesCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return (
    env.C2C_IMAGES_CACHE ??
    join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'click-to-call-in', 'images')
  );
}

export function cacheKey(...parts: readonly (string | Buffer)[]): string {
  const hash = createHash('sha256').update(FORMAT);
  for (const part of parts) hash.update(createHash('sha256').update(part).digest());
  return hash.digest('hex').slice(0, 32);
}

export interface LayerCache {
  /** The cached layer of this kind and key, or the one `build` makes (then cached). */
  layer(kind: string, key: string, build: () => Promise<Layer>): Promise<{ layer: Layer; hit: boolean }>;
}

/** No cache: every layer is built. */
export const NO_LAYER_CACHE: LayerCache = {
  layer: async (_kind, _key, build) => ({ layer: await build(), hit: false }),
};

export function diskLayerCache(dir: string): LayerCache {
  const layersDir = join(dir, 'layers');
  return {
    async layer(kind, key, build) {
      const base = join(layersDir, `${kind}-${key}`);
      const cached = await readCached(base);
      if (cached) return { layer: cached, hit: true };
      const layer = await build();
      await mkdir(layersDir, { recursive: true });
      const { blob, ...meta } = layer;
      // Unique partial names: two builds at once each write their own, and the last rename wins.
      const partial = `${process.pid}-${randomBytes(4).toString('hex')}.partial`;
      await writeFile(`${base}.tar.gz.${partial}`, blob);
      await writeFile(`${base}.json.${partial}`, JSON.stringify(meta));
      await rename(`${base}.tar.gz.${partial}`, `${base}.tar.gz`);
      await rename(`${base}.json.${partial}`, `${base}.json`);
      await prune(layersDir, kind);
      return { layer, hit: false };
    },
  };
}

async function readCached(base: string): Promise<Layer | undefined> {
  try {
    const meta = JSON.parse(await readFile(`${base}.json`, 'utf8')) as Omit<Layer, 'blob'>;
    const blob = await readFile(`${base}.tar.gz`);
    const now = new Date();
    await utimes(`${base}.json`, now, now);
    return { ...meta, blob };
  } catch {
    return undefined;
  }
}

/** Keeps the most recently used entries of a kind. */
async function prune(layersDir: string, kind: string): Promise<void> {
  const entries = (await readdir(layersDir)).filter(
    (name) => name.startsWith(`${kind}-`) && name.endsWith('.json'),
  );
  const used = await Promise.all(
    entries.map(async (name) => ({ name, mtime: (await stat(join(layersDir, name))).mtimeMs })),
  );
  const stale = used.sort((a, b) => b.mtime - a.mtime).slice(KEPT_PER_KIND);
  for (const { name } of stale) {
    const base = join(layersDir, name.slice(0, -'.json'.length));
    await rm(`${base}.json`, { force: true });
    await rm(`${base}.tar.gz`, { force: true });
  }
}
