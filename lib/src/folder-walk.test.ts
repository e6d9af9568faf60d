import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { walkGroupFolders } from './folder-walk.ts';

describe('walkGroupFolders', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'c2c-walk-'));
    await mkdir(path.join(dir, 'a/b'), { recursive: true });
    await mkdir(path.join(dir, '.git'));
    await mkdir(path.join(dir, 'mounted'));
    await mkdir(path.join(dir, 'elsewhere'));
    await writeFile(path.join(dir, 'a/one.yaml'), 'x: 1');
    await writeFile(path.join(dir, 'a/b/two.json'), '{}');
    await writeFile(path.join(dir, 'a/notes.txt'), 'not a group');
    await writeFile(path.join(dir, '.git/config.yaml'), 'hidden');
    await writeFile(path.join(dir, 'mounted/group.json'), '{}');
    await writeFile(path.join(dir, 'elsewhere/three.yml'), 'x: 3');
    await symlink(path.join(dir, 'elsewhere/three.yml'), path.join(dir, 'a/linked.yaml'));
    await symlink(path.join(dir, 'a'), path.join(dir, 'a/b/loop'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('follows symlinks, reads each file once, skips hidden entries and stops at a loop', async () => {
    const walk = await walkGroupFolders([dir], 'group.json');
    const rel = (p: string) => path.relative(dir, p);
    expect(walk.files.map(rel)).toEqual(['a/b/two.json', 'a/linked.yaml', 'a/one.yaml']);
    expect(walk.marked.map(rel)).toEqual(['mounted']);
    expect(walk.problems.map((p) => [rel(p.path), p.message])).toEqual([
      ['a/b/loop', expect.stringMatching(/^is a symlink loop back to .*\/a; not followed$/)],
    ]);
  });

  it('takes a file given by name whatever its extension, and names a missing path', async () => {
    const walk = await walkGroupFolders([path.join(dir, 'a/notes.txt'), path.join(dir, 'nope')]);
    expect(walk.files).toEqual([path.join(dir, 'a/notes.txt')]);
    expect(walk.problems).toEqual([{ path: path.join(dir, 'nope'), message: 'cannot be read (ENOENT)' }]);
  });
});
