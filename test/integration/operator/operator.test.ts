import { describe, expect, it, onTestFinished } from 'vitest';
import { GROUP_API, GroupConfigMap, decodeGroupConfig } from '#api';
import { configMapRef, isNotFound, leaseRef, namespaceRef, resourceRef, type KubeObject } from '#lib/kube';
import { eventually, kubectl, uniqueName } from '../../harness/context.ts';
import { leaderElectingArgs, useOperators, type OperatorProcess } from './operator-process.ts';

const operators = useOperators();

interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
  observedGeneration?: number;
}
interface Group extends KubeObject {
  spec: Record<string, unknown>;
  status?: {
    observedGeneration?: number;
    poolSize?: number;
    configMapName?: string;
    conditions?: Condition[];
  };
}
interface ConfigMap extends KubeObject {
  data?: Record<string, string>;
}

const ready = (g: Group) => g.status?.conditions?.find((c) => c.type === 'Ready');

const salesSpec = {
  groupName: 'sales_line',
  dnisPool: [{ number: '+18005555554', description: 'Claims' }, { number: '18005555555' }],
  accessCode: { generate: true, length: 8 },
  expirySeconds: 60,
};
const bulkPool = (csv: string) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'bulk-pool' },
  data: { 'pool.csv': csv },
});
const badBulkCsv = 'number,description\n+18005550100,Front desk\n+18005550101\n';
const goodBulkCsv = 'number,description\n+18005550100,Front desk\n+18005550101,\n';
const bulkSpec = { dnisPoolFrom: { configMapKeyRef: { name: 'bulk-pool', key: 'pool.csv' } } };
const salesCopySpec = { groupName: 'sales_line', dnisPool: [{ number: '+18005550199' }] };

/**
 * One test's world: a namespace of its own, and the operators the test starts there (each electing
 * its leader in that namespace); both go when the test ends, so no test depends on another.
 */
async function scene(prefix: string) {
  const ns = uniqueName(prefix);
  const kube = operators.kube;
  await kube.create(namespaceRef(), { metadata: { name: ns } });
  const started: OperatorProcess[] = [];
  onTestFinished(async () => {
    await Promise.all(started.map((op) => op.stop()));
    await kube.delete(namespaceRef(ns)).catch(() => undefined);
  });

  const readGroup = (name: string) => kube.get<Group>(resourceRef(GROUP_API, ns, name));
  return {
    ns,
    groupsRef: () => resourceRef(GROUP_API, ns),
    cmRef: () => configMapRef(ns),
    async startOperator(name: string): Promise<OperatorProcess> {
      const op = await operators.start(name, leaderElectingArgs(ns));
      started.push(op);
      return op;
    },
    async apply(obj: object): Promise<void> {
      const result = await kubectl(['apply', '-n', ns, '-f', '-'], { input: JSON.stringify(obj) });
      expect(result.code, result.stderr).toBe(0);
    },
    group(name: string, spec: Record<string, unknown>) {
      return {
        apiVersion: 'clicktocall.dev/v1alpha1',
        kind: 'ClickToCallInGroup',
        metadata: { name, namespace: ns },
        spec,
      };
    },
    readGroup,
    /** Waits until the group's status describes its current generation and Ready has `status`. */
    waitForReady(name: string, status: 'True' | 'False'): Promise<Group> {
      return eventually(`${name} Ready=${status}`, async () => {
        const g = await readGroup(name);
        const c = ready(g);
        return g.status?.observedGeneration === g.metadata?.generation && c?.status === status
          ? g
          : undefined;
      });
    },
    readConfigMap(name: string): Promise<ConfigMap | undefined> {
      return kube.get<ConfigMap>(configMapRef(ns, name)).catch((err: unknown) => {
        if (isNotFound(err)) return undefined;
        throw err;
      });
    },
  };
}
type Scene = Awaited<ReturnType<typeof scene>>;

/** `sales` published, then `sales-copy` with the same groupName refused. */
async function salesAndItsCopy(s: Scene): Promise<void> {
  await s.apply(s.group('sales', salesSpec));
  await s.waitForReady('sales', 'True');
  await s.apply(s.group('sales-copy', salesCopySpec));
  await s.waitForReady('sales-copy', 'False');
}

