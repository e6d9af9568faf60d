import { describe, expect, it } from 'vitest';
import { hashApiKey } from '../auth.ts';
import { UUID_PATTERN } from '../../request-ids.ts';
import { group, setup, type AppHarnessOptions } from '../../testing/app-harness.ts';
import { ERROR_CODE_HEADER } from './ges-compat.ts';

/**
 * The wire contract of GES clients' generated models (CallInRequestsParms and the create response):
 * every field's JSON type is pinned here, for the answer and for every error.
 */
const URL = '/engagement/v3/call-in/requests/create';
const KEY = 'app-secret';
const keys = [
  { name: 'app', sha256: hashApiKey(KEY), scopes: ['request' as const] },
  { name: 'ivr', sha256: hashApiKey('ivr-secret'), scopes: ['match' as const] },
  { name: 'other', sha256: hashApiKey('other-secret'), scopes: ['request' as const], groups: ['other'] },
];

/** The JSON type of each leaf: `uuid` and `integer` are told apart from `string` and `number`. */
function shapeOf(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(shapeOf);
  if (v !== null && typeof v === 'object')
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, shapeOf(x)]));
  if (typeof v === 'string') return UUID_PATTERN.test(v) ? 'uuid' : 'string';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

const errorShape = { status: { code: 'integer', message: 'string', corrId: 'uuid' } };

async function ges(options: AppHarnessOptions = {}) {
  const h = await setup({ keys, ...options });
  const post = (body: unknown, headers: Record<string, string> = {}, url = URL) =>
    h.app.inject({
      method: 'POST',
      url,
      headers: { 'x-api-key': KEY, 'content-type': 'application/json', ...headers },
      payload: typeof body === 'string' ? body : JSON.stringify(body),
    });
  return { ...h, post };
}

