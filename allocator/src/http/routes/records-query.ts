import { decodeCursor, RECORD_STATES, type RecordsQuery, type RecordState } from '../../domain/index.ts';
import { AllocatorCode, AllocatorError } from '../../errors.ts';
import { parsePhoneNumber } from '../../phone-number-input.ts';

export const RECORDS_PAGE_DEFAULT = 100;
export const RECORDS_PAGE_MAX = 1000;

export interface RecordsQuerystring {
  group?: string;
  id?: string;
  callerNumber?: string;
  state?: RecordState;
  from?: string;
  to?: string;
  limit?: number;
  cursor?: string;
}

export const recordsQuerystring = {
  type: 'object',
  properties: {
    group: { type: 'string', minLength: 1 },
    id: { type: 'string', minLength: 1 },
    callerNumber: { type: 'string' },
    state: { type: 'string', enum: RECORD_STATES },
    from: { type: 'string', description: 'created at or after (ISO 8601 date-time)' },
    to: { type: 'string', description: 'created before (ISO 8601 date-time)' },
    limit: { type: 'integer', minimum: 1, maximum: RECORDS_PAGE_MAX, default: RECORDS_PAGE_DEFAULT },
    cursor: { type: 'string', description: 'nextCursor of the previous page' },
  },
  additionalProperties: false,
} as const;

/** The query a request's querystring asks for; INVALID_INPUT naming the field for a bad value. */
export function recordsQueryOf(q: RecordsQuerystring, allowed: (groupName: string) => boolean): RecordsQuery {
  const fromMs = q.from === undefined ? undefined : instant('from', q.from);
  const toMs = q.to === undefined ? undefined : instant('to', q.to);
  const after = q.cursor === undefined ? undefined : decodeCursor(q.cursor);
  if (q.cursor !== undefined && !after) invalid('cursor', q.cursor, 'is not a cursor this service gave');
  return {
    allowed,
    limit: q.limit ?? RECORDS_PAGE_DEFAULT,
    ...(q.group !== undefined ? { groupName: q.group } : {}),
    ...(q.id !== undefined ? { id: q.id } : {}),
    ...(q.callerNumber !== undefined
      ? { callerNumber: parsePhoneNumber('callerNumber', q.callerNumber) }
      : {}),
    ...(q.state !== undefined ? { state: q.state } : {}),
    ...(fromMs !== undefined ? { fromMs } : {}),
    ...(toMs !== undefined ? { toMs } : {}),
    ...(after ? { after } : {}),
  };
}

/** An ISO 8601 date-time with a zone (`2026-12-02T06:00:00Z`, `…+01:00`). */
function instant(field: string, value: string): number {
  const ms = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(value)
    ? Date.parse(value)
    : Number.NaN;
  if (Number.isNaN(ms))
    invalid(field, value, 'is not an ISO 8601 date-time with a zone, e.g. 2026-12-02T06:00:00Z');
  return ms;
}

function invalid(field: string, value: string, rule: string): never {
  throw new AllocatorError(AllocatorCode.InvalidInput, `${field}: ${JSON.stringify(value)} ${rule}`, {
    details: { field },
  });
}