describe('the operator', () => {
  it('publishes a new group as a ConfigMap and reports Ready with observedGeneration', async () => {
    const s = await scene('op-publish');
    await s.startOperator('op-publish');
    await s.apply(s.group('sales', salesSpec));
    const g = await s.waitForReady('sales', 'True');
    expect(g.status).toMatchObject({ poolSize: 2, configMapName: 'sales-click-to-call-in' });
    expect(ready(g)).toMatchObject({ reason: 'Reconciled', observedGeneration: g.metadata?.generation });

    const cm = await s.readConfigMap('sales-click-to-call-in');
    expect(cm?.metadata?.labels?.[GroupConfigMap.roleLabel]).toBe(GroupConfigMap.roleValue);
    expect(cm?.metadata?.annotations?.[GroupConfigMap.groupNameAnnotation]).toBe('sales_line');
    expect(cm?.metadata?.annotations?.[GroupConfigMap.contentHashAnnotation]).toMatch(
      /^sha256:[0-9a-f]{64}$/,
    );
    expect(cm?.metadata?.ownerReferences).toEqual([
      expect.objectContaining({
        kind: 'ClickToCallInGroup',
        name: 'sales',
        uid: g.metadata?.uid,
        controller: true,
      }),
    ]);
    expect(decodeGroupConfig(cm?.data ?? {})).toEqual({
      groupName: 'sales_line',
      accessCode: { generate: true, length: 8 },
      expirySeconds: 60,
      uniqueDnis: false,
      coolDownSeconds: 0,
      selection: { strategy: 'random', stickySeconds: 0 },
      dnisPool: [{ number: '+18005555554', description: 'Claims' }, { number: '+18005555555' }],
    });
  });

  it('follows an update of pool and settings and advances observedGeneration', async () => {
    const s = await scene('op-update');
    await s.startOperator('op-update');
    await s.apply(s.group('sales', salesSpec));
    const before = await s.waitForReady('sales', 'True');
    await s.apply(
      s.group('sales', {
        groupName: 'sales_line',
        dnisPool: [
          { number: '+18005555554', description: 'Claims' },
          { number: '+442079460000' },
          { number: '+18005555556' },
        ],
        accessCode: { generate: false },
        expirySeconds: 120,
        uniqueDnis: true,
        coolDownSeconds: 20,
        selection: { strategy: 'roundRobin', stickySeconds: 300 },
      }),
    );
    const g = await eventually('the new generation to be observed', async () => {
      const now = await s.readGroup('sales');
      return (now.metadata?.generation ?? 0) > (before.metadata?.generation ?? 0) &&
        now.status?.observedGeneration === now.metadata?.generation &&
        ready(now)?.status === 'True'
        ? now
        : undefined;
    });
    expect(g.status?.poolSize).toBe(3);
    const cm = await s.readConfigMap('sales-click-to-call-in');
    const decoded = decodeGroupConfig(cm?.data ?? {});
    expect(decoded).toMatchObject({
      accessCode: { generate: false, length: 6 },
      expirySeconds: 120,
      uniqueDnis: true,
      coolDownSeconds: 20,
      selection: { strategy: 'roundRobin', stickySeconds: 300 },
    });
    expect(decoded.dnisPool.map((e) => e.number)).toEqual(['+18005555554', '+442079460000', '+18005555556']);
  });

  it('reports a bad line of a CSV pool source, then recovers when the ConfigMap is fixed', async () => {
    const s = await scene('op-csv');
    await s.startOperator('op-csv');
    await s.apply(bulkPool(badBulkCsv));
    await s.apply(s.group('bulk', bulkSpec));
    const failed = await s.waitForReady('bulk', 'False');
    expect(ready(failed)?.reason).toBe('InvalidDnisPool');
    expect(ready(failed)?.message).toContain('line 3');
    expect(await s.readConfigMap('bulk-click-to-call-in')).toBeUndefined();

    await s.apply(bulkPool(goodBulkCsv));
    const fixed = await s.waitForReady('bulk', 'True');
    expect(fixed.status?.poolSize).toBe(2);
    const cm = await eventually('the bulk ConfigMap', () => s.readConfigMap('bulk-click-to-call-in'));
    expect(decodeGroupConfig(cm.data ?? {}).dnisPool).toEqual([
      { number: '+18005550100', description: 'Front desk' },
      { number: '+18005550101' },
    ]);
  });

  it('refuses to publish a second group with the same groupName', async () => {
    const s = await scene('op-duplicate');
    await s.startOperator('op-duplicate');
    await s.apply(s.group('sales', salesSpec));
    await s.waitForReady('sales', 'True');
    await s.apply(s.group('sales-copy', salesCopySpec));
    const dup = await s.waitForReady('sales-copy', 'False');
    expect(ready(dup)?.reason).toBe('DuplicateGroupName');
    expect(ready(dup)?.message).toContain(`${s.ns}/sales`);
    expect(await s.readConfigMap('sales-copy-click-to-call-in')).toBeUndefined();
    const events = await kubectl([
      'get',
      'events',
      '-n',
      s.ns,
      '--field-selector',
      'involvedObject.name=sales-copy',
      '-o',
      'json',
    ]);
    expect(JSON.parse(events.stdout).items.map((e: { reason: string }) => e.reason)).toContain(
      'DuplicateGroupName',
    );
  });

  it('writes nothing to unchanged objects after a restart', async () => {
    const s = await scene('op-restart');
    const first = await s.startOperator('op-restart-a');
    // Three groups in their settled states: published, published from a CSV, refused as a duplicate.
    await s.apply(bulkPool(goodBulkCsv));
    await s.apply(s.group('bulk', bulkSpec));
    await salesAndItsCopy(s);
    await s.waitForReady('bulk', 'True');
    const versions = async () => {
      const groups = await operators.kube.list({ ...s.groupsRef() });
      const cms = await operators.kube.list(
        { ...s.cmRef() },
        { labelSelector: `${GroupConfigMap.roleLabel}=${GroupConfigMap.roleValue}` },
      );
      return Object.fromEntries(
        [...groups.items, ...cms.items].map((o) => [
          `${o.kind ?? ''}/${o.metadata?.name}`,
          o.metadata?.resourceVersion,
        ]),
      );
    };
    const before = await versions();
    // SIGTERM: a graceful shutdown that exits 0.
    expect(await first.stop()).toBe(0);
    const op = await s.startOperator('op-restart-b');
    // Every group has been reconciled once by the new process and the queue is empty.
    await eventually('the restarted operator to reconcile every group', async () => {
      const reconciled = await op.metric('c2c_operator_reconciles_total');
      return reconciled >= 3 && (await op.metric('c2c_operator_queue_depth')) === 0;
    });
    expect(await op.metric('c2c_operator_config_map_writes_total')).toBe(0);
    expect(await versions()).toEqual(before);
  });

  it('leaves the ConfigMap to garbage collection when the group is deleted', async () => {
    const s = await scene('op-delete');
    await s.startOperator('op-delete');
    await salesAndItsCopy(s);
    const del = await kubectl(['delete', 'clicktocallingroup', 'sales', '-n', s.ns, '--wait=true']);
    expect(del.code, del.stderr).toBe(0);
    await eventually(
      'the ConfigMap to be garbage-collected',
      async () => (await s.readConfigMap('sales-click-to-call-in')) === undefined,
      60_000,
      250,
    );
    // The duplicate may now take the name.
    const promoted = await s.waitForReady('sales-copy', 'True');
    expect(promoted.status?.configMapName).toBe('sales-copy-click-to-call-in');
  });

  it('counts the groups whose observedGeneration is behind while no replica leads, until one reconciles them', async () => {
    const s = await scene('op-behind');
    // A Lease another operator holds: this one caches the groups but does not reconcile them.
    const lease = 'click-to-call-in-operator';
    await operators.kube.create(leaseRef(s.ns), {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: lease, namespace: s.ns },
      spec: { holderIdentity: 'another-operator', leaseDurationSeconds: 3600 },
    });
    const op = await s.startOperator('op-behind');
    await s.apply(s.group('sales', salesSpec));
    await s.apply(s.group('renewals', { dnisPool: [{ number: '+18005550143' }] }));
    await eventually(
      'both groups counted behind',
      async () => (await op.metric('c2c_operator_groups_not_observed')) === 2,
    );
    expect(await op.metric('c2c_operator_leader')).toBe(0);
    // The other operator gone, this one leads and reconciles both.
    await operators.kube.delete(leaseRef(s.ns, lease));
    await s.waitForReady('sales', 'True');
    await s.waitForReady('renewals', 'True');
    await eventually(
      'no group counted behind',
      async () => (await op.metric('c2c_operator_groups_not_observed')) === 0,
    );
  });

  it('elects exactly one leader among two replicas and hands over when the leader is killed', async () => {
    const s = await scene('op-election');
    const op = await s.startOperator('op-election-a');
    await eventually('the first replica to lead', async () => (await op.metric('c2c_operator_leader')) === 1);
    const second = await s.startOperator('op-election-b');
    const leaders = async () => [
      await op.metric('c2c_operator_leader'),
      await second.metric('c2c_operator_leader'),
    ];
    await eventually('exactly one leader', async () => {
      const [a, b] = await leaders();
      return a! + b! === 1;
    });
    expect(await leaders()).toEqual([1, 0]);
    await op.kill();
    await eventually(
      'the second replica to lead',
      async () => (await second.metric('c2c_operator_leader')) === 1,
    );
    await s.apply(s.group('after-handover', { dnisPool: [{ number: '+18005550142' }] }));
    const g = await s.waitForReady('after-handover', 'True');
    expect(g.status?.configMapName).toBe('after-handover-click-to-call-in');
  });
});
