import { describe, expect, it } from 'vitest';
import type { DnisEntry } from '#api';
import { group, setup } from '../../testing/app-harness.ts';

const unique = { uniqueDnis: true, accessCode: { generate: false, length: 6 } };
/** +18005551000 … +18005551003; the first and the third reserved. */
const withReserved: DnisEntry[] = [
  { number: '+18005551000', reserved: true },
  { number: '+18005551001' },
  { number: '+18005551002', description: 'VIP', reserved: true },
  { number: '+18005551003' },
];

describe('reserved numbers and asking for a number', () => {
  it('never hands a reserved number out automatically, and gives it to a request that asks for it', async () => {
    const { app, clock } = await setup({ groups: [group('vip', { ...unique, dnisPool: withReserved })] });
    const create = (body: Record<string, unknown> = {}) =>
      app.inject({ method: 'POST', url: '/v1/groups/vip/requests', payload: body });

    const asked = await create({ number: '18005551002' });
    expect(asked.statusCode).toBe(201);
    expect(asked.json()).toMatchObject({ number: '+18005551002', description: 'VIP' });
    clock.now += 10_000;
    const automatic = [await create(), await create()];
    expect(automatic.map((r) => r.json().number).sort()).toEqual(['+18005551001', '+18005551003']);
    const full = await create();
    expect(full.statusCode).toBe(409);
    expect(full.json().error.code).toBe('POOL_EXHAUSTED');
    // The reserved number frees first (in 20 s), but only the others help automatic selection.
    expect(full.headers['retry-after']).toBe('30');

    // The other reserved number is still free for a request that asks for it.
    expect((await create({ number: '+18005551000' })).json().number).toBe('+18005551000');
    const taken = await create({ number: '+18005551002' });
    expect(taken.statusCode).toBe(409);
    expect(taken.json().error).toMatchObject({
      code: 'NUMBER_UNAVAILABLE',
      details: { groupName: 'vip', number: '+18005551002', retryAfterSeconds: 20 },
    });
    expect(taken.headers['retry-after']).toBe('20');
    // So is an unreserved one in use.
    const busy = await create({ number: '+18005551001' });
    expect([busy.statusCode, busy.json().error.code, busy.headers['retry-after']]).toEqual([
      409,
      'NUMBER_UNAVAILABLE',
      '30',
    ]);

    const cancelled = await app.inject({ method: 'DELETE', url: `/v1/requests/${asked.json().id}` });
    expect(cancelled.statusCode).toBe(200);
    expect((await create({ number: '+18005551002' })).statusCode).toBe(201);
  });

  it('answers NUMBER_NOT_IN_POOL (422) for a number the group does not have, INVALID_INPUT for a bad one', async () => {
    const { app } = await setup({
      groups: [group('vip', { ...unique, dnisPool: withReserved }), group('other')],
    });
    const create = (g: string, number: unknown) =>
      app.inject({ method: 'POST', url: `/v1/groups/${g}/requests`, payload: { number } });
    const missing = await create('vip', '+18005551999');
    expect(missing.statusCode).toBe(422);
    expect(missing.json().error).toMatchObject({
      code: 'NUMBER_NOT_IN_POOL',
      message: 'number +18005551999 is not in the pool of group "vip"',
      details: { groupName: 'vip', number: '+18005551999', field: 'number' },
    });
    // A number of another group's pool is not this group's.
    const elsewhere = await create('other', '+18005551003');
    expect(elsewhere.statusCode).toBe(422);
    const bad = await create('vip', '+1-800');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('INVALID_INPUT');
    expect(bad.json().error.message).toMatch(/^number: /);
  });

  it('gives a shared number to each caller once, and one fresh access code per request', async () => {
    const { app } = await setup({
      groups: [
        group('callers', { accessCode: { generate: false, length: 6 }, dnisPool: withReserved }),
        group('codes', { dnisPool: withReserved }),
      ],
    });
    const create = (g: string, body: Record<string, unknown>) =>
      app.inject({ method: 'POST', url: `/v1/groups/${g}/requests`, payload: body });
    const ask = { number: '+18005551000' };
    const first = await create('callers', { ...ask, callerNumber: '+14155550123' });
    expect(first.statusCode).toBe(201);
    const again = await create('callers', { ...ask, callerNumber: '+14155550123' });
    expect([again.statusCode, again.json().error.code, again.headers['retry-after']]).toEqual([
      409,
      'NUMBER_UNAVAILABLE',
      '30',
    ]);
    expect((await create('callers', { ...ask, callerNumber: '+14155550124' })).statusCode).toBe(201);
    expect((await create('callers', ask)).json().error.code).toBe('CALLER_NUMBER_REQUIRED');

    const codes = [];
    for (let i = 0; i < 5; i++) {
      const res = await create('codes', ask);
      expect(res.statusCode).toBe(201);
      expect(res.json().number).toBe('+18005551000');
      codes.push(res.json().accessCode);
    }
    expect(new Set(codes).size).toBe(5);
  });

  it('lists how many numbers of each group are reserved', async () => {
    const { app } = await setup({
      groups: [group('vip', { ...unique, dnisPool: withReserved }), group('plain')],
    });
    const list = (await app.inject({ method: 'GET', url: '/v1/groups' })).json().groups;
    expect(
      list.map((g: { groupName: string; reservedNumbers: number; poolSize: number }) => [
        g.groupName,
        g.poolSize,
        g.reservedNumbers,
      ]),
    ).toEqual([
      ['plain', 3, 0],
      ['vip', 4, 2],
    ]);
  });

  it('documents the number field in the OpenAPI document', async () => {
    const { app } = await setup();
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
    const body =
      doc.paths['/v1/groups/{groupName}/requests'].post.requestBody.content['application/json'].schema;
    expect(body.properties.number).toMatchObject({ type: 'string' });
    expect(body.properties.number.description).toContain('NUMBER_UNAVAILABLE');
  });
});

