import type { FastifyBaseLogger } from 'fastify';
import { AllocatorCode, AllocatorError, httpStatusOf, type AllocatorCode as Code } from '../errors.ts';

export interface ApiErrorBody {
  error: { code: Code; message: string; details?: Record<string, unknown> };
}

/** Turns anything thrown in a handler into a status, a `{ error }` body and headers (one table). */
export function toApiError(
  err: unknown,
  log: FastifyBaseLogger,
): { status: number; body: ApiErrorBody; headers: Record<string, string> } {
  const headers: Record<string, string> = {};
  let e: AllocatorError;
  if (err instanceof AllocatorError) {
    e = err;
  } else {
    const f = err as { code?: string; statusCode?: number; validation?: unknown; message?: string };
    if (f.validation) e = new AllocatorError(AllocatorCode.InvalidInput, f.message ?? 'invalid input');
    else if (f.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
      e = new AllocatorError(AllocatorCode.BodyTooLarge, 'the request body is too large');
    else if (f.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      e = new AllocatorError(AllocatorCode.UnsupportedMediaType, 'send the body as application/json');
    } else if (typeof f.statusCode === 'number' && f.statusCode >= 400 && f.statusCode < 500) {
      e = new AllocatorError(AllocatorCode.InvalidInput, f.message ?? 'invalid request');
    } else {
      log.error({ err }, 'unexpected error');
      e = new AllocatorError(AllocatorCode.Internal, 'internal error');
    }
  }
  const status = httpStatusOf[e.code];
  const retryAfter = e.details?.retryAfterSeconds;
  if (typeof retryAfter === 'number') headers['retry-after'] = String(retryAfter);
  if (status >= 500 && e.code !== AllocatorCode.Internal) log.warn({ err: e }, e.message);
  return {
    status,
    headers,
    body: { error: { code: e.code, message: e.message, ...(e.details ? { details: e.details } : {}) } },
  };
}
