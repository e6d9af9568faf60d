import { mkdtemp, readFile, rm, writeFile, mkdir, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAll } from 'js-yaml';
import { main } from './main.ts';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'c2c-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function run(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr };
}

async function file(name: string, text: string): Promise<string> {
  const target = path.join(dir, name);
  await mkdir(path.dirname(target), { recursive: true });
  await writeFile(target, text);
  return target;
}

const goodGroup = `apiVersion: clicktocall.dev/v1alpha1
kind: ClickToCallInGroup
metadata: { name: auto-insurance }
spec:
  groupName: auto_insurance
  dnisPool:
    - { number: '+18005555554', description: Claims }
    - { number: '+18005555555', description: Renewals }
`;
const badGroup = `apiVersion: v1
kind: ConfigMap
metadata: { name: unrelated }
data: { a: b }
---
apiVersion: clicktocall.dev/v1alpha1
kind: ClickToCallInGroup
metadata: { name: bad }
spec:
  dnisPool:
    - { number: '+18005555554' }
    - { number: 18005555554 }
  expirySeconds: 1801
`;

describe('c2c validate', () => {
  it('exits 0 and prints a summary for valid groups', async () => {
    const result = await run('validate', await file('ok/group.yaml', goodGroup));
    expect(result).toMatchObject({ code: 0, stdout: '' });
    expect(result.stderr).toBe('c2c validate: 1 group in 1 file, 0 errors, 0 warnings\n');
  });

  it('prints file:document:path: message for every error and exits 1', async () => {
    const bad = await file('bad/groups.yaml', badGroup);
    const result = await run('validate', bad);
    expect(result.code).toBe(1);
    expect(result.stdout.split('\n').filter(Boolean)).toEqual([
      `${bad}:2:spec.dnisPool[1].number (line 12): number must be text, but is the number 18005555554; put it in quotes, e.g. "18005555554" [SCHEMA_TYPE]`,
      `${bad}:2:spec.expirySeconds (line 13): expirySeconds is 1801; it must be from 10 to 1800 seconds [EXPIRY_RANGE]`,
    ]);
  });

  it('names the field, value and range of bad pool policies, and prints their warnings with the line', async () => {
    const policies = (spec: string) => `apiVersion: clicktocall.dev/v1alpha1
kind: ClickToCallInGroup
metadata: { name: policies }
spec:
  dnisPool:
    - { number: '+18005555554' }
${spec}`;
    const bad = await file(
      'policies/bad.yaml',
      policies('  coolDownSeconds: 3601\n  selection: { strategy: fastest, stickySeconds: 86401 }\n'),
    );
    const refused = await run('validate', bad);
    expect(refused.code).toBe(1);
    expect(refused.stdout.split('\n').filter(Boolean)).toEqual([
      `${bad}:1:spec.coolDownSeconds (line 7): coolDownSeconds is 3601; it must be from 0 to 3600 seconds (0 turns the cool-down off) [COOL_DOWN_RANGE]`,
      `${bad}:1:spec.selection.strategy (line 8): selection.strategy is "fastest"; it must be random, leastRecentlyUsed or roundRobin [SELECTION]`,
      `${bad}:1:spec.selection.stickySeconds (line 8): selection.stickySeconds is 86401; it must be from 0 to 86400 seconds (0 turns stickiness off) [SELECTION]`,
    ]);
    const risky = await file(
      'policies/risky.yaml',
      policies(
        '  uniqueDnis: true\n  expirySeconds: 30\n  coolDownSeconds: 120\n  selection:\n    stickySeconds: 60\n',
      ),
    );
    const warned = await run('validate', risky);
    expect(warned.code).toBe(0);
    const lines = warned.stdout.split('\n').filter(Boolean);
    expect(lines.map((l) => /\[([A-Z_]+)\]$/.exec(l)?.[1])).toEqual([
      'SMALL_UNIQUE_POOL',
      'COOL_DOWN_LONG',
      'STICKY_WITHIN_COOL_DOWN',
    ]);
    expect(lines[1]).toMatch(
      new RegExp(
        `^${risky}:1:spec\\.coolDownSeconds \\(line 9\\): warning: coolDownSeconds is 120, longer than expirySeconds \\(30\\).*at most about 0\\.0083 requests per second`,
      ),
    );
    expect(lines[2]).toContain(
      `${risky}:1:spec.selection.stickySeconds (line 11): warning: selection.stickySeconds is 60, not more than coolDownSeconds (120)`,
    );
    expect(warned.stderr).toBe('c2c validate: 1 group in 1 file, 0 errors, 3 warnings\n');
  });

  it('walks folders and reports the same group name used twice', async () => {
    await file('twice/a.yaml', goodGroup);
    await file('twice/nested/b.yml', goodGroup.replace('name: auto-insurance', 'name: other'));
    const result = await run('validate', path.join(dir, 'twice'));
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('group name "auto_insurance" is also used by the group in');
    expect(result.stdout).toContain('[GROUP_NAME_TAKEN]');
  });

  it('writes JSON for bots with --output json', async () => {
    const result = await run('validate', '--output', 'json', path.join(dir, 'bad'));
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout) as {
      files: number;
      groups: number;
      errors: Array<{ document: number; path: string; rule: string }>;
    };
    expect(report).toMatchObject({ files: 1, groups: 1 });
    expect(report.errors.map((e) => `${e.document} ${e.path} ${e.rule}`)).toEqual([
      '2 spec.dnisPool[1].number SCHEMA_TYPE',
      '2 spec.expirySeconds EXPIRY_RANGE',
    ]);
    expect(report.errors.map((e) => (e as { yamlLine?: number }).yamlLine)).toEqual([12, 13]);
  });

  it('reports YAML syntax errors with their line', async () => {
    const broken = await file('broken.yaml', 'kind: [\n');
    const result = await run('validate', broken);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(new RegExp(`^${broken}:line \\d+: not valid YAML: .*\\[YAML_SYNTAX\\]`));
  });

  it('checks a pool CSV held in a ConfigMap among the files', async () => {
    const pair = await file(
      'pair.yaml',
      `apiVersion: v1
kind: ConfigMap
metadata: { name: pool }
data:
  pool.csv: |
    +18005555554,Claims
    +18005555554,Again
---
apiVersion: clicktocall.dev/v1alpha1
kind: ClickToCallInGroup
metadata: { name: pooled }
spec:
  dnisPoolFrom: { configMapKeyRef: { name: pool, key: pool.csv } }
`,
    );
    const result = await run('validate', pair);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      `${pair}:2:configmap/pool/pool.csv:2: line 2: number "+18005555554" is already on line 1; each number may appear once [DNIS_DUPLICATE]`,
    );
  });

  it('exits 2 on usage mistakes and 1 on a missing file, without stack traces', async () => {
    expect(await run('validate')).toMatchObject({
      code: 2,
      stderr: 'c2c: give at least one file or folder; see c2c validate --help\n',
    });
    expect(await run('validate', '--nope', 'x')).toMatchObject({ code: 2 });
    const missing = await run('validate', path.join(dir, 'missing.yaml'));
    expect(missing.code).toBe(1);
    expect(missing.stdout).toMatch(/^\/.*missing\.yaml:: cannot be read \(ENOENT\) \[INPUT_UNREADABLE\]\n$/);
    expect(await run('frobnicate')).toMatchObject({
      code: 2,
      stderr: 'c2c: unknown command "frobnicate"; the commands are validate, import and export\n',
    });
  });

  it.each(['validate', 'import', 'export'])('has --help for %s', async (command) => {
    const result = await run(command, '--help');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^Usage: c2c ${command} `));
  });
});

describe('c2c validate on folders and odd files', () => {
  it('always writes JSON with -o json, a missing path among the findings, and checks the other paths', async () => {
    const ok = await file('json-always/ok.yaml', goodGroup);
    const result = await run('validate', '-o', 'json', path.join(dir, 'json-always/missing.yaml'), ok);
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({ files: 1, groups: 1 });
    expect(report.errors).toEqual([
      expect.objectContaining({ rule: 'INPUT_UNREADABLE', message: 'cannot be read (ENOENT)' }),
    ]);
  });

  it('reports a file that holds no group: an error when named, a warning when found in a folder', async () => {
    const random = await file('nogroup/random.yaml', 'just: some\nyaml: true\n');
    await file('nogroup/ok.yaml', goodGroup);
    const named = await run('validate', random);
    expect([named.code, named.stdout]).toEqual([
      1,
      `${random}:: holds no ClickToCallInGroup (nor a ConfigMap) [NO_GROUP]\n`,
    ]);
    const folder = await run('validate', path.join(dir, 'nogroup'));
    expect([folder.code, folder.stdout]).toEqual([
      0,
      `${random}:: warning: holds no ClickToCallInGroup (nor a ConfigMap) [NO_GROUP]\n`,
    ]);
  });

  it('follows symlinks as the allocator does, so a link to an invalid group fails validation', async () => {
    await file('links/ok.yaml', goodGroup);
    const target = await file('elsewhere/bad.yaml', badGroup);
    await symlink(target, path.join(dir, 'links/linked.yaml'));
    await symlink(path.join(dir, 'links'), path.join(dir, 'links/loop'));
    const result = await run('validate', path.join(dir, 'links'));
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(`${path.join(dir, 'links/linked.yaml')}:2:spec.expirySeconds (line 13)`);
    expect(result.stdout).toMatch(
      /links\/loop:: warning: is a symlink loop back to .*; not followed \[FOLDER_SKIPPED\]/,
    );
  });
});

describe('c2c export and output files', () => {
  it('refuses to export a pool it cannot write faithfully, naming the entry, and writes nothing', async () => {
    const numberEntry = await file(
      'export/number-entry.yaml',
      goodGroup.replace("- { number: '+18005555555', description: Renewals }", '- { number: 18005555556 }'),
    );
    const spaced = await file('export/spaced.yaml', goodGroup.replace("'+18005555555'", "'+1 800 555 5556'"));
    const out = path.join(dir, 'export/out.csv');
    for (const [input, named] of [
      [numberEntry, 'spec.dnisPool[1].number'],
      [spaced, 'spec.dnisPool[1].number'],
    ] as const) {
      const result = await run('export', input, '-o', out);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(named);
      expect(result.stderr).toMatch(/nothing was exported/);
      await expect(readFile(out)).rejects.toMatchObject({ code: 'ENOENT' });
    }
  });

  it('says plainly when -o is a folder or in a missing folder, and leaves no temporary file', async () => {
    const group = await file('outpaths/group.yaml', goodGroup);
    const asFolder = await run('export', group, '-o', path.join(dir, 'outpaths'));
    expect([asFolder.code, asFolder.stderr]).toEqual([
      1,
      expect.stringMatching(/^c2c: cannot write .*outpaths: it is a folder; give a file name\n$/),
    ]);
    const missing = await run('export', group, '-o', path.join(dir, 'outpaths/nope/pool.csv'));
    expect([missing.code, missing.stderr]).toEqual([
      1,
      expect.stringMatching(/^c2c: cannot write .*pool\.csv: folder .*nope does not exist\n$/),
    ]);
    const pool = await file('outpaths/pool.csv', '+18005555556,x\n');
    const imported = await run('import', pool, '--group', 'g', '-o', path.join(dir, 'outpaths'));
    expect(imported.code).toBe(1);
    const { readdir } = await import('node:fs/promises');
    expect((await readdir(path.join(dir, 'outpaths'))).sort()).toEqual(['group.yaml', 'pool.csv']);
  });
});

describe('hostile input', () => {
  const bombGroup = () =>
    goodGroup
      .replace('description: Claims', `description: *a8`)
      .replace(
        'apiVersion: clicktocall.dev/v1alpha1\n',
        `apiVersion: clicktocall.dev/v1alpha1\nx-anchors:\n  a0: &a0 lol\n${Array.from(
          { length: 8 },
          (_, i) => `  a${i + 1}: &a${i + 1} [${Array(10).fill(`*a${i}`).join(', ')}]\n`,
        ).join('')}`,
      );

  it('refuses a YAML alias bomb in validate within a second, with a short report that names the line', async () => {
    const bomb = await file('hostile/bomb.yaml', bombGroup());
    expect((await readFile(bomb, 'utf8')).length).toBeLessThan(1_000);
    const started = performance.now();
    const text = await run('validate', bomb);
    const json = await run('validate', '-o', 'json', bomb);
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(
      /bomb\.yaml:line \d+: YAML aliases expand this file beyond 4194304 bytes.*\[YAML_EXPANSION\]/,
    );
    expect(json.code).toBe(1);
    expect(json.stdout.length).toBeLessThan(2_000);
    expect(JSON.parse(json.stdout).errors[0]).toMatchObject({ rule: 'YAML_EXPANSION', file: bomb });
  });

  it('refuses the bomb in import --into and export, writing nothing', async () => {
    const bomb = await file('hostile/bomb-into.yaml', bombGroup());
    const before = await readFile(bomb, 'utf8');
    const csv = await file('hostile/pool.csv', 'number,description\n+18005555556,x\n');
    const imported = await run('import', csv, '--into', bomb);
    expect(imported.code).toBe(1);
    expect(imported.stderr).toMatch(/YAML aliases expand/);
    expect(await readFile(bomb, 'utf8')).toBe(before);
    const exported = await run('export', bomb);
    expect([exported.code, exported.stdout]).toEqual([1, '']);
  });

  it('refuses a file over the size limit and a Latin-1 file, naming the file and line', async () => {
    const big = await file('hostile/big.yaml', `${goodGroup}# ${'x'.repeat(4 * 1024 * 1024)}\n`);
    const tooBig = await run('validate', big);
    expect([tooBig.code, tooBig.stdout]).toEqual([
      1,
      expect.stringMatching(/big\.yaml:: is \d+ bytes, over the 4194304-byte limit.*\[INPUT_TOO_LARGE\]/),
    ]);
    const latin1 = path.join(dir, 'hostile/latin1.csv');
    await writeFile(latin1, Buffer.from('number,description\n+18005555556,Caf\xe9\n', 'latin1'));
    const imported = await run('import', latin1, '--group', 'g');
    expect(imported.code).toBe(1);
    expect(imported.stderr).toMatch(/latin1\.csv:2: is not UTF-8: byte 0xe9/);
    const latinYaml = path.join(dir, 'hostile/latin1.yaml');
    await writeFile(latinYaml, Buffer.from(goodGroup.replace('Claims', 'R\xe9clamations'), 'latin1'));
    const validated = await run('validate', latinYaml);
    expect([validated.code, validated.stdout]).toEqual([
      1,
      expect.stringMatching(/latin1\.yaml:line 7: is not UTF-8.*\[INPUT_NOT_UTF8\]/),
    ]);
  });
});

