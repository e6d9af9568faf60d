import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SETTINGS as ALLOCATOR_SETTINGS } from '#allocator/config';
import { SETTINGS as OPERATOR_SETTINGS } from '#operator/config';
import type { SettingDefinitions } from '#lib';

const root = path.resolve(import.meta.dirname, '../..');

/** The flags and variables of the settings table that follows `header` in a doc. */
function documented(file: string, header: string): { flags: string[]; variables: string[] } {
  const text = readFileSync(path.join(root, file), 'utf8');
  const start = text.indexOf(header);
  const rows = text.slice(start, text.indexOf('\n\n', start)).split('\n').slice(2);
  const cells = rows.map((row) => row.split(' | '));
  const flags = cells.flatMap((c) => [...(c[0] ?? '').matchAll(/`--([a-z-]+)`/g)].map((m) => m[1] ?? ''));
  const variables = cells.flatMap((c) =>
    [...(c[1] ?? '').matchAll(/`([A-Z_0-9]+)`/g)].map((m) => m[1] ?? ''),
  );
  return { flags: flags.filter((f) => !(f.startsWith('no-') && flags.includes(f.slice(3)))), variables };
}

function declared(settings: SettingDefinitions): { flags: string[]; variables: string[] } {
  const all = Object.values(settings);
  return { flags: all.map((s) => s.flag), variables: all.flatMap((s) => (s.env ? [s.env] : [])) };
}

const sorted = (list: string[]) => [...list].sort();

describe('the documented settings', () => {
  it.each([
    {
      file: 'docs/allocator.md',
      header: '| flag | variable | default | meaning |',
      settings: ALLOCATOR_SETTINGS,
    },
    {
      file: 'docs/operator.md',
      header: '| flag | environment | default | meaning |',
      settings: OPERATOR_SETTINGS,
    },
  ])('$file has a row for every flag and variable and no other', ({ file, header, settings }) => {
    const docs = documented(file, header);
    const code = declared(settings);
    expect(sorted(docs.flags)).toEqual(sorted(code.flags));
    expect(sorted(docs.variables)).toEqual(sorted(code.variables));
  });
});
