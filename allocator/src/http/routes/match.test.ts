import { describe, expect, it } from 'vitest';
import { group, setup, type AppHarnessOptions } from '../../testing/app-harness.ts';

async function ivr(options: AppHarnessOptions) {
  const h = await setup(options);
  const call = (url: string, payload: unknown) =>
    h.app.inject({ method: 'POST', url, payload: payload as object });
  const create = async (groupName: string, body: object = {}) => {
    const res = await call(`/v1/groups/${groupName}/requests`, body);
    expect(res.statusCode, res.body).toBe(201);
    return res.json();
  };
  return { ...h, call, create };
}

const caller = '+14155550123';
const stranger = '+14155550999';

describe('Designer-style match outcomes', () => {
  it('tells which criteria match without consuming, then consumes on a full match', async () => {
    const { call, create } = await ivr({ groups: [group('codes')] });
    const r = await create('codes', { callerNumber: caller, userData: { reason: 'claim' } });
    const wrong = r.accessCode === '999999' ? '999998' : '999999';
    const rows: Array<[object, string, string[], string[], boolean]> = [
      [{}, 'DNIS', ['dnis'], [], false],
      [{ accessCode: wrong }, 'DNIS', ['dnis'], ['accessCode'], false],
      [
        { callerNumber: caller, accessCode: wrong },
        'DNIS_ANI',
        ['dnis', 'callerNumber'],
        ['accessCode'],
        false,
      ],
      [
        { callerNumber: stranger, accessCode: r.accessCode },
        'DNIS_ACCESS_CODE',
        ['dnis', 'accessCode'],
        ['callerNumber'],
        false,
      ],
      [{ accessCode: r.accessCode }, 'DNIS_ACCESS_CODE', ['dnis', 'accessCode'], [], true],
      [{ callerNumber: caller }, 'DNIS_ANI', ['dnis', 'callerNumber'], [], true],
      [
        { callerNumber: caller, accessCode: r.accessCode },
        'DNIS_ANI_ACCESS_CODE',
        ['dnis', 'accessCode', 'callerNumber'],
        [],
        true,
      ],
    ];
    for (const [criteria, outcome, matchedBy, notMatched, consumable] of rows) {
      const res = await call('/v1/match/check', { dialledNumber: r.number, ...criteria });
      expect([criteria, res.statusCode, res.json()]).toEqual([
        criteria,
        200,
        expect.objectContaining({ outcome, matchedBy, notMatched, consumable }),
      ]);
    }
    expect((await call('/v1/match/check', { dialledNumber: r.number })).json().accessCodeRequired).toBe(true);
    const other = await call('/v1/match/check', { dialledNumber: '+18005551002', accessCode: r.accessCode });
    expect(other.json()).toMatchObject({ outcome: 'NOTHING', consumable: false });

    // Nothing was consumed by the checks: the full match still works, once.
    const m = await call('/v1/match', {
      dialledNumber: r.number,
      callerNumber: caller,
      accessCode: r.accessCode,
    });
    expect([m.statusCode, m.json().outcome, m.json().request.userData]).toEqual([
      200,
      'DNIS_ANI_ACCESS_CODE',
      { reason: 'claim' },
    ]);
    const again = await call('/v1/match', { dialledNumber: r.number, accessCode: r.accessCode });
    expect(again.json().error).toMatchObject({ code: 'NO_MATCH', details: { outcome: 'NOTHING' } });
  });

  it('says which criteria matched in a refused match, and consumes nothing', async () => {
    const { call, create } = await ivr({ groups: [group('codes')] });
    const r = await create('codes', { callerNumber: caller });
    const wrong = r.accessCode === '999999' ? '999998' : '999999';
    const refused = await call('/v1/match', {
      dialledNumber: r.number,
      callerNumber: caller,
      accessCode: wrong,
    });
    expect([refused.statusCode, refused.json().error]).toEqual([
      404,
      expect.objectContaining({
        code: 'NO_MATCH',
        details: { outcome: 'DNIS_ANI', matchedBy: ['dnis', 'callerNumber'], notMatched: ['accessCode'] },
      }),
    ]);
    expect((await call('/v1/match', { dialledNumber: r.number, accessCode: r.accessCode })).statusCode).toBe(
      200,
    );
  });

  it('matches by the dialled number alone where it identifies exactly one live request without a code', async () => {
    const { call, create } = await ivr({
      groups: [
        group('unique', { uniqueDnis: true, accessCode: { generate: false, length: 6 } }, 2),
        group('unique-codes', { uniqueDnis: true }, 1),
        group('callers', {
          accessCode: { generate: false, length: 6 },
          dnisPool: [{ number: '+18005552000' }],
        }),
      ],
    });
    const u = await create('unique');
    const m = await call('/v1/match', { dialledNumber: u.number });
    expect([m.statusCode, m.json().outcome, m.json().request.id]).toEqual([200, 'DNIS', u.id]);

    // Unique number, but the request has an access code: the code is still needed.
    const uc = await create('unique-codes');
    const noCode = await call('/v1/match', { dialledNumber: uc.number });
    expect([noCode.statusCode, noCode.json().error.details.outcome]).toEqual([404, 'DNIS']);
    expect(
      (await call('/v1/match', { dialledNumber: uc.number, accessCode: uc.accessCode })).statusCode,
    ).toBe(200);

    // A shared number told apart by caller: the number alone identifies one live request, not two.
    const first = await create('callers', { callerNumber: caller });
    const alone = await call('/v1/match/check', { dialledNumber: first.number });
    expect(alone.json()).toMatchObject({ outcome: 'DNIS', consumable: true });
    await create('callers', { callerNumber: stranger });
    const two = await call('/v1/match', { dialledNumber: first.number });
    expect([two.statusCode, two.json().error.details.outcome]).toEqual([404, 'DNIS']);
    const byCaller = await call('/v1/match', { dialledNumber: first.number, callerNumber: caller });
    expect(byCaller.json().request.id).toBe(first.id);
    const last = await call('/v1/match', { dialledNumber: first.number });
    expect([last.statusCode, last.json().request.callerNumber]).toEqual([200, stranger]);
  });
});

