// The grid's records, and what the filters and the per-number usage make of them: no DOM here.

export const STATES = ['live', 'matched', 'cancelled', 'expired'];

/** One grid record from an entry of GET /v1/groups/{g}/history. */
export function toRecord({ state, request, events = [] }) {
  const ended = events.find((event) => event.type !== 'created');
  return {
    id: request.id,
    state,
    groupName: request.groupName,
    number: request.number,
    ani: request.callerNumber ?? '',
    createdAt: request.createdAt,
    expiresAt: request.expiresAt,
    ...(ended ? { endedAt: ended.at } : {}),
  };
}

/** Newest first; the API's times are ISO strings of one format, so they sort as text. */
export function newestFirst(a, b) {
  return a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0;
}

const digits = (text) => text.replace(/\D/g, '');

/**
 * Whether a record passes the filters: `id` is a part of the ID (any case), `ani` digits that the
 * caller number contains (so `+1 415` finds `+14155550123`), `groupName` and `state` exact; an empty
 * filter lets everything through.
 */
export function matchesFilters(record, { id = '', ani = '', groupName = '', state = '' }) {
  const idPart = id.trim().toLowerCase();
  if (idPart && !record.id.toLowerCase().includes(idPart)) return false;
  if (ani.trim()) {
    const wanted = digits(ani);
    if (!wanted || !digits(record.ani).includes(wanted)) return false;
  }
  if (groupName && record.groupName !== groupName) return false;
  if (state && record.state !== state) return false;
  return true;
}

/** The numbers of a group that live requests are on, with how many each: busiest first. */
export function numberUsage(records) {
  const live = new Map();
  for (const r of records) if (r.state === 'live') live.set(r.number, (live.get(r.number) ?? 0) + 1);
  return [...live]
    .map(([number, requests]) => ({ number, requests }))
    .sort((a, b) => b.requests - a.requests || (a.number < b.number ? -1 : 1));
}
