import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UUID_PATTERN } from '../request-ids.ts';
import { group, testAllocator, type AppHarness } from '../testing/app-harness.ts';
import { hashApiKey } from './auth.ts';
import { MAX_JSON_DEPTH } from './json-body.ts';
import { ERROR_CODE_HEADER } from './routes/ges-compat.ts';

const BODY_LIMIT = 16_384;
const KEY = 'k-0123456789abcdef';
const POOL_SIZE = 50;

let allocator: AppHarness;
let app: FastifyInstance;

beforeAll(async () => {
  let seq = 0;
  allocator = await testAllocator({
    groups: [
      group('codes', {}, POOL_SIZE),
      group('callers', { accessCode: { generate: false, length: 6 } }, POOL_SIZE),
      group('unique', { uniqueDnis: true }, POOL_SIZE),
    ],
    keys: [{ name: 'all', sha256: hashApiKey(KEY), scopes: ['request', 'match', 'read'] }],
    bodyLimit: BODY_LIMIT,
    guard: null,
    random: { int: (max) => Math.floor(Math.random() * max) },
    newId: () => `req${++seq}`,
  });
  app = allocator.app;
  await app.ready();
});

afterAll(async () => {
  await allocator.close();
});

/** Every answer the API gives to a client's mistake: a 4xx with a stable code and a message. */
function expectClientError(res: Awaited<ReturnType<FastifyInstance['inject']>>, url = ''): void {
  expect(res.statusCode, res.body).toBeGreaterThanOrEqual(200);
  expect(res.statusCode, res.body).toBeLessThan(500);
  if (res.statusCode < 400) return;
  const body = res.json();
  if (url.startsWith('/engagement/')) {
    // The GES shape: only { status }, the allocator's code in a header.
    expect(Object.keys(body)).toEqual(['status']);
    expect(body.status.code).toBe(res.statusCode);
    expect(body.status.corrId).toMatch(UUID_PATTERN);
    expect(typeof body.status.message).toBe('string');
    expect(res.headers[ERROR_CODE_HEADER]).toMatch(/^[A-Z_]+$/);
    return;
  }
  expect(body.error.code).toMatch(/^[A-Z_]+$/);
  expect(typeof body.error.message).toBe('string');
  expect(body.error.message.length).toBeGreaterThan(0);
}

const text = fc.string({ unit: 'grapheme', maxLength: 24 });
const numberish = fc.oneof(
  fc.stringMatching(/^\+?[0-9]{0,18}$/),
  fc.stringMatching(/^\+?[0-9a-zA-Z ()-]{0,20}$/),
  fc.integer(),
  fc.double(),
  text,
);
const anyJson = fc.jsonValue({ maxDepth: 4 });
const field = fc.oneof(numberish, anyJson, fc.constant(null), fc.boolean());
const groupName = fc.oneof(fc.constantFrom('codes', 'callers', 'unique', 'nope'), text);
const enc = (s: string) => encodeURIComponent(s);

interface ClientRequest {
  method: 'GET' | 'POST' | 'DELETE';
  url: string;
  payload?: unknown;
}

/** A request a client might send: a route of the API with any body, headers and path values. */
const request: fc.Arbitrary<ClientRequest> = fc.oneof(
  fc.record({
    method: fc.constant('POST' as const),
    url: groupName.map((g) => `/v1/groups/${enc(g)}/requests`),
    payload: fc.oneof(
      fc.record({ callerNumber: field, userData: field }, { requiredKeys: [] }),
      fc.record({ callerNumber: numberish, userData: fc.dictionary(text, anyJson), extra: field }),
      anyJson,
    ),
  }),
  fc.record({
    method: fc.constant('POST' as const),
    url: fc.constant('/v1/match'),
    payload: fc.oneof(
      fc.record(
        { dialledNumber: field, callerNumber: field, accessCode: field, groupName: field },
        { requiredKeys: [] },
      ),
      anyJson,
    ),
  }),
  fc.record({
    method: fc.constant('POST' as const),
    url: fc.constant('/engagement/v3/call-in/requests/create'),
    payload: fc.oneof(
      fc.record({ groupName, fromPhoneNumber: field, userData: field }, { requiredKeys: [] }),
      anyJson,
    ),
  }),
  fc.record({
    method: fc.constantFrom('GET' as const, 'DELETE' as const),
    url: fc.oneof(text, fc.string({ maxLength: 80 })).map((id) => `/v1/requests/${enc(id)}`),
  }),
  fc.record({
    method: fc.constant('GET' as const),
    url: fc
      .tuple(groupName, fc.constantFrom('requests', 'history'), text, numberish)
      .map(
        ([g, what, id, caller]) =>
          `/v1/groups/${enc(g)}/${what}?id=${enc(id)}&callerNumber=${enc(String(caller))}`,
      ),
  }),
);

