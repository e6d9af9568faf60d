import Fastify, {
  LogController,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type FastifyServerOptions,
  type RouteOptions,
} from 'fastify';
import { requireScope, type ApiKeyAuthenticator, type Principal, type Scope } from './auth.ts';
import { AllocatorCode, AllocatorError } from '../errors.ts';
import type { GroupRegistry } from '../groups/index.ts';
import type { AllocatorMetrics } from '../metrics.ts';
import type { RateLimiter } from './rate-limit.ts';
import { checkJsonDepth } from './json-body.ts';
import { correlationIdOf } from '../request-ids.ts';
import { toApiError } from './routes/errors.ts';
import { gesCompatRoutes, type EpochUnit } from './routes/ges-compat.ts';
import { matchRoutes } from './routes/match.ts';
import { openApiDocument } from './routes/openapi.ts';
import { recordsPageRoutes } from './routes/records-page.ts';
import { requestsRoutes } from './routes/requests.ts';
import type { CallInService } from '../service/call-in-service.ts';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal;
  }
  interface FastifySchema {
    /** One line for the OpenAPI document. */
    summary?: string;
  }
  interface FastifyContextConfig {
    /** The API key scope a route needs; routes without one (health, metrics, OpenAPI) are public. */
    scope?: Scope;
  }
}

export interface AppDeps {
  service: CallInService;
  groups: GroupRegistry;
  auth: ApiKeyAuthenticator;
  rateLimiter: RateLimiter;
  /** Failed authentications per client address; past it, 429 instead of 401. */
  authFailureLimiter?: RateLimiter;
  metrics: AllocatorMetrics;
  /** True once groups are loaded and the store's watch has delivered its snapshot, until draining. */
  isReady: () => { ready: boolean; reason?: string };
  bodyLimitBytes: number;
  /**
   * Longest time to receive a whole request, headers and body (a client that stops sending mid-body
   * is answered 408 and disconnected). Default 10 s.
   */
  requestTimeoutMs?: number;
  /** How the GES route's `expirationTime` counts from the epoch (default milliseconds). */
  gesExpirationUnit?: EpochUnit;
  logger?: FastifyServerOptions['loggerInstance'];
  version?: string;
}

/** Answers anything thrown with the API's status, `{ error }` body and headers (see toApiError). */
function sendApiError(err: unknown, req: FastifyRequest, reply: FastifyReply): void {
  const { status, body, headers } = toApiError(err, req.log);
  void reply.code(status).headers(headers).send(body);
}