describe('failed-match limits', () => {
  it('locks a number after too many failed matches, with Retry-After, and frees it after the lockout', async () => {
    const { call, create, clock, metrics } = await ivr({
      groups: [group('codes', { accessCode: { generate: true, length: 4 }, expirySeconds: 120 })],
      guard: { failuresPerNumber: 3, lockoutSeconds: 30, maxLockoutSeconds: 120, failuresPerRequest: 0 },
    });
    const r = await create('codes');
    const wrong = (n: number) => String(1000 + ((Number(r.accessCode) - 1000 + n) % 9000));
    for (let i = 1; i <= 3; i++) {
      expect((await call('/v1/match', { dialledNumber: r.number, accessCode: wrong(i) })).statusCode).toBe(
        404,
      );
    }
    const locked = await call('/v1/match', { dialledNumber: r.number, accessCode: r.accessCode });
    expect([locked.statusCode, locked.json().error.code, locked.json().error.details.scope]).toEqual([
      429,
      'MATCH_LOCKED',
      'number',
    ]);
    expect(locked.headers['retry-after']).toBe('30');
    expect(
      (await call('/v1/match/check', { dialledNumber: r.number, accessCode: r.accessCode })).statusCode,
    ).toBe(429);
    clock.now += 30_000;
    const after = await call('/v1/match', { dialledNumber: r.number, accessCode: r.accessCode });
    expect([after.statusCode, after.json().request.id]).toEqual([200, r.id]);

    const text = await metrics.registry.metrics();
    expect(text).toMatch(/^c2c_allocator_match_failures_total 3$/m);
    expect(text).toMatch(/^c2c_allocator_match_lockouts_total\{scope="number"\} 1$/m);
    expect(text).toMatch(/^c2c_allocator_match_locked_total\{scope="number"\} 2$/m);
  });

  it('locks a request after too many wrong codes for it, until it expires', async () => {
    const { call, create, metrics } = await ivr({
      groups: [group('unique', { uniqueDnis: true }, 2)],
      guard: { failuresPerNumber: 100, failuresPerRequest: 2 },
    });
    const r = await create('unique');
    const wrong = r.accessCode === '999999' ? '999998' : '999999';
    for (let i = 0; i < 2; i++)
      expect((await call('/v1/match', { dialledNumber: r.number, accessCode: wrong })).statusCode).toBe(404);
    const right = await call('/v1/match', { dialledNumber: r.number, accessCode: r.accessCode });
    expect([right.statusCode, right.json().error.code, right.json().error.details.scope]).toEqual([
      429,
      'MATCH_LOCKED',
      'request',
    ]);
    // Another request is not affected.
    const other = await create('unique');
    expect(
      (await call('/v1/match', { dialledNumber: other.number, accessCode: other.accessCode })).statusCode,
    ).toBe(200);
    expect(await metrics.registry.metrics()).toMatch(
      /^c2c_allocator_match_lockouts_total\{scope="request"\} 1$/m,
    );
  });

  it('stops a brute force of a 4-digit code: every code tried, none found, a handful answered', async () => {
    const { call, create } = await ivr({
      groups: [group('codes', { accessCode: { generate: true, length: 4 } }, 1)],
    });
    const r = await create('codes');
    const answered: number[] = [];
    // Every other code first, the right one last: the attacker must get through all of them.
    for (let i = 1; i <= 9000; i++) {
      const code = String(1000 + ((Number(r.accessCode) - 1000 + i) % 9000));
      const res = await call('/v1/match', { dialledNumber: r.number, accessCode: code });
      if (res.statusCode !== 429) answered.push(res.statusCode);
    }
    expect(answered).toEqual(Array(10).fill(404));
  });

  it('does not count a call that gives the number alone as a guess', async () => {
    const { call, create } = await ivr({
      groups: [group('codes', { uniqueDnis: true })],
      guard: { failuresPerNumber: 2 },
    });
    const r = await create('codes');
    for (let i = 0; i < 5; i++)
      expect((await call('/v1/match', { dialledNumber: r.number })).statusCode).toBe(404);
    expect((await call('/v1/match', { dialledNumber: r.number, accessCode: r.accessCode })).statusCode).toBe(
      200,
    );
  });
});
