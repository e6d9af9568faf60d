import { describe, expect, it } from 'vitest';
import type { GroupObject } from '#api';
import { createMetrics } from './metrics.ts';

const group = (name: string, generation: number, status?: GroupObject['status']): GroupObject => ({
  metadata: { name, namespace: 'contact-centre', generation },
  ...(status ? { status } : {}),
});

const ready = (observedGeneration: number, status: 'True' | 'False' | 'Unknown', reason: string) => ({
  observedGeneration,
  conditions: [{ type: 'Ready', status, reason, message: '', lastTransitionTime: '2030-01-01T00:00:00Z' }],
});

describe('the group gauges', () => {
  it('count groups by Ready, and those whose observedGeneration is behind or missing, at every scrape', async () => {
    let groups: GroupObject[] = [
      group('current', 3, ready(3, 'True', 'Reconciled')),
      group('edited', 4, ready(3, 'True', 'Reconciled')),
      group('refused', 2, ready(2, 'False', 'InvalidDnisPool')),
      group('new', 1),
    ];
    const metrics = createMetrics(() => groups);
    const scrape = () => metrics.registry.metrics();

    const text = await scrape();
    expect(text).toContain('c2c_operator_groups_not_observed 2');
    expect(text).toContain('c2c_operator_groups{ready="True",reason="Reconciled"} 2');
    expect(text).toContain('c2c_operator_groups{ready="False",reason="InvalidDnisPool"} 1');
    expect(text).toContain('c2c_operator_groups{ready="Unknown",reason="Pending"} 1');

    groups = [
      group('current', 3, ready(3, 'True', 'Reconciled')),
      group('edited', 4, ready(4, 'True', 'Reconciled')),
    ];
    expect(await scrape()).toContain('c2c_operator_groups_not_observed 0');
  });
});
