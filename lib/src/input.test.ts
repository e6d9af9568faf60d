import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  decodeUtf8,
  firstInvalidUtf8,
  InputCode,
  loadYamlDocuments,
  loadYamlWithLines,
  MAX_INPUT_BYTES,
  readInputFile,
} from './input.ts';

/** Ten aliases per level, `levels` deep, used as one description: 10^levels copies of "lol". */
export function yamlBomb(levels: number): string {
  const lines = ['a0: &a0 lol'];
  for (let i = 1; i <= levels; i++)
    lines.push(`a${i}: &a${i} [${Array.from({ length: 10 }, () => `*a${i - 1}`).join(', ')}]`);
  return `${lines.join('\n')}\nspec:\n  dnisPool:\n    - { number: '+18005555555', description: *a${levels} }\n`;
}

describe('loadYamlDocuments', () => {
  it('loads anchors and aliases that repeat a value', () => {
    const docs = loadYamlDocuments('base: &b { expirySeconds: 30 }\ngroup: *b\n---\nx: [1, 2]\n', 'f.yaml');
    expect(docs).toEqual([{ base: { expirySeconds: 30 }, group: { expirySeconds: 30 } }, { x: [1, 2] }]);
  });

  it('refuses an alias bomb within a second, naming the file and the line, before building values', () => {
    const bomb = yamlBomb(8);
    expect(bomb.length).toBeLessThan(1_000);
    const started = performance.now();
    let error: unknown;
    try {
      loadYamlDocuments(bomb, 'bomb.yaml');
    } catch (err) {
      error = err;
    }
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(error).toMatchObject({ code: InputCode.YamlExpansion, file: 'bomb.yaml' });
    expect((error as Error).message).toMatch(/^bomb\.yaml:\d+: YAML aliases expand this file beyond/);
  });

  it('counts nested anchors (an alias of an alias of a large string)', () => {
    const big = 'x'.repeat(100_000);
    const text = `a: &a ${big}\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: [*b, *b, *b, *b, *b]\n`;
    expect(() => loadYamlDocuments(text, 'f.yaml', 4_000_000)).toThrow(/^f\.yaml:3: YAML aliases/);
    expect(() => loadYamlDocuments(text, 'f.yaml', 7_000_000)).not.toThrow();
  });

  it('refuses more aliases than the per-document limit', () => {
    const text = `a: &a 1\nb: [${Array.from({ length: 1_001 }, () => '*a').join(', ')}]\n`;
    expect(() => loadYamlDocuments(text, 'f.yaml')).toThrow(/more than 1000 YAML aliases/);
  });

  it('names the line of a syntax error', () => {
    expect(() => loadYamlDocuments('a: 1\nb: [\n', 'f.yaml')).toThrow(/^f\.yaml:\d+: not valid YAML/);
  });
});

describe('decodeUtf8', () => {
  it('refuses Latin-1, naming the line of the first bad byte', () => {
    const latin1 = Buffer.from('number,description\n+18005555555,Caf\xe9\n', 'latin1');
    expect(firstInvalidUtf8(latin1)).toBe(latin1.indexOf(0xe9));
    expect(() => decodeUtf8(latin1, 'pool.csv')).toThrow(/^pool\.csv:2: is not UTF-8: byte 0xe9/);
  });
  it('accepts UTF-8 and drops a byte-order mark', () => {
    expect(decodeUtf8(Buffer.from('\ufeffCafé ✓', 'utf8'), 'f')).toBe('Café ✓');
  });
  it('refuses overlong and surrogate encodings', () => {
    expect(() => decodeUtf8(Buffer.from([0x61, 0xc0, 0xaf]), 'f')).toThrow(/byte 0xc0/);
    expect(() => decodeUtf8(Buffer.from([0x0a, 0xed, 0xa0, 0x80]), 'f')).toThrow(/^f:2:/);
  });
});

describe('readInputFile', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'c2c-input-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('refuses a file over the limit without reading it', async () => {
    const file = path.join(dir, 'big.yaml');
    await writeFile(file, Buffer.alloc(MAX_INPUT_BYTES + 1, 0x61));
    await expect(readInputFile(file)).rejects.toMatchObject({ code: InputCode.TooLarge });
    await expect(readInputFile(file)).rejects.toThrow(
      /big\.yaml: is 4194305 bytes, over the 4194304-byte limit/,
    );
  });
  it('reads a file at the limit, and says what is wrong with a missing one', async () => {
    const file = path.join(dir, 'ok.yaml');
    await writeFile(file, 'a: 1\n');
    expect(await readInputFile(file)).toBe('a: 1\n');
    await expect(readInputFile(path.join(dir, 'nope.yaml'))).rejects.toThrow(
      /nope\.yaml: cannot be read \(ENOENT\)/,
    );
  });
});

describe('loadYamlWithLines', () => {
  it('gives the line of every value by its path, per document', () => {
    const text = `apiVersion: v1
kind: ClickToCallInGroup
spec:
  dnisPool:
    - { number: '+18005555554', description: Claims }
    - number: 18005555555
      description: Renewals
  expirySeconds: 1801
---
spec: { groupName: "x" }
`;
    const { documents, lines } = loadYamlWithLines(text, 'f.yaml');
    expect(documents).toHaveLength(2);
    expect(lines[0]?.get('spec.dnisPool[0].number')).toBe(5);
    expect(lines[0]?.get('spec.dnisPool[1].number')).toBe(6);
    expect(lines[0]?.get('spec.dnisPool[1].description')).toBe(7);
    expect(lines[0]?.get('spec.expirySeconds')).toBe(8);
    expect(lines[0]?.get('spec.dnisPool')).toBe(5);
    expect(lines[1]?.get('spec.groupName')).toBe(10);
  });
});
