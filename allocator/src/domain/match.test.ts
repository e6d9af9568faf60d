import { describe, expect, it } from 'vitest';
import type { CallInRequest } from './call-in-request.ts';
import { bestMatch, compareCriteria, judgeMatch, outcomeName, type MatchInput } from './match.ts';

describe('judgeMatch', () => {
  const now = 1_000_000;
  const base: CallInRequest = {
    id: 'r1',
    groupName: 'g',
    number: '+18005555555',
    uniqueDnis: false,
    createdAtMs: now - 1000,
    expiresAtMs: now + 10_000,
    key: 'k',
  };
  const rows: Array<
    [
      string,
      Partial<CallInRequest>,
      Omit<MatchInput, 'dialledNumber'> & { dialledNumber?: string },
      string[] | string,
    ]
  > = [
    ['matches by access code', { accessCode: '123456' }, { accessCode: '123456' }, ['dnis', 'accessCode']],
    [
      'refuses a wrong access code',
      { accessCode: '123456' },
      { accessCode: '654321' },
      'access-code-differs',
    ],
    [
      'matches by caller number',
      { callerNumber: '+14155550123' },
      { callerNumber: '+14155550123' },
      ['dnis', 'callerNumber'],
    ],
    [
      'refuses another caller',
      { callerNumber: '+14155550123' },
      { callerNumber: '+14155550999' },
      'caller-differs',
    ],
    [
      'refuses a right code with a wrong caller',
      { accessCode: '1234', callerNumber: '+14155550123' },
      { accessCode: '1234', callerNumber: '+14155550999' },
      'caller-differs',
    ],
    [
      'matches by both',
      { accessCode: '1234', callerNumber: '+14155550123' },
      { accessCode: '1234', callerNumber: '+14155550123' },
      ['dnis', 'accessCode', 'callerNumber'],
    ],
    [
      'refuses another number',
      { accessCode: '1234' },
      { accessCode: '1234', dialledNumber: '+18005555556' },
      'other-number',
    ],
    [
      'refuses an expired request',
      { accessCode: '1234', expiresAtMs: now },
      { accessCode: '1234' },
      'expired',
    ],
    [
      'matches a unique-DNIS request without code by the number alone',
      { uniqueDnis: true },
      { callerNumber: '+14155550123' },
      ['dnis'],
    ],
    [
      'does not match a unique-DNIS request with a code by the number alone',
      { uniqueDnis: true, accessCode: '1234' },
      { callerNumber: '+14155550123' },
      'not-identified',
    ],
    [
      'does not match a shared number without an agreeing criterion',
      { accessCode: '1234' },
      { callerNumber: '+14155550123' },
      'not-identified',
    ],
    [
      'ignores an access code given for a request without one',
      { callerNumber: '+14155550123' },
      { callerNumber: '+14155550123', accessCode: '99' },
      ['dnis', 'callerNumber'],
    ],
  ];
  it.each(rows)('%s', (_name, request, input, expected) => {
    const verdict = judgeMatch({ ...base, ...request }, { dialledNumber: base.number, ...input }, now);
    if (Array.isArray(expected)) expect(verdict).toEqual({ matched: true, matchedBy: expected });
    else expect(verdict).toEqual({ matched: false, reason: expected });
  });

  it('prefers the candidate with more agreeing criteria, then the newest', () => {
    const a = { request: { ...base, id: 'a', createdAtMs: 1 }, matchedBy: ['dnis', 'callerNumber'] as const };
    const b = { request: { ...base, id: 'b', createdAtMs: 2 }, matchedBy: ['dnis', 'callerNumber'] as const };
    const c = {
      request: { ...base, id: 'c', createdAtMs: 0 },
      matchedBy: ['dnis', 'accessCode', 'callerNumber'] as const,
    };
    expect(bestMatch([a, b].map((x) => ({ ...x, matchedBy: [...x.matchedBy] })))?.request.id).toBe('b');
    expect(bestMatch([a, b, c].map((x) => ({ ...x, matchedBy: [...x.matchedBy] })))?.request.id).toBe('c');
  });
});

describe('compareCriteria and outcomeName', () => {
  const now = 1_000_000;
  const request: CallInRequest = {
    id: 'r1',
    groupName: 'g',
    number: '+18005555555',
    accessCode: '1234',
    callerNumber: '+14155550123',
    uniqueDnis: false,
    createdAtMs: now - 1000,
    expiresAtMs: now + 10_000,
    key: 'k',
  };
  const rows: Array<[Omit<MatchInput, 'dialledNumber'>, string[], string[], string]> = [
    [{}, ['dnis'], [], 'DNIS'],
    [{ accessCode: '1234' }, ['dnis', 'accessCode'], [], 'DNIS_ACCESS_CODE'],
    [{ accessCode: '9999' }, ['dnis'], ['accessCode'], 'DNIS'],
    [{ callerNumber: '+14155550123' }, ['dnis', 'callerNumber'], [], 'DNIS_ANI'],
    [
      { callerNumber: '+14155550123', accessCode: '9999' },
      ['dnis', 'callerNumber'],
      ['accessCode'],
      'DNIS_ANI',
    ],
    [
      { callerNumber: '+14155550123', accessCode: '1234' },
      ['dnis', 'accessCode', 'callerNumber'],
      [],
      'DNIS_ANI_ACCESS_CODE',
    ],
  ];
  it.each(rows)('%j → %j, not %j: %s', (input, matchedBy, notMatched, outcome) => {
    const c = compareCriteria(request, { dialledNumber: request.number, ...input });
    expect(c).toEqual({ matchedBy, notMatched });
    expect(outcomeName(c.matchedBy)).toBe(outcome);
  });
  it('names no agreeing request NOTHING', () => expect(outcomeName([])).toBe('NOTHING'));

  it('matches a request without a code by the number alone only when it is the only one on the number', () => {
    const shared = { ...request, accessCode: undefined };
    const input = { dialledNumber: request.number };
    expect(judgeMatch(shared, input, now, false)).toEqual({ matched: false, reason: 'not-identified' });
    expect(judgeMatch(shared, input, now, true)).toEqual({ matched: true, matchedBy: ['dnis'] });
    // A request with an access code needs it, however alone it is.
    expect(judgeMatch(request, input, now, true)).toEqual({ matched: false, reason: 'not-identified' });
  });
});
