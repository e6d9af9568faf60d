import { describe, expect, it } from 'vitest';
import { eventually, useNamespace } from '../../harness/context.ts';
import { leaderElectingArgs, useOperators } from '../operator/operator-process.ts';
import {
  configMapsRef,
  groupManifest,
  groupsRef,
  numbers,
  readConfigMap,
  waitConverged,
  type Group,
} from './operator-fixtures.ts';

const ns = useNamespace('op-kill');
const operators = useOperators();

const GROUPS = 40;
const POOL = 250;

function args(): string[] {
  return [...leaderElectingArgs(ns.name), '--max-concurrent-reconciles=2'];
}

describe('the operator, SIGKILLed mid-reconcile', () => {
  it('converges after a restart with one whole ConfigMap per group and none for deleted groups', async () => {
    const first = await operators.start('operator-kill-a', args());
    const kube = operators.kube;

    // 40 groups of 250 numbers at once: the queue is busy for a while.
    await Promise.all(
      Array.from({ length: GROUPS }, (_, i) =>
        kube.create(groupsRef(ns.name), groupManifest(ns.name, `g${i}`, numbers(i * POOL, POOL))),
      ),
    );
    const writesBeforeKill = await eventually(
      'the first ConfigMap writes',
      async () => {
        const writes = await first.metric('c2c_operator_config_map_writes_total');
        return writes >= 3 ? writes : undefined;
      },
      60_000,
      20,
    );
    const depthAtKill = await first.metric('c2c_operator_queue_depth');
    await first.kill();
    const publishedAtKill = (
      await kube.list(configMapsRef(ns.name), { labelSelector: 'clicktocall.dev/role=group-config' })
    ).items.length;
    // The kill must have landed with work left, or this test proves nothing.
    expect(publishedAtKill).toBeLessThan(GROUPS);

    // While no operator runs: change five pools and delete three groups.
    for (let i = 0; i < 5; i++) {
      const g = await kube.get<Group>(groupsRef(ns.name, `g${i}`));
      g.spec.dnisPool = numbers(9_000 + i * 10, 10);
      await kube.replace(groupsRef(ns.name, `g${i}`), g);
    }
    for (const i of [37, 38, 39]) await kube.delete(groupsRef(ns.name, `g${i}`));

    const restartedAt = Date.now();
    const second = await operators.start('operator-kill-b', args());
    const problems = await waitConverged(kube, ns.name, 'every group to converge', 120_000, 250);
    const convergedMs = Date.now() - restartedAt;
    expect(problems).toEqual([]);
    for (const i of [37, 38, 39])
      expect(await readConfigMap(kube, ns.name, `g${i}-click-to-call-in`)).toBeUndefined();
    const groups = await kube.list<Group>(groupsRef(ns.name));
    expect(groups.items).toHaveLength(GROUPS - 3);
    console.log(
      `[figure] operator SIGKILL: ${writesBeforeKill} ConfigMap writes and ${publishedAtKill}/${GROUPS} published at the kill ` +
        `(queue depth ${depthAtKill}); after restart, ${GROUPS - 3} groups converged in ${convergedMs} ms ` +
        `(including the 3 s lease expiry); the second process wrote ` +
        `${await second.metric('c2c_operator_config_map_writes_total')} ConfigMaps, ` +
        `reconcile errors ${await second.metric('c2c_operator_reconciles_total', { result: 'error' })}`,
    );
  });
});
