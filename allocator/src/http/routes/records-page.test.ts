import { readdir } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { setup } from '../../testing/app-harness.ts';
import { RECORDS_PAGE_CSP, RECORDS_PAGE_DIR } from './records-page.ts';

describe('the records page', () => {
  it('redirects /ui to /ui/ and serves the page there with a strict Content-Security-Policy', async () => {
    const { app } = await setup();
    const bare = await app.inject({ method: 'GET', url: '/ui' });
    expect(bare.statusCode).toBe(308);
    expect(bare.headers.location).toBe('ui/');

    const page = await app.inject({ method: 'GET', url: '/ui/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['content-security-policy']).toBe(RECORDS_PAGE_CSP);
    expect(RECORDS_PAGE_CSP).toContain("script-src 'self'");
    expect(RECORDS_PAGE_CSP).not.toContain('unsafe-inline');
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.body).toContain('<script type="module" src="app.js"></script>');
    // No inline script or style for the policy to allow.
    expect(page.body).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(page.body).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i);
  });

  it('serves each file of allocator/ui with its content type, and no other path', async () => {
    const { app } = await setup();
    const types: Record<string, string> = {
      '.html': 'text/html; charset=utf-8',
      '.js': 'text/javascript; charset=utf-8',
      '.css': 'text/css; charset=utf-8',
      '.svg': 'image/svg+xml',
    };
    const files = await readdir(RECORDS_PAGE_DIR);
    expect(files).toContain('app.js');
    for (const file of files) {
      const res = await app.inject({ method: 'GET', url: `/ui/${file}` });
      expect(res.statusCode, file).toBe(200);
      expect(res.headers['content-type'], file).toBe(types[file.slice(file.lastIndexOf('.'))]);
      expect(res.headers['content-security-policy'], file).toBe(RECORDS_PAGE_CSP);
    }
    for (const url of ['/ui/missing.js', '/ui/..%2Fsrc%2Fmain.ts', '/ui/%2e%2e/package.json']) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(404);
      expect(res.json().error.code, url).toBe('NOT_FOUND');
    }
  });

  it('answers 304 to a revalidation of an unchanged file, and needs no API key', async () => {
    const { app } = await setup({
      keys: [{ name: 'reader', sha256: 'a'.repeat(64), scopes: ['read'] }],
    });
    const first = await app.inject({ method: 'GET', url: '/ui/app.js' });
    expect(first.statusCode).toBe(200);
    expect(first.headers['cache-control']).toBe('no-cache');
    const again = await app.inject({
      method: 'GET',
      url: '/ui/app.js',
      headers: { 'if-none-match': String(first.headers.etag) },
    });
    expect(again.statusCode).toBe(304);
    expect((await app.inject({ method: 'GET', url: '/v1/groups' })).statusCode).toBe(401);
  });

  it('is not part of the API document', async () => {
    const { app } = await setup();
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
    expect(Object.keys(doc.paths).filter((path) => path.startsWith('/ui'))).toEqual([]);
  });
});
