import { historyEvents, type CallInRequest, type HistoryRecord } from '../../domain/index.ts';

/** The public shape of a request: ISO times, no internal fields. */
export function requestView(r: CallInRequest, withUserData = false): Record<string, unknown> {
  const view: Record<string, unknown> = { id: r.id, groupName: r.groupName, number: r.number };
  if (r.description) view.description = r.description;
  if (r.accessCode !== undefined) view.accessCode = r.accessCode;
  if (r.callerNumber !== undefined) view.callerNumber = r.callerNumber;
  if (r.callbackServiceId !== undefined) view.callbackServiceId = r.callbackServiceId;
  view.createdAt = new Date(r.createdAtMs).toISOString();
  view.expiresAt = new Date(r.expiresAtMs).toISOString();
  if (withUserData && r.userData !== undefined) view.userData = r.userData;
  return view;
}

export function historyView(h: HistoryRecord): Record<string, unknown> {
  return {
    state: h.outcome ?? 'live',
    request: requestView(h.request),
    events: historyEvents(h).map((e) => ({ type: e.type, at: new Date(e.atMs).toISOString() })),
  };
}
