import { slotKey, LiveView, type CallInRequest, type LiveViewOptions } from '../domain/index.ts';

export interface ViewFixtureOptions extends Partial<
  Pick<LiveViewOptions, 'historyMs' | 'historyMaxEntries' | 'ttlLagMs' | 'watches'>
> {
  /** The clock's start (ms). */
  startMs?: number;
  /** Apply an empty snapshot first, as a synced watch would. */
  synced?: boolean;
}

/** A live view on a clock the test moves, recording every end it is told of as `id:outcome`. */
export function viewFixture(options: ViewFixtureOptions = {}) {
  let nowMs = options.startMs ?? 1_000_000;
  const ended: string[] = [];
  const view = new LiveView({
    now: () => nowMs,
    historyMs: options.historyMs ?? 60_000,
    historyMaxEntries: options.historyMaxEntries ?? 100,
    onEnded: (r, outcome) => ended.push(`${r.id}:${outcome}`),
    ...(options.ttlLagMs !== undefined ? { ttlLagMs: options.ttlLagMs } : {}),
    ...(options.watches ? { watches: options.watches } : {}),
  });
  if (options.synced) view.apply({ type: 'snapshot', entries: [] });
  return { view, ended, now: () => nowMs, advance: (ms: number) => (nowMs += ms) };
}

/** A request of group `g` on a unique-DNIS number, living 30 s from `createdAtMs`. */
export function uniqueRequest(
  id: string,
  number: string,
  createdAtMs: number,
  extra: Partial<CallInRequest> = {},
): CallInRequest {
  return {
    id,
    groupName: 'g',
    number,
    uniqueDnis: true,
    createdAtMs,
    expiresAtMs: createdAtMs + 30_000,
    key: slotKey('g', number, { kind: 'unique' }),
    ...extra,
  };
}
