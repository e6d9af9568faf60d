import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '#lib';
import { DirSource, loadGroupsDir } from './dir-source.ts';
import { GroupRegistry, type RegistryChange } from './registry.ts';

const group = (name: string, number: string, description = 'ok') => `apiVersion: clicktocall.dev/v1alpha1
kind: ClickToCallInGroup
metadata: { name: ${name} }
spec:
  dnisPool: [{ number: '${number}', description: ${description} }]
`;

const bomb = () =>
  `x-anchors:\n  a0: &a0 lol\n${Array.from(
    { length: 8 },
    (_, i) => `  a${i + 1}: &a${i + 1} [${Array(10).fill(`*a${i}`).join(', ')}]\n`,
  ).join('')}${group('bomb', '+18005550101', '*a8')}`;

describe('a groups folder with hostile files in it', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'c2c-dir-'));
    await writeFile(path.join(dir, 'good.yaml'), group('good', '+18005550100'));
    await writeFile(path.join(dir, 'bomb.yaml'), bomb());
    await writeFile(
      path.join(dir, 'huge.yaml'),
      `${group('huge', '+18005550102')}# ${'x'.repeat(50 * 1024 * 1024)}\n`,
    );
    await writeFile(
      path.join(dir, 'latin1.yaml'),
      Buffer.from(group('latin', '+18005550103', 'Caf\xe9'), 'latin1'),
    );
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('serves the valid group within a second and names each refused file with its reason', async () => {
    const rssBefore = process.memoryUsage().rss;
    const started = performance.now();
    const { groups, problems } = await loadGroupsDir(dir);
    const ms = performance.now() - started;
    expect(ms).toBeLessThan(1_000);
    // The 50 MB file is refused before it is read: memory does not grow by anything like its size.
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(30 * 1024 * 1024);
    expect([...groups.values()].map((g) => g.groupName)).toEqual(['good']);
    expect(problems.map((p) => p.message).sort()).toEqual([
      expect.stringMatching(/bomb\.yaml:\d+: YAML aliases expand this file beyond 4194304 bytes/),
      expect.stringMatching(/huge\.yaml: is \d+ bytes, over the 4194304-byte limit/),
      expect.stringMatching(/latin1\.yaml:5: is not UTF-8: byte 0xe9/),
    ]);
  });
});

describe('a groups folder edited in place', () => {
  let dir: string;
  const log = createLogger('dir-source-test', { level: 'silent' });
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'c2c-dir-edit-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('serves the last valid version of a group whose file became invalid, says so, and takes the fix', async () => {
    const file = path.join(dir, 'sales.yaml');
    await writeFile(file, group('sales', '+18005550200'));
    const registry = new GroupRegistry();
    const changes: RegistryChange[] = [];
    registry.onChange((c) => changes.push(...c));
    const clock = { now: Date.UTC(2030, 0, 1) };
    const source = new DirSource(dir, registry, log, 3_600_000, () => clock.now);
    await source.start();
    try {
      expect(registry.get('sales')?.problem).toBeUndefined();
      // An invalid edit: the group stays, as it was, with the reason and since when.
      await writeFile(file, group('sales', '+18005550200').replace('spec:', 'spec:\n  expirySeconds: 5'));
      clock.now += 1_000;
      await source.reload();
      expect(registry.get('sales')?.settings.expirySeconds).toBe(30);
      expect(registry.get('sales')?.problem).toEqual({
        message: expect.stringContaining('expirySeconds is 5'),
        sinceMs: Date.UTC(2030, 0, 1) + 1_000,
      });
      // Still broken later (a YAML error now): still served, still dated from the first failure.
      await writeFile(file, 'kind: [\n');
      clock.now += 1_000;
      await source.reload();
      expect(registry.get('sales')?.problem).toMatchObject({
        message: expect.stringContaining('not valid YAML'),
        sinceMs: Date.UTC(2030, 0, 1) + 1_000,
      });
      // Fixed: the new version, no problem.
      await writeFile(file, group('sales', '+18005550201'));
      await source.reload();
      expect(registry.get('sales')?.problem).toBeUndefined();
      expect(registry.get('sales')?.pool.map((e) => e.number)).toEqual(['+18005550201']);
      // Removed: gone.
      await rm(file);
      await source.reload();
      expect(registry.get('sales')).toBeUndefined();
      expect(changes.map((c) => c.type)).toEqual(['added', 'updated', 'removed']);
    } finally {
      source.stop();
    }
  });

  it('does not announce unchanged groups as updated when another file changes', async () => {
    const sub = path.join(dir, 'quiet');
    await mkdir(sub);
    await writeFile(path.join(sub, 'a.yaml'), group('a', '+18005550300'));
    await writeFile(path.join(sub, 'b.yaml'), group('b', '+18005550301'));
    const registry = new GroupRegistry();
    const changes: RegistryChange[] = [];
    const source = new DirSource(sub, registry, log, 3_600_000);
    await source.start();
    registry.onChange((c) => changes.push(...c));
    try {
      await writeFile(path.join(sub, 'b.yaml'), group('b', '+18005550302'));
      await source.reload();
      await writeFile(path.join(sub, 'notes.yaml'), '# a comment only\n');
      await source.reload();
      expect(changes).toEqual([{ type: 'updated', groupName: 'b' }]);
    } finally {
      source.stop();
    }
  });

  it('reads a file reached through a symlink loop once, with no conflict', async () => {
    const looped = path.join(dir, 'looped');
    await mkdir(looped);
    await writeFile(path.join(looped, 'g.yaml'), group('looped', '+18005550400'));
    await symlink(looped, path.join(looped, 'again'));
    const { groups, problems } = await loadGroupsDir(looped);
    expect([...groups.keys()]).toEqual([`file:${path.join(looped, 'g.yaml')}#looped`]);
    expect(problems.map((p) => p.message)).toEqual([
      expect.stringMatching(/again: is a symlink loop back to/),
    ]);
  });

  it('refuses to start on a folder that does not exist', async () => {
    const source = new DirSource(path.join(dir, 'typo'), new GroupRegistry(), log);
    await expect(source.start()).rejects.toThrow(/--groups-dir .*typo: no such folder/);
  });
});
