import { describe, expect, it } from 'vitest';
import { hashApiKey, type ApiKeyConfig } from './auth.ts';
import { group, json, setup } from '../testing/app-harness.ts';

describe('the allocator API', () => {
  it('creates a request and matches the incoming call once, returning the user data', async () => {
    const { app } = await setup();
    const created = await app.inject({
      method: 'POST',
      url: '/v1/groups/auto_insurance/requests',
      headers: { 'content-type': 'application/json' },
      payload: { callerNumber: '+1 4155550123'.replace(' ', ''), userData: { customer: 42 } },
    });
    expect(created.statusCode).toBe(201);
    const r = created.json();
    expect(r).toMatchObject({ groupName: 'auto_insurance', callerNumber: '+14155550123', expirySeconds: 30 });
    expect(r.accessCode).toMatch(/^[1-9][0-9]{5}$/);

    const match = () =>
      app.inject({
        method: 'POST',
        url: '/v1/match',
        payload: { dialledNumber: r.number, accessCode: Number(r.accessCode) },
      });
    const first = await match();
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({
      matchedBy: ['dnis', 'accessCode'],
      request: { id: r.id, userData: { customer: 42 } },
    });
    const second = await match();
    expect(second.statusCode).toBe(404);
    expect(second.json().error.code).toBe('NO_MATCH');

    const got = await app.inject({ method: 'GET', url: `/v1/requests/${r.id}` });
    expect(got.json()).toMatchObject({
      state: 'matched',
      events: [{ type: 'created' }, { type: 'matched' }],
    });
  });

  it('never hands a unique-DNIS number to two live requests and answers POOL_EXHAUSTED with Retry-After', async () => {
    const { app, clock } = await setup({
      groups: [group('unique', { uniqueDnis: true, accessCode: { generate: false, length: 6 } }, 3)],
    });
    const numbers = [];
    for (let i = 0; i < 3; i++) {
      const res = await app.inject({ method: 'POST', url: '/v1/groups/unique/requests', payload: {} });
      expect(res.statusCode).toBe(201);
      numbers.push(res.json().number);
    }
    expect(new Set(numbers).size).toBe(3);
    clock.now += 10_000;
    const full = await app.inject({ method: 'POST', url: '/v1/groups/unique/requests', payload: {} });
    expect(full.statusCode).toBe(409);
    expect(full.json().error.code).toBe('POOL_EXHAUSTED');
    expect(full.headers['retry-after']).toBe('20');
    clock.now += 20_000;
    const again = await app.inject({ method: 'POST', url: '/v1/groups/unique/requests', payload: {} });
    expect(again.statusCode).toBe(201);
  });

  it('frees a number when its request is cancelled, and lists live requests by caller', async () => {
    const { app } = await setup({ groups: [group('one', { uniqueDnis: true }, 1)] });
    const r = (
      await app.inject({
        method: 'POST',
        url: '/v1/groups/one/requests',
        payload: { callerNumber: '+14155550123' },
      })
    ).json();
    const list = await app.inject({
      method: 'GET',
      url: '/v1/groups/one/requests?callerNumber=%2B14155550123',
    });
    expect(list.json().requests.map((x: { id: string }) => x.id)).toEqual([r.id]);
    expect(
      (await app.inject({ method: 'POST', url: '/v1/groups/one/requests', payload: {} })).statusCode,
    ).toBe(409);
    const cancel = await app.inject({ method: 'DELETE', url: `/v1/requests/${r.id}` });
    expect(cancel.json()).toMatchObject({ state: 'cancelled', request: { id: r.id } });
    expect((await app.inject({ method: 'DELETE', url: `/v1/requests/${r.id}` })).statusCode).toBe(404);
    expect(
      (await app.inject({ method: 'POST', url: '/v1/groups/one/requests', payload: {} })).statusCode,
    ).toBe(201);
    const history = (await app.inject({ method: 'GET', url: '/v1/groups/one/history' })).json();
    expect(history.requests[0]).toMatchObject({ state: 'cancelled', request: { id: r.id } });
  });

  it('requires a caller number when a group shares numbers without access codes, and keeps callers apart', async () => {
    const { app } = await setup({
      groups: [group('shared', { accessCode: { generate: false, length: 6 } }, 1)],
    });
    const none = await app.inject({ method: 'POST', url: '/v1/groups/shared/requests', payload: {} });
    expect(none.statusCode).toBe(400);
    expect(none.json().error.code).toBe('CALLER_NUMBER_REQUIRED');
    const a = await app.inject({
      method: 'POST',
      url: '/v1/groups/shared/requests',
      payload: { callerNumber: '+14155550001' },
    });
    const b = await app.inject({
      method: 'POST',
      url: '/v1/groups/shared/requests',
      payload: { callerNumber: '+14155550002' },
    });
    expect([a.statusCode, b.statusCode]).toEqual([201, 201]);
    const again = await app.inject({
      method: 'POST',
      url: '/v1/groups/shared/requests',
      payload: { callerNumber: '+14155550001' },
    });
    expect(again.statusCode).toBe(409);
    const m = await app.inject({
      method: 'POST',
      url: '/v1/match',
      payload: { dialledNumber: '+18005551000', callerNumber: '+14155550002' },
    });
    expect(m.json()).toMatchObject({ matchedBy: ['dnis', 'callerNumber'], request: { id: b.json().id } });
  });

  it('enforces API keys: missing or wrong → 401, missing scope or other group → 403', async () => {
    const keys: ApiKeyConfig[] = [
      { name: 'ivr', sha256: hashApiKey('ivr-key'), scopes: ['match'] },
      { name: 'app', sha256: hashApiKey('app-key'), scopes: ['request', 'read'], groups: ['auto_insurance'] },
    ];
    const { app } = await setup({ keys, groups: [group('auto_insurance'), group('other')] });
    const post = (url: string, key?: string) =>
      app.inject({
        method: 'POST',
        url,
        headers: key ? { authorization: `Bearer ${key}` } : {},
        payload: {},
      });
    expect((await post('/v1/groups/auto_insurance/requests')).json().error.code).toBe('UNAUTHENTICATED');
    expect((await post('/v1/groups/auto_insurance/requests', 'nope')).statusCode).toBe(401);
    expect((await post('/v1/groups/auto_insurance/requests', 'ivr-key')).json().error.code).toBe('FORBIDDEN');
    expect((await post('/v1/groups/other/requests', 'app-key')).statusCode).toBe(403);
    expect((await post('/v1/groups/auto_insurance/requests', 'app-key')).statusCode).toBe(201);
    const groups = await app.inject({
      method: 'GET',
      url: '/v1/groups',
      headers: { 'x-api-key': 'app-key' },
    });
    expect(groups.json().groups.map((g: { groupName: string }) => g.groupName)).toEqual(['auto_insurance']);
    expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
  });

  it('maps invalid input, unknown groups, big bodies, rate limits and a dead store to their codes', async () => {
    const { app, store } = await setup({ rate: 1, bodyLimit: 200 });
    const bad = await app.inject({
      method: 'POST',
      url: '/v1/groups/auto_insurance/requests',
      payload: { callerNumber: '12ab' },
    });
    expect([bad.statusCode, bad.json().error.code]).toEqual([400, 'INVALID_INPUT']);
    const limited = await app.inject({
      method: 'POST',
      url: '/v1/groups/auto_insurance/requests',
      payload: {},
    });
    expect([limited.statusCode, limited.json().error.code]).toEqual([429, 'RATE_LIMITED']);
    expect(limited.headers['retry-after']).toBe('1');

    const h2 = await setup({ bodyLimit: 200 });
    const big = await h2.app.inject({
      method: 'POST',
      url: '/v1/groups/auto_insurance/requests',
      ...json({ userData: { x: 'y'.repeat(500) } }),
    });
    expect([big.statusCode, big.json().error.code]).toEqual([413, 'BODY_TOO_LARGE']);
    const unknown = await h2.app.inject({ method: 'POST', url: '/v1/groups/nope/requests', payload: {} });
    expect([unknown.statusCode, unknown.json().error.code]).toEqual([404, 'UNKNOWN_GROUP']);
    const numberOnly = await h2.app.inject({
      method: 'POST',
      url: '/v1/match',
      payload: { dialledNumber: '+18005551000' },
    });
    expect([numberOnly.statusCode, numberOnly.json().error]).toEqual([
      404,
      expect.objectContaining({
        code: 'NO_MATCH',
        details: { outcome: 'NOTHING', matchedBy: [], notMatched: [] },
      }),
    ]);
    await h2.store.close();
    const down = await h2.app.inject({
      method: 'POST',
      url: '/v1/groups/auto_insurance/requests',
      payload: {},
    });
    expect([down.statusCode, down.json().error.code]).toEqual([503, 'STORE_UNAVAILABLE']);
    await store.close();
  });

  it('refuses new requests for a removed group but still matches its live ones', async () => {
    const { app, groups } = await setup();
    const r = (
      await app.inject({ method: 'POST', url: '/v1/groups/auto_insurance/requests', payload: {} })
    ).json();
    groups.delete('test:auto_insurance');
    expect(
      (await app.inject({ method: 'POST', url: '/v1/groups/auto_insurance/requests', payload: {} }))
        .statusCode,
    ).toBe(404);
    const m = await app.inject({
      method: 'POST',
      url: '/v1/match',
      payload: { dialledNumber: r.number, accessCode: r.accessCode },
    });
    expect(m.statusCode).toBe(200);
  });

  it('never hands out a number removed from the pool', async () => {
    const { app, groups } = await setup({ groups: [group('g', { uniqueDnis: true }, 3)] });
    groups.set('test:g', group('g', { uniqueDnis: true, dnisPool: [{ number: '+18005551002' }] }));
    for (let i = 0; i < 3; i++) {
      const res = await app.inject({ method: 'POST', url: '/v1/groups/g/requests', payload: {} });
      if (i === 0) expect(res.json().number).toBe('+18005551002');
      else expect(res.statusCode).toBe(409);
    }
  });

  it('serves an OpenAPI document listing the routes, and Prometheus metrics', async () => {
    const { app, metricsApp } = await setup();
    await app.inject({ method: 'POST', url: '/v1/groups/auto_insurance/requests', payload: {} });
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/v1/groups/{groupName}/requests',
        '/v1/match',
        '/v1/requests/{id}',
        '/engagement/v3/call-in/requests/create',
      ]),
    );
    // Metrics name groups and their load: they are served on the operations port only.
    expect((await app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(404);
    const metrics = (await metricsApp.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toContain(
      'c2c_allocator_requests_total{group="auto_insurance",operation="create",outcome="created"} 1',
    );
    expect(metrics).toContain('c2c_allocator_pool_size{group="auto_insurance"} 3');
    expect(metrics).toContain('c2c_allocator_numbers_in_use{group="auto_insurance"} 1');
    expect(metrics).toContain('c2c_allocator_allocation_attempts_total{group="auto_insurance"} 1');
    expect(metrics).toContain(
      'c2c_allocator_http_request_duration_seconds_count{route="/v1/groups/:groupName/requests",method="POST",status="201"} 1',
    );
  });
});

