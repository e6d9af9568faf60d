import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadGroupsDir } from './dir-source.ts';

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
    expect(problems.sort()).toEqual([
      expect.stringMatching(/bomb\.yaml:\d+: YAML aliases expand this file beyond 4194304 bytes/),
      expect.stringMatching(/huge\.yaml: is \d+ bytes, over the 4194304-byte limit/),
      expect.stringMatching(/latin1\.yaml:5: is not UTF-8: byte 0xe9/),
    ]);
  });
});