const headers = fc.record(
  {
    'content-type': fc.constantFrom(
      'application/json',
      'application/json; charset=utf-8',
      'application/json; charset=latin1',
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/jsonx',
      '',
    ),
    'x-api-key': fc.oneof(fc.constant(KEY), fc.string({ maxLength: 40 }), fc.constant(`${KEY}x`)),
    authorization: fc.oneof(
      fc.constant(`Bearer ${KEY}`),
      fc.constant('Bearer'),
      fc.string({ maxLength: 40 }).map((s) => `Bearer ${s}`),
    ),
    'x-request-id': fc.string({ maxLength: 40 }),
  },
  { requiredKeys: [] },
);

/** Header values must be printable ASCII or latin1 on the wire; the transport refuses the rest. */
const printable = (h: Record<string, string>) =>
  Object.fromEntries(Object.entries(h).map(([k, v]) => [k, v.replace(/[^\x20-\x7e]/g, '?')]));

describe('the allocator API on any client input', () => {
  it('never answers 5xx to a client mistake, and every error has a code and a message', async () => {
    await fc.assert(
      fc.asyncProperty(request, headers, fc.boolean(), async (req, h, rawBody) => {
        const payload =
          req.payload === undefined
            ? undefined
            : rawBody
              ? JSON.stringify(req.payload).slice(0, -1) // truncated JSON
              : JSON.stringify(req.payload);
        const res = await app.inject({
          method: req.method,
          url: req.url,
          headers: printable({ 'x-api-key': KEY, ...h }),
          ...(payload !== undefined ? { payload } : {}),
        });
        expectClientError(res, req.url);
      }),
      { numRuns: 300 },
    );
  });

  it('creates or refuses any well-formed body sent with a valid key, never failing', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('codes', 'callers', 'unique'),
        fc.option(fc.stringMatching(/^\+?1[2-9][0-9]{2}[2-9][0-9]{6}$/), { nil: undefined }),
        fc.option(fc.dictionary(text, anyJson, { maxKeys: 5 }), { nil: undefined }),
        async (g, callerNumber, userData) => {
          const res = await app.inject({
            method: 'POST',
            url: `/v1/groups/${g}/requests`,
            headers: { 'x-api-key': KEY, 'content-type': 'application/json' },
            payload: JSON.stringify({ callerNumber, userData }),
          });
          expectClientError(res);
          if (res.statusCode === 201) {
            const m = await app.inject({
              method: 'POST',
              url: '/v1/match',
              headers: { 'x-api-key': KEY },
              payload: {
                dialledNumber: res.json().number,
                ...(res.json().accessCode ? { accessCode: res.json().accessCode } : { callerNumber }),
              },
            });
            expect(m.statusCode, m.body).toBe(200);
            // What JSON can carry (-0 travels as 0).
            expect(m.json().request.userData).toEqual(userData && JSON.parse(JSON.stringify(userData)));
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});

const post = (url: string, payload: string, contentType = 'application/json') =>
  app.inject({
    method: 'POST',
    url,
    headers: { 'x-api-key': KEY, 'content-type': contentType },
    payload,
  });

describe('the allocator API on hand-picked bad input', () => {
  it.each([
    ['a number with letters', { callerNumber: '+1800abc5555' }, 400, 'callerNumber'],
    ['a number of the wrong type', { callerNumber: true }, 400, 'callerNumber'],
    ['a number object', { callerNumber: { n: 1 } }, 400, 'callerNumber'],
    ['a number too long', { callerNumber: '+1'.padEnd(40, '5') }, 400, 'callerNumber'],
    ['an unknown country code', { callerNumber: '+999123456' }, 400, 'callerNumber'],
    ['user data that is not an object', { userData: 'hello' }, 400, 'userData'],
    ['user data as a list', { userData: [1, 2] }, 400, 'userData'],
    ['an unknown field', { callerNumbr: '+14155550123' }, 400, 'callerNumbr'],
    ['unicode digits', { callerNumber: '+١٨٠٠٥٥٥٥٥٥٥' }, 400, 'callerNumber'],
  ])('names the field for %s', async (_what, body, status, named) => {
    const res = await post('/v1/groups/codes/requests', JSON.stringify(body));
    expect(res.statusCode, res.body).toBe(status);
    expect(res.json().error.code).toBe('INVALID_INPUT');
    expect(res.json().error.message).toContain(named);
  });

  it.each([
    [
      'a match with letters in the access code',
      { dialledNumber: '+18005551000', accessCode: '12a4' },
      'accessCode',
    ],
    [
      'a match with a huge number as access code',
      { dialledNumber: '+18005551000', accessCode: 1e21 },
      'accessCode',
    ],
    ['a match without a dialled number', { accessCode: '1234' }, 'dialledNumber'],
  ])('names the problem for %s', async (_what, body, named) => {
    const res = await post('/v1/match', JSON.stringify(body));
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json().error.message).toContain(named);
  });

  it('refuses malformed, huge, deeply nested and prototype-polluting JSON with a 4xx that says why', async () => {
    const cases: Array<[string, string, number, string, RegExp]> = [
      ['truncated', '{"callerNumber": "+1', 400, 'INVALID_INPUT', /JSON/i],
      ['not JSON', 'callerNumber=+14155550123', 400, 'INVALID_INPUT', /JSON/i],
      [
        'huge',
        JSON.stringify({ userData: { x: 'y'.repeat(BODY_LIMIT) } }),
        413,
        'BODY_TOO_LARGE',
        /too large/,
      ],
      ['__proto__', '{"userData": {"__proto__": {"admin": true}}}', 400, 'INVALID_INPUT', /__proto__/],
      [
        'constructor',
        '{"userData": {"constructor": {"prototype": {"a": 1}}}}',
        400,
        'INVALID_INPUT',
        /constructor/,
      ],
      ['empty', '', 400, 'INVALID_INPUT', /empty/],
      ['nested 40 deep', `{"userData":${'['.repeat(40)}${']'.repeat(40)}}`, 400, 'INVALID_INPUT', /nested/],
    ];
    for (const [what, payload, status, code, says] of cases) {
      const res = await post('/v1/groups/codes/requests', payload);
      expect([what, res.statusCode, res.json().error.code], res.body).toEqual([what, status, code]);
      expect(res.json().error.message).toMatch(says);
    }
    const form = await post('/v1/groups/codes/requests', 'a=1', 'application/x-www-form-urlencoded');
    expect([form.statusCode, form.json().error.code]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
  });

  it('stores and returns nested user data up to the depth limit, and refuses deeper with a 4xx', async () => {
    for (const depth of [10, MAX_JSON_DEPTH - 2, MAX_JSON_DEPTH, 1_000, 5_000]) {
      const nested = `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
      const res = await post('/v1/groups/codes/requests', `{"userData":${nested}}`);
      expectClientError(res);
      // The body's own object is one level: userData may nest MAX_JSON_DEPTH - 1 deep.
      const expected = depth < MAX_JSON_DEPTH ? 201 : nested.length > BODY_LIMIT ? 413 : 400;
      expect(res.statusCode, res.body).toBe(expected);
      if (res.statusCode === 201) {
        const m = await app.inject({
          method: 'POST',
          url: '/v1/match',
          headers: { 'x-api-key': KEY },
          payload: { dialledNumber: res.json().number, accessCode: res.json().accessCode },
        });
        expectClientError(m);
      }
    }
    const arrays = `{"userData":{"x":${'['.repeat(8_000)}${']'.repeat(8_000)}}}`;
    expectClientError(await post('/v1/groups/codes/requests', arrays));
  });

  it('treats unicode and odd group names as unknown groups, not errors', async () => {
    for (const name of ['😀', 'a/b', '..', ' ', '%', 'codes\u0000', 'x'.repeat(300)]) {
      const res = await post(`/v1/groups/${encodeURIComponent(name)}/requests`, '{}');
      expectClientError(res);
      expect(res.statusCode).toBeGreaterThanOrEqual(400);
    }
    const badEscape = await app.inject({
      method: 'POST',
      url: '/v1/groups/%E0%A4%A/requests',
      headers: { 'x-api-key': KEY },
      payload: {},
    });
    expectClientError(badEscape);
  });
});
