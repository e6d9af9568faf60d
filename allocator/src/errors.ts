import { AppError } from '#lib';

/** Every error code the allocator's HTTP API answers with (docs/allocator-errors.md). */
export const AllocatorCode = {
  InvalidInput: 'INVALID_INPUT',
  CallerNumberRequired: 'CALLER_NUMBER_REQUIRED',
  Unauthenticated: 'UNAUTHENTICATED',
  Forbidden: 'FORBIDDEN',
  UnknownGroup: 'UNKNOWN_GROUP',
  RequestNotFound: 'REQUEST_NOT_FOUND',
  NoMatch: 'NO_MATCH',
  MatchLocked: 'MATCH_LOCKED',
  NotFound: 'NOT_FOUND',
  PoolExhausted: 'POOL_EXHAUSTED',
  NumberNotInPool: 'NUMBER_NOT_IN_POOL',
  NumberUnavailable: 'NUMBER_UNAVAILABLE',
  NoLocalNumber: 'NO_LOCAL_NUMBER',
  BodyTooLarge: 'BODY_TOO_LARGE',
  UnsupportedMediaType: 'UNSUPPORTED_MEDIA_TYPE',
  RateLimited: 'RATE_LIMITED',
  StoreUnavailable: 'STORE_UNAVAILABLE',
  Internal: 'INTERNAL',
} as const;
export type AllocatorCode = (typeof AllocatorCode)[keyof typeof AllocatorCode];

export class AllocatorError extends AppError<AllocatorCode> {}

/** The one table from error code to HTTP status. */
export const httpStatusOf: Record<AllocatorCode, number> = {
  INVALID_INPUT: 400,
  CALLER_NUMBER_REQUIRED: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  UNKNOWN_GROUP: 404,
  REQUEST_NOT_FOUND: 404,
  NO_MATCH: 404,
  MATCH_LOCKED: 429,
  NOT_FOUND: 404,
  POOL_EXHAUSTED: 409,
  NUMBER_NOT_IN_POOL: 422,
  NUMBER_UNAVAILABLE: 409,
  NO_LOCAL_NUMBER: 409,
  BODY_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  STORE_UNAVAILABLE: 503,
};