describe('c2c import', () => {
  const csv = 'number,description\n+18005555554,Claims\n18005555555,Renewals\n';

  it('writes an inline group with the settings given', async () => {
    const pool = await file('small.csv', csv);
    const result = await run(
      'import',
      pool,
      '--group',
      'auto_insurance',
      '--access-code-length',
      '8',
      '--expiry',
      '60',
      '--unique-dnis',
    );
    expect(result.code).toBe(0);
    expect(loadAll(result.stdout)).toEqual([
      {
        apiVersion: 'clicktocall.dev/v1alpha1',
        kind: 'ClickToCallInGroup',
        metadata: { name: 'auto-insurance' },
        spec: {
          groupName: 'auto_insurance',
          accessCode: { generate: true, length: 8 },
          expirySeconds: 60,
          uniqueDnis: true,
          dnisPool: [
            { number: '+18005555554', description: 'Claims' },
            { number: '+18005555555', description: 'Renewals' },
          ],
        },
      },
    ]);
  });

  it('writes a ConfigMap + group pair for a big pool', async () => {
    const lines = Array.from({ length: 5_000 }, (_, i) => `+1800${5_000_000 + i},${'d'.repeat(32)}`);
    const big = await file('big.csv', lines.join('\n'));
    const out = path.join(dir, 'big.yaml');
    const result = await run('import', big, '--group', 'big', '--namespace', 'cc', '-o', out);
    expect(result).toMatchObject({ code: 0, stdout: '' });
    const [configMap, group] = loadAll(await readFile(out, 'utf8')) as Array<
      Record<string, Record<string, unknown>>
    >;
    expect(configMap?.metadata).toEqual({ name: 'big-dnis', namespace: 'cc' });
    expect(String(configMap?.data?.['pool.csv']).split('\n')).toHaveLength(5_002);
    expect(group?.spec).toEqual({
      groupName: 'big',
      dnisPoolFrom: { configMapKeyRef: { name: 'big-dnis', key: 'pool.csv' } },
    });
    expect((await run('validate', out)).code).toBe(0);
  });

  it('prints every CSV error with its line, exits 1 and writes nothing', async () => {
    const pool = await file(
      'broken.csv',
      'number,description\n+18005555554,Claims\n+18005555554,Again\nnope,\n',
    );
    const out = path.join(dir, 'never.yaml');
    const result = await run('import', pool, '--group', 'g', '-o', out);
    expect(result.code).toBe(1);
    expect(result.stderr.split('\n').filter(Boolean)).toEqual([
      `${pool}:3: line 3: number "+18005555554" is already on line 2; each number may appear once [DNIS_DUPLICATE]`,
      `${pool}:4: line 4: number "nope" is not an E.164 phone number: it contains characters other than digits and a leading +; write digits only, without spaces, dashes or brackets (expected an optional + and up to 15 digits, e.g. +18005555555) [DNIS_FORMAT]`,
      `c2c: ${pool} has 2 errors; nothing was written`,
    ]);
    await expect(readFile(out)).rejects.toThrow();
  });

  it('says how many numbers there are when there are more than 10,000', async () => {
    const pool = await file(
      'huge.csv',
      Array.from({ length: 10_005 }, (_, i) => `+1800${5_000_000 + i},`).join('\n'),
    );
    const result = await run('import', pool, '--group', 'g');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('has 10,005 numbers, 5 more than the 10,000 a group can hold');
  });

  it('refuses settings out of range before writing', async () => {
    const result = await run('import', await file('s.csv', csv), '--group', 'g', '--expiry', '5');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'spec.expirySeconds: expirySeconds is 5; it must be from 10 to 1800 seconds',
    );
    expect((await run('import', await file('t.csv', csv), '--group', 'g', '--expiry', 'soon')).code).toBe(2);
  });

  it('replaces the pool of an existing group with --into', async () => {
    const target = await file('into.yaml', goodGroup);
    const pool = await file('new.csv', '+18885550100,Sales\n');
    const result = await run('import', pool, '--into', target);
    expect(result.code).toBe(0);
    const [group] = loadAll(await readFile(target, 'utf8')) as Array<{ spec: Record<string, unknown> }>;
    expect(group?.spec).toEqual({
      groupName: 'auto_insurance',
      dnisPool: [{ number: '+18885550100', description: 'Sales' }],
    });
  });
  it('replaces the CSV in the ConfigMap when the group in the --into file takes its pool from it', async () => {
    const target = path.join(dir, 'pair-into.yaml');
    await writeFile(target, await readFile(path.join(dir, 'big.yaml'), 'utf8'));
    const pool = await file('pair-new.csv', '+18885550100,Sales\n+18885550101,\n');
    const result = await run('import', pool, '--into', target, '--expiry', '90');
    expect(result.code).toBe(0);
    const [configMap, group] = loadAll(await readFile(target, 'utf8')) as Array<
      Record<string, Record<string, unknown>>
    >;
    expect(configMap?.data).toEqual({
      'pool.csv': 'number,description\n+18885550100,Sales\n+18885550101,\n',
    });
    expect(group?.spec).toEqual({
      groupName: 'big',
      expirySeconds: 90,
      dnisPoolFrom: { configMapKeyRef: { name: 'big-dnis', key: 'pool.csv' } },
    });
  });
});

