import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseAdmissionReview, reviewGroup, type AdmissionRequest } from './review.ts';

// What a JSON body can hold.
const json = fc.jsonValue({ maxDepth: 4 });
const wild = fc.oneof(json, fc.anything({ maxDepth: 3 }));
const groupKind = { group: 'clicktocall.dev', version: 'v1alpha1', kind: 'ClickToCallInGroup' };
const numberLike = fc.oneof(
  fc.stringMatching(/^\+?[0-9]{0,18}$/),
  fc.constantFrom('+18005555555', '+442079460000', '+9991234567'),
  fc.string({ maxLength: 20 }),
  wild,
);
const spec = fc.oneof(
  fc.record(
    {
      groupName: fc.oneof(fc.string({ maxLength: 70 }), wild),
      dnisPool: fc.oneof(
        fc.array(fc.oneof(fc.record({ number: numberLike, description: wild }, { requiredKeys: [] }), wild), {
          maxLength: 6,
        }),
        wild,
      ),
      dnisPoolFrom: fc.oneof(
        fc.record({ configMapKeyRef: fc.record({ name: fc.string(), key: fc.string() }) }),
        wild,
      ),
      accessCode: fc.oneof(fc.record({ generate: wild, length: fc.oneof(fc.integer(), wild) }), wild),
      expirySeconds: fc.oneof(fc.integer({ min: -10, max: 4000 }), wild),
      uniqueDnis: wild,
    },
    { requiredKeys: [] },
  ),
  wild,
);
const request: fc.Arbitrary<AdmissionRequest> = fc.record({
  uid: fc.string({ minLength: 1, maxLength: 40 }),
  kind: fc.oneof(fc.constant(groupKind), fc.constant(groupKind), wild) as fc.Arbitrary<
    AdmissionRequest['kind']
  >,
  operation: fc.oneof(fc.constantFrom('CREATE', 'UPDATE', 'DELETE', 'CONNECT'), wild) as fc.Arbitrary<string>,
  namespace: fc.oneof(fc.string({ maxLength: 20 }), wild) as fc.Arbitrary<string>,
  name: fc.oneof(fc.string({ maxLength: 20 }), wild) as fc.Arbitrary<string>,
  object: fc.oneof(
    fc.record({ metadata: fc.oneof(fc.record({ name: fc.oneof(fc.string(), wild) }), wild), spec }),
    wild,
  ) as fc.Arbitrary<AdmissionRequest['object']>,
  oldObject: fc.oneof(fc.record({ spec }), wild) as fc.Arbitrary<AdmissionRequest['oldObject']>,
});
const context = fc.record({
  otherGroupNames: fc.array(fc.string({ maxLength: 10 }), { maxLength: 3 }).map((a) => new Set(a)),
  csvPool: fc.option(
    fc.record({ text: fc.string({ maxLength: 200 }), source: fc.constant('pool/pool.csv') }),
    {
      nil: undefined,
    },
  ),
});

