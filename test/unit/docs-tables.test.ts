import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AllocatorCode } from '#allocator/errors';
import { Reason } from '#operator/controller/conditions';
import { GroupConfigCode } from '#api/group-config';
import { Rule } from '#api/issues';

const root = path.resolve(import.meta.dirname, '../..');
const doc = (file: string) => readFileSync(path.join(root, file), 'utf8');
const headings = (text: string, level: string) =>
  new Set([...text.matchAll(new RegExp(`^${level} ([A-Z_0-9]+)\\s*$`, 'gm'))].map((m) => m[1]));

/** The docs that list codes must list exactly the codes the code has. */
describe('the documented codes', () => {
  it("docs/errors.md's validation rules section has a heading for every rule and no other", () => {
    const text = doc('docs/errors.md');
    const start = text.indexOf('## Group validation rules');
    const section = text.slice(start, text.indexOf('\n## ', start + 1));
    const codes = new Set([...Object.values(Rule), ...Object.values(GroupConfigCode)]);
    expect([...headings(section, '###')].sort()).toEqual([...codes].sort());
  });

  it('docs/allocator-errors.md has a heading for every allocator error code and no other', () => {
    const documented = headings(doc('docs/allocator-errors.md'), '##');
    expect([...documented].sort()).toEqual([...new Set(Object.values(AllocatorCode))].sort());
  });

  it("docs/operator.md's reasons and Events tables list every reason and no other", () => {
    const text = doc('docs/operator.md');
    const tables = text.slice(text.indexOf('### Reasons'), text.indexOf('## The validating webhook'));
    const documented = new Set(
      [...tables.matchAll(/^\|(?: [A-Za-z]+ \|)? `([A-Za-z]+)` \|/gm)].map((m) => m[1]),
    );
    expect([...documented].sort()).toEqual(Object.values(Reason).sort());
  });
});
