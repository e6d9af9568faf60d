import { describe, expect, it } from 'vitest';
import { hashApiKey, type ApiKeyConfig } from '../auth.ts';
import { group, setup } from '../../testing/app-harness.ts';

const keys: ApiKeyConfig[] = [
  { name: 'reader', sha256: hashApiKey('read-all'), scopes: ['read', 'request', 'match'] },
  { name: 'one-group', sha256: hashApiKey('read-one'), scopes: ['read'], groups: ['one'] },
];
const as = (key: string) => ({ 'x-api-key': key });

async function withRecords() {
  const h = await setup({ groups: [group('one', {}, 10), group('two', {}, 10)], keys });
  const create = async (groupName: string, body: object = {}) => {
    const res = await h.app.inject({
      method: 'POST',
      url: `/v1/groups/${groupName}/requests`,
      headers: as('read-all'),
      payload: body,
    });
    expect(res.statusCode, res.body).toBe(201);
    h.clock.now += 1_000;
    return res.json() as { id: string; number: string; accessCode: string };
  };
  const list = async (query: string, key = 'read-all') => {
    const res = await h.app.inject({ method: 'GET', url: `/v1/records${query}`, headers: as(key) });
    return { status: res.statusCode, body: res.json() };
  };
  const ids = async (query: string, key?: string) =>
    (await list(query, key)).body.records.map((r: { request: { id: string } }) => r.request.id);
  return { ...h, create, list, ids };
}

describe('GET /v1/records', () => {
  it('lists live and ended requests newest first, with their states, filtered as asked', async () => {
    const h = await withRecords();
    const startedAt = new Date(h.clock.now).toISOString();
    const a = await h.create('one', { callerNumber: '+14155550100' });
    const b = await h.create('one');
    const c = await h.create('two', { callerNumber: '+14155550100' });
    const middle = new Date(h.clock.now).toISOString();
    const d = await h.create('one');
    const match = await h.app.inject({
      method: 'POST',
      url: '/v1/match',
      headers: as('read-all'),
      payload: { dialledNumber: a.number, accessCode: a.accessCode },
    });
    expect(match.statusCode).toBe(200);
    expect(
      (await h.app.inject({ method: 'DELETE', url: `/v1/requests/${b.id}`, headers: as('read-all') }))
        .statusCode,
    ).toBe(200);

    const all = await h.list('');

    expect(all.status).toBe(200);
    expect(
      all.body.records.map((r: { request: { id: string }; state: string }) => [r.request.id, r.state]),
    ).toEqual([
      [d.id, 'live'],
      [c.id, 'live'],
      [b.id, 'cancelled'],
      [a.id, 'matched'],
    ]);
    expect(all.body.nextCursor).toBeUndefined();
    expect(await h.ids('?group=two')).toEqual([c.id]);
    expect(await h.ids(`?id=${a.id}`)).toEqual([a.id]);
    expect(await h.ids('?callerNumber=%2B14155550100')).toEqual([c.id, a.id]);
    expect(await h.ids('?state=live')).toEqual([d.id, c.id]);
    expect(await h.ids('?state=matched&group=one')).toEqual([a.id]);
    expect(await h.ids(`?from=${encodeURIComponent(startedAt)}&to=${encodeURIComponent(middle)}`)).toEqual([
      c.id,
      b.id,
      a.id,
    ]);
  });

  it('pages with nextCursor until every record has been given once', async () => {
    const h = await withRecords();
    const created = [];
    for (let i = 0; i < 7; i++) created.push((await h.create('one')).id);
    const seen: string[] = [];
    let query = '?limit=3';
    for (let pages = 0; pages < 5; pages++) {
      const { status, body } = await h.list(query);
      expect(status).toBe(200);
      seen.push(...body.records.map((r: { request: { id: string } }) => r.request.id));
      if (!body.nextCursor) break;
      query = `?limit=3&cursor=${body.nextCursor}`;
    }
    expect(seen).toEqual(created.reverse());
  });

  it('shows a group-scoped key only its groups', async () => {
    const h = await withRecords();
    const one = await h.create('one');
    await h.create('two');
    expect(await h.ids('', 'read-one')).toEqual([one.id]);
    expect(await h.ids('?group=two', 'read-one')).toEqual([]);
  });

  it('refuses bad filters naming the field, the value and the rule', async () => {
    const h = await withRecords();
    const cases: Array<[string, RegExp]> = [
      ['?from=yesterday', /from: "yesterday" is not an ISO 8601 date-time with a zone/],
      ['?to=2026-12-02T06:00:00', /to: "2026-12-02T06:00:00" is not an ISO 8601 date-time with a zone/],
      ['?cursor=bogus', /cursor: "bogus" is not a cursor this service gave/],
      ['?callerNumber=12', /callerNumber/],
      ['?state=lost', /state/],
      ['?limit=0', /limit/],
      ['?limit=1001', /limit/],
      ['?colour=blue', /colour/],
    ];
    for (const [query, message] of cases) {
      const { status, body } = await h.list(query);
      expect([query, status]).toEqual([query, 400]);
      expect([query, body.error.message]).toEqual([query, expect.stringMatching(message)]);
    }
  });
});
