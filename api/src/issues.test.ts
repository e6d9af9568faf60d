import { describe, expect, it } from 'vitest';
import { describeIssues } from './issues.ts';

describe('describeIssues', () => {
  it('names each path once and counts what it leaves out', () => {
    const issues = [
      { path: 'spec.expirySeconds', message: 'must be at most 1800' },
      { path: 'pool.csv:3', message: 'line 3 (pool.csv:3) has no comma' },
      { path: 'spec.x', message: 'third' },
    ];
    expect(describeIssues(issues, 2)).toBe(
      'spec.expirySeconds: must be at most 1800; line 3 (pool.csv:3) has no comma; … and 1 more',
    );
  });
});