describe('parseAdmissionReview, for any JSON body', () => {
  it('returns a request with a uid, or a non-empty reason, and never throws', () => {
    const bodies = fc.oneof(
      wild,
      fc.record({
        apiVersion: fc.oneof(fc.constant('admission.k8s.io/v1'), wild),
        kind: fc.oneof(fc.constant('AdmissionReview'), wild),
        request: fc.oneof(fc.record({ uid: fc.oneof(fc.string(), wild) }), wild),
      }),
    );
    fc.assert(
      fc.property(bodies, (body) => {
        const parsed = parseAdmissionReview(body);
        if (typeof parsed === 'string') expect(parsed.length).toBeGreaterThan(0);
        else expect(typeof parsed.uid === 'string' && parsed.uid !== '').toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('reviewGroup, for any request', () => {
  it('answers with the same uid; a denial is a 4xx whose message names each problem by path', () => {
    fc.assert(
      fc.property(request, context, (req, ctx) => {
        const response = reviewGroup(req, ctx);
        expect(response.uid).toBe(req.uid);
        for (const w of response.warnings ?? []) expect(typeof w).toBe('string');
        if (response.allowed) {
          expect(response.status).toBeUndefined();
          return;
        }
        expect(response.status?.code).toBeGreaterThanOrEqual(400);
        expect(response.status?.code).toBeLessThan(500);
        const message = response.status?.message ?? '';
        expect(message).toMatch(/is invalid \(\d+ problems?\): /);
        // It says where: a spec path, or the CSV source and line.
        expect(message.slice(message.indexOf('): ') + 3)).toMatch(/\bspec\b|pool\/pool\.csv:\d+/);
      }),
      { numRuns: 1500 },
    );
  });

  it('treats a name that is not a string as no name (a case the property once found)', () => {
    const forged = {
      uid: ' ',
      kind: { group: 'clicktocall.dev', version: 'v1alpha1', kind: 'ClickToCallInGroup' },
      operation: 'CREATE',
      name: { toString: '' },
      object: null,
      oldObject: { spec: [] },
    } as unknown as AdmissionRequest;
    const response = reviewGroup(forged, { otherGroupNames: new Set() });
    expect(response).toMatchObject({ uid: ' ', allowed: false, status: { code: 422 } });
    expect(response.status?.message).toMatch(/^ClickToCallInGroup "" is invalid/);
  });

  it('never quotes the CSV it read: a denial names lines and rules only', () => {
    // Lines carrying a marker that appears nowhere in the request.
    const secretLine = fc
      .tuple(
        fc.string({ maxLength: 12 }),
        fc.stringMatching(/^[0-9]{0,14}$/),
        fc.constantFrom('', ',', ',x', ',"a'),
      )
      .map(([junk, digits, tail]) => `SECRETMARK${junk}${digits}${tail}`);
    const csv = fc.array(fc.oneof(secretLine, fc.constant('+18005555555,ok')), {
      minLength: 1,
      maxLength: 12,
    });
    fc.assert(
      fc.property(csv, (lines) => {
        const response = reviewGroup(
          {
            uid: 'u',
            kind: groupKind,
            operation: 'CREATE',
            namespace: 'a',
            object: {
              metadata: { name: 'g' },
              spec: { dnisPoolFrom: { configMapKeyRef: { name: 'p', key: 'k' } } },
            },
          },
          { otherGroupNames: new Set(), csvPool: { text: lines.join('\n'), source: 'p/k' } },
        );
        expect(JSON.stringify(response)).not.toContain('SECRETMARK');
        if (lines.some((l) => l.startsWith('SECRETMARK'))) {
          expect(response.allowed).toBe(false);
          expect(response.status?.message).toMatch(/p\/k:\d+: line \d+: /);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('reviewGroup, hand-picked bad input', () => {
  const write = (spec: unknown, object?: unknown): AdmissionRequest => ({
    uid: 'u',
    kind: groupKind,
    operation: 'CREATE',
    namespace: 'a',
    object: (object ?? { metadata: { name: 'g' }, spec }) as AdmissionRequest['object'],
  });
  const none = { otherGroupNames: new Set<string>() };

  it.each([
    ['no spec at all', write(undefined), 'spec'],
    ['a spec that is a string', write('dnisPool: []'), 'spec'],
    ['a pool that is an object', write({ dnisPool: { number: '+18005555555' } }), 'spec.dnisPool'],
    ['a number that is a number', write({ dnisPool: [{ number: 18005555555 }] }), 'spec.dnisPool[0].number'],
    [
      'an expiry that is a string',
      write({ dnisPool: [{ number: '+18005555555' }], expirySeconds: '30' }),
      'spec.expirySeconds',
    ],
    ['an object that is null', write(undefined, null), 'spec'],
  ])('denies %s, naming %s', (_, req, path) => {
    const response = reviewGroup(req, none);
    expect(response.allowed).toBe(false);
    expect(response.status?.code).toBe(422);
    expect(response.status?.message).toContain(path);
  });
});
