import type { RouteOptions } from 'fastify';
import { errorBody } from './schemas.ts';

/** Builds the OpenAPI 3.1 document from the routes' own schemas, so the two never disagree. */
export function openApiDocument(routes: readonly RouteOptions[], version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const scope = (r.config as { scope?: string } | undefined)?.scope;
    const schema = (r.schema ?? {}) as {
      summary?: string;
      body?: unknown;
      params?: { properties?: Record<string, unknown> };
      querystring?: { properties?: Record<string, unknown> };
      response?: Record<string, unknown>;
    };
    if (!schema.summary) continue;
    const path = r.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    const methods = Array.isArray(r.method) ? r.method : [r.method];
    for (const m of methods) {
      if (m === 'HEAD') continue;
      const parameters = [
        ...Object.entries(schema.params?.properties ?? {}).map(([name, s]) => ({
          name,
          in: 'path',
          required: true,
          schema: s,
        })),
        ...Object.entries(schema.querystring?.properties ?? {}).map(([name, s]) => ({
          name,
          in: 'query',
          required: false,
          schema: s,
        })),
      ];
      const responses: Record<string, unknown> = {};
      for (const [status, s] of Object.entries(schema.response ?? {})) {
        responses[status] = { description: 'Success', content: { 'application/json': { schema: s } } };
      }
      responses.default = {
        description: 'Error (see docs/allocator-errors.md)',
        content: { 'application/json': { schema: errorBody } },
      };
      (paths[path] ??= {})[m.toLowerCase()] = {
        summary: schema.summary,
        ...(scope ? { security: [{ apiKey: [] }, { bearer: [] }], 'x-scope': scope } : {}),
        ...(parameters.length ? { parameters } : {}),
        ...(schema.body
          ? { requestBody: { required: true, content: { 'application/json': { schema: schema.body } } } }
          : {}),
        responses,
      };
    }
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Click-To-Call-In allocator', version },
    components: {
      securitySchemes: {
        apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' },
        bearer: { type: 'http', scheme: 'bearer' },
      },
    },
    paths,
  };
}
