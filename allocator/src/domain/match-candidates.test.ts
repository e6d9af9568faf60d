import { describe, expect, it } from 'vitest';
import type { CallInRequest } from './call-in-request.ts';
import { slotKey } from './keys.ts';
import { candidateSlotKeys, givesNumberOnly, matchCandidates } from './match-candidates.ts';

const now = 1_000_000;
function request(id: string, over: Partial<CallInRequest> = {}): CallInRequest {
  const r: CallInRequest = {
    id,
    groupName: 'g',
    number: '+18005555555',
    uniqueDnis: false,
    createdAtMs: now - 1_000,
    expiresAtMs: now + 10_000,
    key: '',
    ...over,
  };
  return { ...r, key: r.key || `key-${id}` };
}

describe('candidateSlotKeys', () => {
  it('names the unique key, and the keys of the code and caller the call gives, in each group', () => {
    const input = { dialledNumber: '+18005555555', accessCode: '1234', callerNumber: '+14155550123' };
    expect(candidateSlotKeys(['a', 'b'], input)).toEqual([
      slotKey('a', '+18005555555', { kind: 'unique' }),
      slotKey('a', '+18005555555', { kind: 'code', accessCode: '1234' }),
      slotKey('a', '+18005555555', { kind: 'caller', callerNumber: '+14155550123' }),
      slotKey('b', '+18005555555', { kind: 'unique' }),
      slotKey('b', '+18005555555', { kind: 'code', accessCode: '1234' }),
      slotKey('b', '+18005555555', { kind: 'caller', callerNumber: '+14155550123' }),
    ]);
    expect(candidateSlotKeys(['a'], { dialledNumber: '+18005555555', accessCode: '1234' })).toEqual([
      slotKey('a', '+18005555555', { kind: 'unique' }),
      slotKey('a', '+18005555555', { kind: 'code', accessCode: '1234' }),
    ]);
    expect(candidateSlotKeys([], input)).toEqual([]);
  });

  it('tells a call that gives the number alone', () => {
    expect(givesNumberOnly({ dialledNumber: '+1800' })).toBe(true);
    expect(givesNumberOnly({ dialledNumber: '+1800', accessCode: '1234' })).toBe(false);
    expect(givesNumberOnly({ dialledNumber: '+1800', callerNumber: '+1415' })).toBe(false);
  });
});

describe('matchCandidates', () => {
  it('compares stored requests (with their revision), then those only the view knows', () => {
    const stored = request('s', { accessCode: '1234' });
    const viewed = request('v', { accessCode: '9999' });
    const candidates = matchCandidates(
      new Map([[stored.key, { request: stored, revision: 7 }]]),
      new Map([
        [stored.key, stored],
        [viewed.key, viewed],
      ]),
      { dialledNumber: '+18005555555', accessCode: '1234' },
      now,
    );
    expect(candidates).toEqual([
      { request: stored, revision: 7, matchedBy: ['dnis', 'accessCode'], notMatched: [], consumable: true },
      {
        request: viewed,
        revision: undefined,
        matchedBy: ['dnis'],
        notMatched: ['accessCode'],
        consumable: false,
      },
    ]);
  });

  it('judges a call that gives the number alone on the store listing, the sole request identified', () => {
    const only = request('only');
    const viewOnly = request('lagging');
    const call = { dialledNumber: '+18005555555' };
    const [sole] = matchCandidates(
      new Map([[only.key, { request: only, revision: 1 }]]),
      new Map([[viewOnly.key, viewOnly]]),
      call,
      now,
    );
    expect(sole).toMatchObject({ request: { id: 'only' }, consumable: true });
    const two = request('two');
    const both = matchCandidates(
      new Map([
        [only.key, { request: only, revision: 1 }],
        [two.key, { request: two, revision: 2 }],
      ]),
      new Map(),
      call,
      now,
    );
    expect(both.map((c) => c.consumable)).toEqual([false, false]);
  });

  it('identifies a unique-DNIS request by the number even beside others', () => {
    const u = request('u', { uniqueDnis: true });
    const [c] = matchCandidates(
      new Map(),
      new Map([[u.key, u]]),
      { dialledNumber: '+18005555555', callerNumber: '+1415' },
      now,
    );
    expect(c).toMatchObject({ request: { id: 'u' }, revision: undefined, consumable: true });
  });
});