describe('groups served as their last valid version', () => {
  it('say so in GET /v1/groups and in a metric, and keep serving requests', async () => {
    const { app, groups, metrics } = await setup();
    const sinceMs = Date.UTC(2030, 0, 1, 0, 0, 5);
    groups.replace(
      'test:',
      new Map([['test:auto_insurance', group('auto_insurance')]]),
      new Map([
        [
          'test:auto_insurance',
          { message: 'sales.yaml: expirySeconds is 5; it must be from 10 to 1800 seconds', sinceMs },
        ],
      ]),
    );
    const list = await app.inject({ method: 'GET', url: '/v1/groups' });
    expect(list.json().groups[0]).toMatchObject({
      groupName: 'auto_insurance',
      configProblem: {
        message: expect.stringContaining('expirySeconds is 5'),
        since: '2030-01-01T00:00:05.000Z',
      },
    });
    expect(await metrics.registry.metrics()).toContain(
      `c2c_allocator_group_config_invalid_since_seconds{group="auto_insurance"} ${sinceMs / 1000}`,
    );
    const created = await app.inject({
      method: 'POST',
      url: '/v1/groups/auto_insurance/requests',
      payload: {},
    });
    expect(created.statusCode).toBe(201);
  });
});

describe('authentication edge cases', () => {
  const keys: ApiKeyConfig[] = [{ name: 'app', sha256: hashApiKey('good-key'), scopes: ['read'] }];

  it('does not let an empty x-api-key hide a valid Bearer token', async () => {
    const { app } = await setup({ keys });
    const res = await app.inject({
      method: 'GET',
      url: '/v1/groups',
      headers: { 'x-api-key': '', authorization: 'Bearer good-key' },
    });
    expect(res.statusCode).toBe(200);
  });

  it('answers 429 to a client past its failed-authentication budget, and still lets a valid key in', async () => {
    const { app } = await setup({ keys, authFailures: { perSecond: 5, burst: 20 } });
    const statuses: number[] = [];
    for (let i = 0; i < 2_000; i++) {
      const res = await app.inject({
        method: 'GET',
        url: '/v1/groups',
        headers: { 'x-api-key': `guess-${i}` },
      });
      statuses.push(res.statusCode);
    }
    expect(statuses.filter((s) => s === 401)).toHaveLength(20);
    expect(statuses.filter((s) => s === 429)).toHaveLength(1_980);
    const valid = await app.inject({
      method: 'GET',
      url: '/v1/groups',
      headers: { 'x-api-key': 'good-key' },
    });
    expect(valid.statusCode).toBe(200);
  });
});
