import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeClient, loadKubeConfig, namespaceRef } from '#lib/kube';
import { ControlPlane } from '../../harness/control-plane.ts';
import { harness } from '../../harness/context.ts';
import { OperatorProcess, installCrd } from '../operator/operator-process.ts';
import { groupManifest, groupsRef, numbers, waitConverged, type Group } from './operator-fixtures.ts';

// A control plane of this file's own: restarting the shared API server would disturb other files.
const ns = 'restart';
let dir: string;
let controlPlane: ControlPlane;
let kube: KubeClient;
let op: OperatorProcess | undefined;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'c2c-restart-'));
  controlPlane = new ControlPlane(
    path.join(dir, 'control-plane'),
    path.join(harness().workDir, 'logs', 'apiserver-restart'),
    { controllerManager: false },
  );
  const info = await controlPlane.start();
  kube = new KubeClient(loadKubeConfig(info.kubeconfigPath));
  await installCrd(info.kubeconfigPath);
  await kube.create(namespaceRef(), { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
});

afterAll(async () => {
  await op?.stop();
  kube?.close();
  await controlPlane?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const converged = (what: string) => waitConverged(kube, ns, what, 90_000, 250);

describe('the operator across an API server restart', () => {
  it('keeps its watches and its Lease and reconciles changes made after the restart', async () => {
    op = await OperatorProcess.start(
      'operator-restart',
      [
        `--namespace=${ns}`,
        `--lease-namespace=${ns}`,
        '--leader-elect',
        // An outage shorter than the renew deadline must not cost the leadership.
        '--lease-duration-seconds=60',
        '--renew-deadline-seconds=45',
        '--retry-period-seconds=1',
        '--no-webhook',
      ],
      { kubeconfigPath: controlPlane.info.kubeconfigPath },
    );
    await op.waitReady();
    await kube.create(groupsRef(ns), groupManifest(ns, 'before', numbers(0, 20)));
    await converged('the first group to be published');
    const connectsBefore = await op.metric('c2c_operator_informer_events_total', { type: 'connect' });

    const restartStarted = Date.now();
    await controlPlane.restartApiServer(2_000);
    const restartMs = Date.now() - restartStarted;

    // Changes made after the restart: an update of the existing group and a new group.
    const changedAt = Date.now();
    const before = await kube.get<Group>(groupsRef(ns, 'before'));
    before.spec.dnisPool = numbers(100, 30);
    await kube.replace(groupsRef(ns, 'before'), before);
    await kube.create(groupsRef(ns), groupManifest(ns, 'after', numbers(200, 5)));
    await converged('both groups to converge after the restart');
    const reconciledMs = Date.now() - changedAt;

    expect(op.exited).toBe(false);
    expect(await op.metric('c2c_operator_leader')).toBe(1);
    // Each of the three informers reconnected to the new API server.
    const connectsAfter = await op.metric('c2c_operator_informer_events_total', { type: 'connect' });
    expect(connectsAfter - connectsBefore).toBeGreaterThanOrEqual(3);
    const errors = await op.metric('c2c_operator_informer_events_total', { type: 'error' });
    const reconnects = await op.metric('c2c_operator_informer_events_total', { type: 'reconnect' });
    console.log(
      `[figure] API server restart: down and back in ${restartMs} ms (2 s kept down); changes made after it ` +
        `converged in ${reconciledMs} ms; informer events during the outage: ${reconnects} reconnect, ` +
        `${errors} error, ${connectsAfter - connectsBefore} connect`,
    );
  });
});
