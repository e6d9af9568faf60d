import { randomUUID } from 'node:crypto';

/** A random (version 4) UUID, lower-case, the form GES clients parse ids and correlation ids in. */
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

/**
 * Request ids: random UUIDs (122 random bits from the CSPRNG). `crypto.randomUUID` draws its entropy
 * in blocks, so there is no system call per id.
 */
export function createRequestIdGenerator(): () => string {
  return () => randomUUID();
}

/**
 * The id of an HTTP exchange: the caller's `x-request-id` or `ccid` when it is a well-formed UUID
 * (so a correlation id flows through unchanged), otherwise a new one.
 */
export function correlationIdOf(headers: Record<string, string | string[] | undefined>): string {
  for (const name of ['x-request-id', 'ccid']) {
    const v = headers[name];
    const value = Array.isArray(v) ? v[0] : v;
    if (value !== undefined && UUID_PATTERN.test(value)) return value.toLowerCase();
  }
  return randomUUID();
}