describe('c2c export', () => {
  it('writes the pool back as CSV, normalised, that imports to the same pool', async () => {
    const group = await file('export.yaml', goodGroup.replace("'+18005555555'", "'18005555555'"));
    const result = await run('export', group, '--header');
    expect(result).toMatchObject({
      code: 0,
      stdout: 'number,description\n+18005555554,Claims\n+18005555555,Renewals\n',
    });
  });

  it('round-trips reserved numbers: CSV → import → export gives the same CSV, inline and as a ConfigMap', async () => {
    const csv =
      'number,description,reserved\n+18005555554,VIP,true\n+18005555555,Sales,\n+18005555556,,true\n';
    const source = await file('reserved.csv', csv.replace(',Sales,\n', ',Sales,false\n'));
    for (const layout of ['--inline', '--configmap']) {
      const out = path.join(dir, `reserved${layout}.yaml`);
      expect((await run('import', source, '--group', 'vip', layout, '-o', out)).code).toBe(0);
      if (layout === '--inline') {
        const [group] = loadAll(await readFile(out, 'utf8')) as Array<{ spec: Record<string, unknown> }>;
        expect(group?.spec.dnisPool).toEqual([
          { number: '+18005555554', description: 'VIP', reserved: true },
          { number: '+18005555555', description: 'Sales' },
          { number: '+18005555556', reserved: true },
        ]);
      }
      expect(await run('export', out, '--header')).toMatchObject({ code: 0, stdout: csv });
    }
  });

  it('exports a pool held in a ConfigMap in the same file', async () => {
    const result = await run('export', path.join(dir, 'big.yaml'));
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n').filter(Boolean)).toHaveLength(5_000);
  });
});

describe('the c2c executable', () => {
  it('runs from package.json bin with a shebang and exits with the validation result', async () => {
    const exec = promisify(execFile);
    const cli = path.resolve('api/src/cli/main.ts');
    expect((await readFile(cli, 'utf8')).startsWith('#!/usr/bin/env node\n')).toBe(true);
    const failed = await exec(process.execPath, [cli, 'validate', path.join(dir, 'bad')]).catch(
      (err: { code: number; stdout: string }) => err,
    );
    expect((failed as { code: number }).code).toBe(1);
    expect((failed as { stdout: string }).stdout).toContain('[EXPIRY_RANGE]');
  });
});
