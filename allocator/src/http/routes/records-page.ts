import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { AllocatorCode, AllocatorError } from '../../errors.ts';

/**
 * The page's files, in allocator/ui/ beside the sources; the build copies that folder to
 * dist/allocator/ui/, which is where the compiled module finds it (the same relative path).
 */
export const RECORDS_PAGE_DIR = new URL('../../../ui/', import.meta.url);

/** The only files served, each with its content type: nothing else in the folder is reachable. */
const CONTENT_TYPES: Readonly<Record<string, string>> = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'api.js': 'text/javascript; charset=utf-8',
  'records.js': 'text/javascript; charset=utf-8',
  'render.js': 'text/javascript; charset=utf-8',
  'style.css': 'text/css; charset=utf-8',
  'icon.svg': 'image/svg+xml',
};

/** Scripts and styles from these files only (no inline script or style); data from the API only. */
export const RECORDS_PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS = {
  'content-security-policy': RECORDS_PAGE_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  // Revalidated on every load (a 304 when unchanged), so an upgraded allocator serves its new page.
  'cache-control': 'no-cache',
};

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

export interface RecordsPageOptions {
  /** Where the page's files are; default RECORDS_PAGE_DIR. */
  dir?: URL;
}

/**
 * The read-only records page at `/ui/`: static files that call the documented read API from the
 * browser with the viewer's API key. The files hold no data, so they need no key themselves.
 */
export const recordsPageRoutes: FastifyPluginAsync<RecordsPageOptions> = async (app, options) => {
  const dir = options.dir ?? RECORDS_PAGE_DIR;
  // Read once at start: a missing file fails the start instead of a viewer's page load.
  const assets = new Map<string, Asset>(
    await Promise.all(
      Object.entries(CONTENT_TYPES).map(async ([name, type]): Promise<[string, Asset]> => {
        const body = await readFile(new URL(name, dir));
        const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
        return [name, { body, type, etag }];
      }),
    ),
  );

  const send = (asset: Asset, req: FastifyRequest, reply: FastifyReply) => {
    void reply.headers(SECURITY_HEADERS).header('etag', asset.etag);
    if (req.headers['if-none-match'] === asset.etag) return reply.code(304).send();
    return reply.type(asset.type).send(asset.body);
  };

  // Relative, so that the page also works behind a proxy that serves the allocator under a prefix.
  app.get('/ui', (_req, reply) => reply.redirect('ui/', 308));
  app.get('/ui/', (req, reply) => send(assets.get('index.html') as Asset, req, reply));
  app.get<{ Params: { file: string } }>('/ui/:file', (req, reply) => {
    const asset = assets.get(req.params.file);
    if (!asset)
      throw new AllocatorError(AllocatorCode.NotFound, `no file ${req.params.file} in the records page`);
    return send(asset, req, reply);
  });
};