/** The allocator's HTTP API, built without listening: main.ts listens, tests use `app.inject()`. */
export function buildApp(deps: AppDeps): FastifyInstance {
  const requestTimeoutMs = deps.requestTimeoutMs ?? 10_000;
  const app = Fastify({
    ...(deps.logger ? { loggerInstance: deps.logger } : { logger: false }),
    bodyLimit: deps.bodyLimitBytes,
    requestTimeout: requestTimeoutMs,
    http: {
      requestTimeout: requestTimeoutMs,
      headersTimeout: Math.min(60_000, requestTimeoutMs),
      // How often Node looks for requests past their timeout (its default is every 30 s).
      connectionsCheckingInterval: Math.max(100, Math.min(1_000, requestTimeoutMs / 4)),
    },
    return503OnClosing: true,
    logController: new LogController({ disableRequestLogging: true }),
    // A caller's x-request-id or ccid is kept when it is a UUID (GES correlation ids), else a new one.
    requestIdHeader: false,
    genReqId: (req) => correlationIdOf(req.headers),
    ajv: { customOptions: { coerceTypes: true, removeAdditional: false, allErrors: false } },
    // Group names are up to 253 characters before percent-encoding; the schema checks the decoded one.
    routerOptions: { maxParamLength: 1024 },
    // Bad URLs and over-long parameters are answered in the API's error shape too.
    frameworkErrors: (err, req, reply) => sendApiError(err, req, reply as unknown as FastifyReply),
  }) as unknown as FastifyInstance;

  const routes: RouteOptions[] = [];
  app.addHook('onRoute', (r) => void routes.push(r));
  app.decorateRequest('principal', undefined as unknown as Principal);

  // The hooks take a `done` callback rather than returning a promise: three fewer promises and
  // microtask turns per request; a failure is passed to `done` and reaches the error handler as before.
  app.addHook('onRequest', (req, reply, done) => {
    (req as { startedAt?: bigint }).startedAt = process.hrtime.bigint();
    const scope = req.routeOptions.config?.scope;
    if (!scope) {
      done();
      return;
    }
    try {
      authorize(req, reply, scope);
    } catch (err) {
      done(err as Error);
      return;
    }
    done();
  });

  const authorize = (req: FastifyRequest, reply: FastifyReply, scope: Scope): void => {
    const header = req.headers['x-api-key'];
    const bearer = req.headers.authorization?.match(/^Bearer\s+(.+)$/i)?.[1];
    // An empty x-api-key is no key: it must not hide a valid Bearer token.
    const presented = (Array.isArray(header) ? header[0] : header) || bearer;
    try {
      req.principal = deps.auth.authenticate(presented);
    } catch (err) {
      const wait = deps.authFailureLimiter?.take(`ip:${req.ip}`) ?? 0;
      if (wait > 0) {
        void reply.header('retry-after', String(wait));
        throw new AllocatorError(
          AllocatorCode.RateLimited,
          `too many failed authentications; retry in ${wait} s`,
          {
            details: { retryAfterSeconds: wait },
          },
        );
      }
      throw err;
    }
    requireScope(req.principal, scope);
    const client = deps.auth.open ? `ip:${req.ip}` : `key:${req.principal.name}`;
    const wait = deps.rateLimiter.take(client);
    if (wait > 0) {
      void reply.header('retry-after', String(wait));
      throw new AllocatorError(AllocatorCode.RateLimited, `too many requests; retry in ${wait} s`, {
        details: { retryAfterSeconds: wait },
      });
    }
  };

  app.addHook('preValidation', (req, _reply, done) => {
    try {
      if (req.body !== undefined) checkJsonDepth(req.body);
    } catch (err) {
      done(err as Error);
      return;
    }
    done();
  });

  app.addHook('onResponse', (req, reply, done) => {
    const started = (req as { startedAt?: bigint }).startedAt;
    if (started !== undefined) {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      deps.metrics.observeHttp(req.routeOptions.url ?? 'unmatched', req.method, reply.statusCode, seconds);
    }
    done();
  });

  app.setErrorHandler(sendApiError);
  app.setNotFoundHandler((req, reply) =>
    sendApiError(new AllocatorError(AllocatorCode.NotFound, `no route ${req.method} ${req.url}`), req, reply),
  );

  addProbes(app, deps.isReady);
  app.get('/openapi.json', async () => openApiDocument(routes, deps.version ?? '0.1.0'));

  void app.register(requestsRoutes, { service: deps.service, groups: deps.groups });
  void app.register(matchRoutes, { service: deps.service });
  void app.register(recordsPageRoutes);
  void app.register(gesCompatRoutes, {
    prefix: '/engagement/v3',
    service: deps.service,
    expirationUnit: deps.gesExpirationUnit ?? 'milliseconds',
  });
  return app;
}

function addProbes(app: FastifyInstance, isReady: AppDeps['isReady']): void {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    const r = isReady();
    return reply
      .code(r.ready ? 200 : 503)
      .send(r.ready ? { status: 'ready' } : { status: 'not ready', reason: r.reason });
  });
}

/**
 * The operations port: `/metrics` (which names groups and their load, so it is kept off the API
 * port, as the operator does), and `/healthz` and `/readyz` again for convenience.
 */
export function buildMetricsApp(
  deps: Pick<AppDeps, 'metrics' | 'isReady'> & {
    /** Runs before each scrape (e.g. bringing what the gauges read up to date); its failure is ignored. */
    beforeScrape?: () => Promise<unknown>;
  },
): FastifyInstance {
  const app = Fastify({ logger: false }) as unknown as FastifyInstance;
  addProbes(app, deps.isReady);
  app.get('/metrics', async (_req, reply) => {
    await deps.beforeScrape?.().catch(() => undefined);
    return reply
      .header('content-type', deps.metrics.registry.contentType)
      .send(await deps.metrics.registry.metrics());
  });
  return app;
}
