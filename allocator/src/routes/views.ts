import type { CallInRequest } from '../domain/index.ts';
import { historyEvents, type HistoryRecord } from '../service/live-view.ts';

/** The public shape of a request: ISO times, no internal fields. */
export function requestView(r: CallInRequest, withUserData = false): Record<string, unknown> {
  return {
    id: r.id,
    groupName: r.groupName,
    number: r.number,
    ...(r.description ? { description: r.description } : {}),
    ...(r.accessCode !== undefined ? { accessCode: r.accessCode } : {}),
    ...(r.callerNumber !== undefined ? { callerNumber: r.callerNumber } : {}),
    createdAt: new Date(r.createdAtMs).toISOString(),
    expiresAt: new Date(r.expiresAtMs).toISOString(),
    ...(withUserData && r.userData !== undefined ? { userData: r.userData } : {}),
  };
}

export function historyView(h: HistoryRecord): Record<string, unknown> {
  return {
    state: h.outcome ?? 'live',
    request: requestView(h.request),
    events: historyEvents(h).map((e) => ({ type: e.type, at: new Date(e.atMs).toISOString() })),
  };
}
