import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { kubectl, useNamespace } from '../../harness/context.ts';
import { groupManifest, installCrd, numbers, repoRoot } from './support.ts';

const ns = useNamespace('api-crd');
beforeAll(installCrd);

const slug = (text: string) => text.replaceAll(/[^a-z0-9]+/g, '-').replace(/-$/, '');
const pool = (count = 2) => numbers(count).map((number) => ({ number, description: 'Claims' }));
const createGroup = (name: string, spec: Record<string, unknown>) =>
  kubectl(['create', '-n', ns.name, '-f', '-'], { input: groupManifest(name, spec) });

describe('the ClickToCallInGroup CRD', () => {
  it('accepts every example with kubectl apply', async () => {
    const dir = path.join(repoRoot, 'examples');
    const files = (await readdir(dir, { recursive: true })).filter((f) => f.endsWith('.yaml')).sort();
    expect(files.length).toBeGreaterThanOrEqual(3);
    for (const file of files) {
      const result = await kubectl(['apply', '-n', ns.name, '-f', path.join(dir, file)]);
      expect(result.stderr, file).toBe('');
      expect(result.code, file).toBe(0);
    }
  });

  it('fills in the defaults: access code on with 6 digits, 30 s expiry, unique DNIS off', async () => {
    expect((await createGroup('defaults', { dnisPool: pool() })).code).toBe(0);
    const got = await kubectl(['get', '-n', ns.name, 'clicktocallingroup/defaults', '-o', 'json']);
    const spec = (JSON.parse(got.stdout) as { spec: Record<string, unknown> }).spec;
    expect(spec).toMatchObject({
      accessCode: { generate: true, length: 6 },
      expirySeconds: 30,
      uniqueDnis: false,
    });
  });

  it('fills in the default local presence level: area', async () => {
    const created = await createGroup('near', { dnisPool: pool(), localPresence: { match: 'prefer' } });
    expect(created.code, created.stderr).toBe(0);
    const got = await kubectl(['get', '-n', ns.name, 'clicktocallingroup/near', '-o', 'json']);
    const spec = (JSON.parse(got.stdout) as { spec: Record<string, unknown> }).spec;
    expect(spec.localPresence).toEqual({ match: 'prefer', level: 'area' });
  });

  it('fills in the default pool policies: no cool-down, random selection, no stickiness', async () => {
    expect((await createGroup('policies-default', { dnisPool: pool() })).code).toBe(0);
    const got = await kubectl(['get', '-n', ns.name, 'clicktocallingroup/policies-default', '-o', 'json']);
    const spec = (JSON.parse(got.stdout) as { spec: Record<string, unknown> }).spec;
    expect(spec.coolDownSeconds).toBe(0);
    expect(spec.selection).toEqual({ strategy: 'random', stickySeconds: 0 });
    const partial = await createGroup('policies-partial', {
      dnisPool: pool(),
      selection: { strategy: 'leastRecentlyUsed' },
    });
    expect(partial.code, partial.stderr).toBe(0);
    const gotPartial = await kubectl(['get', '-n', ns.name, 'c2cg/policies-partial', '-o', 'json']);
    const partialSpec = (JSON.parse(gotPartial.stdout) as { spec: Record<string, unknown> }).spec;
    expect(partialSpec.selection).toEqual({ strategy: 'leastRecentlyUsed', stickySeconds: 0 });
  });

  it('answers to its short name and category with the printer columns', async () => {
    const got = await kubectl(['get', '-n', ns.name, 'c2cg']);
    expect(got.code).toBe(0);
    for (const column of ['GROUP', 'NUMBERS', 'ACCESS CODE', 'EXPIRY', 'UNIQUE DNIS', 'READY', 'AGE'])
      expect(got.stdout).toContain(column);
    expect((await kubectl(['get', '-n', ns.name, 'clicktocall'])).stdout).toContain('auto_insurance');
  });

  it.each([
    ['access-code length 4', { accessCode: { length: 4 } }],
    ['access-code length 12', { accessCode: { length: 12 } }],
    ['expiry 10', { expirySeconds: 10 }],
    ['expiry 1800', { expirySeconds: 1800 }],
    ['a 16-character number', { dnisPool: [{ number: '+123456789012345' }] }],
    ['a 32-character description', { dnisPool: [{ number: '+18005555555', description: 'd'.repeat(32) }] }],
    ['a number without +', { dnisPool: [{ number: '18005555555' }] }],
    ['local presence', { localPresence: { match: 'require', level: 'country' } }],
    ['cool-down 0', { coolDownSeconds: 0 }],
    ['cool-down 3600', { coolDownSeconds: 3600 }],
    ['sticky 86400', { selection: { strategy: 'roundRobin', stickySeconds: 86_400 } }],
    ['least recently used', { selection: { strategy: 'leastRecentlyUsed', stickySeconds: 0 } }],
    [
      'reserved numbers',
      {
        dnisPool: [
          { number: '+18005555555', reserved: true },
          { number: '+18005555556', reserved: false },
        ],
      },
    ],
    [
      'only dnisPoolFrom',
      { dnisPool: undefined, dnisPoolFrom: { configMapKeyRef: { name: 'pool', key: 'pool.csv' } } },
    ],
  ])('accepts %s', async (what, spec) => {
    const name = `ok-${slug(what)}`;
    const result = await createGroup(name, { dnisPool: pool(), ...spec });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });

  it.each([
    [
      'access-code length 3',
      { accessCode: { length: 3 } },
      /spec\.accessCode\.length.*greater than or equal to 4/,
    ],
    [
      'access-code length 13',
      { accessCode: { length: 13 } },
      /spec\.accessCode\.length.*less than or equal to 12/,
    ],
    ['expiry 9', { expirySeconds: 9 }, /spec\.expirySeconds.*greater than or equal to 10/],
    ['expiry 1801', { expirySeconds: 1801 }, /spec\.expirySeconds.*less than or equal to 1800/],
    [
      'a 17-character number',
      { dnisPool: [{ number: '+1234567890123456' }] },
      /spec\.dnisPool\[0\]\.number.*(Too long|at most 16)/,
    ],
    [
      'a number with dashes',
      { dnisPool: [{ number: '+1-800-555-5555' }] },
      /spec\.dnisPool\[0\]\.number.*should match/,
    ],
    [
      'a 33-character description',
      { dnisPool: [{ number: '+18005555555', description: 'd'.repeat(33) }] },
      /spec\.dnisPool\[0\]\.description.*(Too long|at most 32)/,
    ],
    ['an empty pool', { dnisPool: [] }, /spec\.dnisPool.*should have at least 1 items/],
    [
      'a local presence match that is not prefer or require',
      { localPresence: { match: 'always' } },
      /spec\.localPresence\.match.*Unsupported value: "always"/,
    ],
    [
      'a local presence without match',
      { localPresence: { level: 'area' } },
      /spec\.localPresence\.match.*Required/,
    ],
    ['cool-down -1', { coolDownSeconds: -1 }, /spec\.coolDownSeconds.*greater than or equal to 0/],
    ['cool-down 3601', { coolDownSeconds: 3601 }, /spec\.coolDownSeconds.*less than or equal to 3600/],
    [
      'a selection strategy it does not know',
      { selection: { strategy: 'fastest' } },
      /spec\.selection\.strategy.*Unsupported value: "fastest"/,
    ],
    [
      'sticky 86401',
      { selection: { stickySeconds: 86_401 } },
      /spec\.selection\.stickySeconds.*less than or equal to 86400/,
    ],
    [
      'sticky -1',
      { selection: { stickySeconds: -1 } },
      /spec\.selection\.stickySeconds.*greater than or equal to 0/,
    ],
    [
      'a reserved flag that is not true or false',
      { dnisPool: [{ number: '+18005555555', reserved: 'yes' }] },
      /spec\.dnisPool\[0\]\.reserved.*boolean/,
    ],
    ['no pool at all', { dnisPool: undefined }, /a group needs at least 1 number/],
    ['a group name with spaces', { groupName: 'auto insurance' }, /spec\.groupName.*should match/],
    [
      'duplicate numbers',
      { dnisPool: [{ number: '+18005555555' }, { number: '+18005555555' }] },
      /spec\.dnisPool\[1\].*Duplicate value/,
    ],
  ])('refuses %s with a message naming the field', async (what, spec, message) => {
    const name = `bad-${slug(what)}`;
    const result = await createGroup(name, { dnisPool: pool(), ...spec });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(message);
  });

  it('accepts 10,000 numbers and refuses 10,001', async () => {
    expect(
      (await createGroup('max-pool', { dnisPool: numbers(10_000).map((number) => ({ number })) })).code,
    ).toBe(0);
    const over = await createGroup('over-pool', { dnisPool: numbers(10_001).map((number) => ({ number })) });
    expect(over.code).not.toBe(0);
    expect(over.stderr).toMatch(/spec\.dnisPool: Too many: 10001: must have at most 10000 items/);
  });

  it('refuses to change groupName', async () => {
    expect((await createGroup('renamed', { groupName: 'before', dnisPool: pool() })).code).toBe(0);
    const patch = await kubectl([
      'patch',
      '-n',
      ns.name,
      'c2cg/renamed',
      '--type=merge',
      '-p',
      '{"spec":{"groupName":"after"}}',
    ]);
    expect(patch.code).not.toBe(0);
    expect(patch.stderr).toContain('groupName cannot be changed after creation');
  });

  it('refuses to set a groupName other than metadata.name on a group created without one', async () => {
    expect((await createGroup('unnamed', { dnisPool: pool() })).code).toBe(0);
    const patch = await kubectl([
      'patch',
      '-n',
      ns.name,
      'c2cg/unnamed',
      '--type=merge',
      '-p',
      '{"spec":{"groupName":"other"}}',
    ]);
    expect(patch.code).not.toBe(0);
    expect(patch.stderr).toContain(
      'the group name (spec.groupName, or metadata.name when groupName is not set) cannot be changed',
    );
    const same = await kubectl([
      'patch',
      '-n',
      ns.name,
      'c2cg/unnamed',
      '--type=merge',
      '-p',
      '{"spec":{"groupName":"unnamed"}}',
    ]);
    expect(same.code).toBe(0);
  });

  it('refuses unknown fields when kubectl validates strictly', async () => {
    const result = await kubectl(['create', '-n', ns.name, '--validate=strict', '-f', '-'], {
      input: groupManifest('typo', { dnisPool: pool(), uniqueDNIS: true }),
    });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('unknown field "spec.uniqueDNIS"');
  });
});
