import type { FastifyBaseLogger } from 'fastify';
import { AllocatorCode, AllocatorError, httpStatusOf, type AllocatorCode as Code } from '../../errors.ts';

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
    if (f.validation) e = validationError(f as ValidationFailure);
    else if (f.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
      e = new AllocatorError(AllocatorCode.BodyTooLarge, 'the request body is too large');
    else if (f.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
      e = new AllocatorError(
        AllocatorCode.InvalidInput,
        'the body is not valid JSON, or holds a "__proto__" or "constructor.prototype" key (refused)',
      );
    } else if (f.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
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

interface ValidationFailure {
  message?: string;
  validationContext?: string;
  validation: Array<{ keyword: string; instancePath: string; params: Record<string, unknown> }>;
}

/** Fastify's schema failure as INVALID_INPUT; an unknown field is named (ajv's message does not). */
function validationError(f: ValidationFailure): AllocatorError {
  const [first] = f.validation;
  const extra = first?.keyword === 'additionalProperties' ? first.params.additionalProperty : undefined;
  if (typeof extra === 'string') {
    const where = `${f.validationContext ?? 'body'}${first?.instancePath ?? ''}`;
    return new AllocatorError(
      AllocatorCode.InvalidInput,
      `${where}: unknown field ${JSON.stringify(extra)}`,
      { details: { field: extra } },
    );
  }
  return new AllocatorError(AllocatorCode.InvalidInput, f.message ?? 'invalid input');
}