describe('the GES-compatible create route', () => {
  it('answers 200 with every field of the GES model in its JSON type', async () => {
    const { post, clock } = await ges();
    const res = await post({
      groupName: 'auto_insurance',
      fromPhoneNumber: '+14155550123',
      userData: { reason: 'claim' },
      callbackServiceId: '5b7c0e2a-1d5e-4f7a-9c3b-2a1e0d9f8c7b',
    });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(shapeOf(body)).toEqual({
      status: { code: 'integer', message: 'string', corrId: 'uuid' },
      data: {
        id: 'uuid',
        toPhoneNumber: 'string',
        groupName: 'string',
        expirationTime: 'integer',
        accessCode: 'integer',
        fromPhoneNumber: 'string',
        callbackServiceId: 'uuid',
      },
    });
    expect(body.status.code).toBe(200);
    expect(body.data).toMatchObject({
      groupName: 'auto_insurance',
      fromPhoneNumber: '+14155550123',
      callbackServiceId: '5b7c0e2a-1d5e-4f7a-9c3b-2a1e0d9f8c7b',
    });
    expect(body.data.toPhoneNumber).toMatch(/^\+1800555/);
    expect(String(body.data.accessCode)).toMatch(/^[1-9][0-9]{5}$/);
    // Milliseconds since the epoch by default: what `new Date(n)` in a JavaScript client reads.
    expect(body.data.expirationTime).toBe(clock.now + 30_000);
    expect(res.headers['x-request-id']).toBe(body.status.corrId);
  });

  it('counts expirationTime in seconds when the operator says so', async () => {
    const { post, clock } = await ges({ gesExpirationUnit: 'seconds' });
    const body = (await post({ groupName: 'auto_insurance', fromPhoneNumber: '+14155550123' })).json();
    expect(body.data.expirationTime).toBe(Math.floor((clock.now + 30_000) / 1000));
  });

  it('leaves out accessCode and fromPhoneNumber when there are none, and keeps the other types', async () => {
    const { post } = await ges({
      groups: [group('unique', { uniqueDnis: true, accessCode: { generate: false, length: 6 } })],
    });
    const res = await post({ groupName: 'unique' });
    expect(shapeOf(res.json())).toEqual({
      status: { code: 'integer', message: 'string', corrId: 'uuid' },
      data: { id: 'uuid', toPhoneNumber: 'string', groupName: 'string', expirationTime: 'integer' },
    });
  });

  it('echoes a well-formed x-request-id or ccid as corrId, and makes a new one otherwise', async () => {
    const { post } = await ges();
    const mine = '0f8fad5b-d9cb-469f-a165-70867728950e';
    const body = { groupName: 'auto_insurance', fromPhoneNumber: '+14155550123' };
    expect((await post(body, { 'x-request-id': mine })).json().status.corrId).toBe(mine);
    expect((await post(body, { ccid: mine.toUpperCase() })).json().status.corrId).toBe(mine);
    const made = (await post(body, { 'x-request-id': 'req-9' })).json().status.corrId;
    expect(made).toMatch(UUID_PATTERN);
    expect(made).not.toBe(mine);
    // Errors carry it too.
    const failed = await post({ groupName: 'nope' }, { ccid: mine });
    expect(failed.json().status.corrId).toBe(mine);
  });

  it('keeps only user data keys that are JavaScript identifiers, and returns them on match', async () => {
    const { post, app } = await ges({ keys: [...keys] });
    const created = (
      await post({
        groupName: 'auto_insurance',
        fromPhoneNumber: '+14155550123',
        userData: { reason: 'claim', 'case-id': 7, '2nd': true, _ok: { 'any key': 1 } },
        callbackServiceId: 'cb-1',
      })
    ).json().data;
    const m = await app.inject({
      method: 'POST',
      url: '/v1/match',
      headers: { 'x-api-key': 'ivr-secret' },
      payload: { dialledNumber: created.toPhoneNumber, accessCode: created.accessCode },
    });
    expect(m.statusCode).toBe(200);
    expect(m.json().request.userData).toEqual({ reason: 'claim', _ok: { 'any key': 1 } });
    expect(m.json().request.callbackServiceId).toBe('cb-1');
    expect(m.json().request.id).toBe(created.id);
  });

  it('answers every error in the GES error shape, with its status and the allocator code in a header', async () => {
    const { post, store } = await ges({
      groups: [group('auto_insurance'), group('tiny', { uniqueDnis: true }, 1), group('other')],
      rate: 0,
      bodyLimit: 2_000,
    });
    const cases: Array<[string, () => ReturnType<typeof post>, number, string]> = [
      ['missing groupName', () => post({ fromPhoneNumber: '+14155550123' }), 400, 'INVALID_INPUT'],
      [
        'bad fromPhoneNumber',
        () => post({ groupName: 'auto_insurance', fromPhoneNumber: 'abc' }),
        400,
        'INVALID_INPUT',
      ],
      ['malformed JSON', () => post('{"groupName":'), 400, 'INVALID_INPUT'],
      [
        'no API key',
        () => post({ groupName: 'auto_insurance' }, { 'x-api-key': '' }),
        401,
        'UNAUTHENTICATED',
      ],
      [
        'wrong API key',
        () => post({ groupName: 'auto_insurance' }, { 'x-api-key': 'nope' }),
        401,
        'UNAUTHENTICATED',
      ],
      [
        'key without the request scope',
        () => post({ groupName: 'auto_insurance' }, { 'x-api-key': 'ivr-secret' }),
        403,
        'FORBIDDEN',
      ],
      [
        'key of another group',
        () => post({ groupName: 'auto_insurance' }, { 'x-api-key': 'other-secret' }),
        403,
        'FORBIDDEN',
      ],
      ['unknown group', () => post({ groupName: 'nope' }), 404, 'UNKNOWN_GROUP'],
      ['unknown GES route', () => post({}, {}, '/engagement/v3/call-in/requests/nope'), 404, 'NOT_FOUND'],
      [
        'body too large',
        () => post({ groupName: 'auto_insurance', userData: { x: 'y'.repeat(3_000) } }),
        413,
        'BODY_TOO_LARGE',
      ],
      [
        'not JSON',
        () => post('<groupName/>', { 'content-type': 'application/xml' }),
        415,
        'UNSUPPORTED_MEDIA_TYPE',
      ],
    ];
    const exhaust = await post({ groupName: 'tiny' });
    expect(exhaust.statusCode).toBe(200);
    cases.push(['pool exhausted', () => post({ groupName: 'tiny' }), 409, 'POOL_EXHAUSTED']);
    for (const [what, send, status, code] of cases) {
      const res = await send();
      expect([what, res.statusCode, res.headers[ERROR_CODE_HEADER]], res.body).toEqual([what, status, code]);
      expect([what, shapeOf(res.json())]).toEqual([what, errorShape]);
      expect(res.json().status.code).toBe(status);
    }
    const exhausted = await post({ groupName: 'tiny' });
    expect(Number(exhausted.headers['retry-after'])).toBeGreaterThan(0);

    // 500: a fault the allocator did not foresee; 503: the store is down.
    const create = store.create.bind(store);
    store.create = async () => {
      throw new Error('unforeseen');
    };
    const internal = await post({ groupName: 'auto_insurance', fromPhoneNumber: '+14155550123' });
    expect([internal.statusCode, internal.headers[ERROR_CODE_HEADER], shapeOf(internal.json())]).toEqual([
      500,
      'INTERNAL',
      errorShape,
    ]);
    store.create = create;
    await store.close();
    const down = await post({ groupName: 'auto_insurance', fromPhoneNumber: '+14155550123' });
    expect([down.statusCode, down.headers[ERROR_CODE_HEADER], shapeOf(down.json())]).toEqual([
      503,
      'STORE_UNAVAILABLE',
      errorShape,
    ]);
  });

  it('answers 429 in the GES shape with Retry-After when the key is over its rate', async () => {
    const { post } = await ges({ rate: 1 });
    await post({ groupName: 'auto_insurance', fromPhoneNumber: '+14155550123' });
    const limited = await post({ groupName: 'auto_insurance', fromPhoneNumber: '+14155550124' });
    expect([limited.statusCode, limited.headers[ERROR_CODE_HEADER], shapeOf(limited.json())]).toEqual([
      429,
      'RATE_LIMITED',
      errorShape,
    ]);
    expect(limited.headers['retry-after']).toBe('1');
  });
});