describe('local presence', () => {
  const sf = ['+14155550100', '+14155550101'];
  const ny = '+12125550100';
  const london = '+442079460100';
  const near = group('near', {
    ...unique,
    localPresence: { match: 'prefer', level: 'area' },
    dnisPool: [...sf, ny, london].map((number) => ({ number })),
  });
  const strict = group('strict', {
    ...unique,
    localPresence: { match: 'require', level: 'area' },
    dnisPool: [sf[0] as string, ny].map((number) => ({ number })),
  });
  const national = group('national', {
    ...unique,
    localPresence: { match: 'require', level: 'country' },
    dnisPool: [ny].map((number) => ({ number })),
  });

  it("prefers the caller's area, then the country, then any number, and says which matched", async () => {
    const { app } = await setup({ groups: [near] });
    const create = (body: Record<string, unknown>) =>
      app.inject({ method: 'POST', url: '/v1/groups/near/requests', payload: body });
    const caller = { callerNumber: '+14155559876' };
    const got = [];
    for (let i = 0; i < 4; i++) {
      const res = await create(caller);
      expect(res.statusCode).toBe(201);
      got.push([res.json().localPresence, res.json().number]);
    }
    expect(got.slice(0, 2).sort()).toEqual(sf.map((n) => ['area', n]));
    expect(got.slice(2)).toEqual([
      ['country', ny],
      ['none', london],
    ]);
    expect((await create(caller)).json().error.code).toBe('POOL_EXHAUSTED');
  });

  it('treats a request without a caller number as without local presence when it is preferred', async () => {
    const { app } = await setup({ groups: [near, group('plain')] });
    const res = await app.inject({ method: 'POST', url: '/v1/groups/near/requests', payload: {} });
    expect([res.statusCode, res.json().localPresence]).toEqual([201, 'none']);
    const plain = await app.inject({ method: 'POST', url: '/v1/groups/plain/requests', payload: {} });
    expect(plain.json()).not.toHaveProperty('localPresence');
  });

  it('answers NO_LOCAL_NUMBER naming where the caller is when a required number is not free', async () => {
    const { app } = await setup({ groups: [strict, national] });
    const create = (g: string, body: Record<string, unknown>) =>
      app.inject({ method: 'POST', url: `/v1/groups/${g}/requests`, payload: body });
    const first = await create('strict', { callerNumber: '+14155559876' });
    expect([first.statusCode, first.json().number, first.json().localPresence]).toEqual([201, sf[0], 'area']);

    const full = await create('strict', { callerNumber: '+14155551111' });
    expect(full.statusCode).toBe(409);
    expect(full.headers['retry-after']).toBe('30');
    expect(full.json().error).toEqual({
      code: 'NO_LOCAL_NUMBER',
      message:
        'every number of group "strict" in area 415 of US, where the caller is, is in use; try again when one is free',
      details: {
        groupName: 'strict',
        level: 'area',
        callerCountry: 'US',
        callerArea: '415',
        localNumbers: 1,
        retryAfterSeconds: 30,
      },
    });
    const elsewhere = await create('strict', { callerNumber: '+16465551234' });
    expect([elsewhere.statusCode, elsewhere.headers['retry-after']]).toEqual([409, undefined]);
    expect(elsewhere.json().error).toMatchObject({
      code: 'NO_LOCAL_NUMBER',
      message:
        'group "strict" has no number in area 646 of US, where the caller is, and requires one (localPresence)',
      details: { localNumbers: 0, callerArea: '646' },
    });
    const abroad = await create('national', { callerNumber: '+442071234567' });
    expect(abroad.json().error).toMatchObject({
      code: 'NO_LOCAL_NUMBER',
      message: 'group "national" has no number in GB, where the caller is, and requires one (localPresence)',
      details: { level: 'country', callerCountry: 'GB', localNumbers: 0 },
    });
    expect((await create('national', { callerNumber: '+14155551234' })).json().localPresence).toBe('country');
  });

  it('needs a caller number when local presence is required, except for a number asked for by value', async () => {
    const { app } = await setup({ groups: [strict] });
    const create = (body: Record<string, unknown>) =>
      app.inject({ method: 'POST', url: '/v1/groups/strict/requests', payload: body });
    const none = await create({});
    expect([none.statusCode, none.json().error.code]).toEqual([400, 'CALLER_NUMBER_REQUIRED']);
    expect(none.json().error.message).toContain('localPresence');
    const asked = await create({ number: ny, callerNumber: '+14155559876' });
    expect([asked.statusCode, asked.json().number, asked.json().localPresence]).toEqual([201, ny, 'country']);
    const askedAnon = await create({ number: sf[0] });
    expect([askedAnon.statusCode, askedAnon.json().localPresence]).toEqual([201, 'none']);
  });

  it('applies to the GES route through fromPhoneNumber, and is listed with the group', async () => {
    const { app } = await setup({ groups: [strict] });
    const ges = (from: string) =>
      app.inject({
        method: 'POST',
        url: '/engagement/v3/call-in/requests/create',
        payload: { groupName: 'strict', fromPhoneNumber: from },
      });
    expect((await ges('+12125559876')).json().data.toPhoneNumber).toBe(ny);
    const refused = await ges('+12125551111');
    expect([refused.statusCode, refused.headers['x-c2c-error-code']]).toEqual([409, 'NO_LOCAL_NUMBER']);
    const list = (await app.inject({ method: 'GET', url: '/v1/groups' })).json().groups;
    expect(list[0].localPresence).toEqual({ match: 'require', level: 'area' });
  });
});
