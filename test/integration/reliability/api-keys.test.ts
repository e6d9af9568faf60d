import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashApiKey } from '#allocator/http/index';
import { harness, uniqueName } from '../../harness/context.ts';
import { AllocatorProcess } from '../allocator/allocator-process.ts';

const APP_KEY = `app-${uniqueName('key')}-Zq8`;
const IVR_KEY = `ivr-${uniqueName('key')}-Xw3`;
const WRONG_KEY = `wrong-${uniqueName('key')}-Pv5`;
const USER_SECRET = `customer-${uniqueName('secret')}`;

function groupYaml(name: string, base: number): string {
  return `apiVersion: clicktocall.dev/v1alpha1
kind: ClickToCallInGroup
metadata: { name: ${name} }
spec:
  dnisPool: [{ number: '+1800${base}0001' }, { number: '+1800${base}0002' }]
  accessCode: { generate: true, length: 6 }
  expirySeconds: 300
---
`;
}

describe('an allocator with API keys, scoped to groups, logging at trace level', () => {
  let dir: string;
  let allocator: AllocatorProcess;

  const call = (method: string, route: string, key: string | undefined, body?: unknown) =>
    allocator.request(method, route, key, body);

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'c2c-keys-'));
    await mkdir(path.join(dir, 'groups'));
    await writeFile(
      path.join(dir, 'groups', 'groups.yaml'),
      groupYaml('mine', 555) + groupYaml('theirs', 556),
    );
    // Only hashes are configured: the file holds no key.
    await writeFile(
      path.join(dir, 'keys.yaml'),
      `- { name: mobile-app, sha256: ${hashApiKey(APP_KEY)}, scopes: [request, read], groups: [mine] }
- { name: ivr, sha256: ${hashApiKey(IVR_KEY)}, scopes: [match, read, request] }
`,
    );
    allocator = await AllocatorProcess.start(
      uniqueName('allocator-keys'),
      ['--groups-dir', path.join(dir, 'groups'), '--api-keys-file', path.join(dir, 'keys.yaml')],
      path.join(harness().workDir, 'logs'),
      { C2C_LOG_LEVEL: 'trace' },
    );
  });

  afterAll(async () => {
    await allocator?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps a key to its scopes and groups: others are refused or never shown', async () => {
    expect((await call('POST', '/v1/groups/mine/requests', undefined, {})).body.error.code).toBe(
      'UNAUTHENTICATED',
    );
    expect((await call('POST', '/v1/groups/mine/requests', WRONG_KEY, {})).status).toBe(401);

    const mine = await call('POST', '/v1/groups/mine/requests', APP_KEY, { userData: { c: USER_SECRET } });
    expect(mine.status).toBe(201);
    const theirs = await call('POST', '/v1/groups/theirs/requests', IVR_KEY, {
      callerNumber: '+14155550123',
      userData: { c: USER_SECRET },
    });
    expect(theirs.status).toBe(201);

    // Another group's create, list, history: FORBIDDEN; its request by id: not found.
    const forbidden = await call('POST', '/v1/groups/theirs/requests', APP_KEY, {});
    expect([forbidden.status, forbidden.body.error.code]).toEqual([403, 'FORBIDDEN']);
    const ges = await call('POST', '/engagement/v3/call-in/requests/create', APP_KEY, {
      groupName: 'theirs',
    });
    expect([ges.status, ges.body.status.code, ges.headers.get('x-c2c-error-code')]).toEqual([
      403,
      403,
      'FORBIDDEN',
    ]);
    for (const route of ['/v1/groups/theirs/requests', '/v1/groups/theirs/history']) {
      expect((await call('GET', route, APP_KEY)).status).toBe(403);
    }
    const byId = await call('GET', `/v1/requests/${theirs.body.id}`, APP_KEY);
    expect([byId.status, byId.body.error.code]).toEqual([404, 'REQUEST_NOT_FOUND']);
    const cancel = await call('DELETE', `/v1/requests/${theirs.body.id}`, APP_KEY);
    expect([cancel.status, cancel.body.error.code]).toEqual([404, 'REQUEST_NOT_FOUND']);
    const groups = await call('GET', '/v1/groups', APP_KEY);
    expect(groups.body.groups.map((g: { groupName: string }) => g.groupName)).toEqual(['mine']);

    // A missing scope: the app key cannot match at all.
    const noScope = await call('POST', '/v1/match', APP_KEY, {
      dialledNumber: mine.body.number,
      accessCode: mine.body.accessCode,
    });
    expect([noScope.status, noScope.body.error.code]).toEqual([403, 'FORBIDDEN']);

    // The IVR key may match and sees the user data, once.
    const matched = await call('POST', '/v1/match', IVR_KEY, {
      dialledNumber: theirs.body.number,
      accessCode: theirs.body.accessCode,
    });
    expect(matched.body.request.userData).toEqual({ c: USER_SECRET });
    // A bad body carrying user data: refused, and the log must not echo it either.
    expect((await call('POST', '/v1/groups/mine/requests', APP_KEY, { userData: USER_SECRET })).status).toBe(
      400,
    );
  });

  it('writes JSON log lines that hold no key and no user data', async () => {
    await allocator.stop();
    const log = await readFile(allocator.process.logFile, 'utf8');
    const lines = log
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    // The requests that carried keys and user data did leave lines, so the absence below means something.
    const messages = lines.map((l) => l.msg);
    expect(messages).toContain('request created');
    expect(messages).toContain('request matched');
    for (const secret of [APP_KEY, IVR_KEY, WRONG_KEY, USER_SECRET]) expect(log).not.toContain(secret);
    expect(log).not.toContain(hashApiKey(APP_KEY));
  });
});
