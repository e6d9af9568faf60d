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
