import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeClient, loadKubeConfig } from '#lib/kube';
import { harness, useNamespace } from '../../harness/context.ts';
import { TcpProxy } from '../../harness/tcp-proxy.ts';
import { OperatorProcess, installCrd } from '../operator/operator-process.ts';
import { groupManifest, groupsRef, numbers, waitConverged } from './operator-fixtures.ts';

const ns = useNamespace('op-silent');
const WATCHDOG_SECONDS = 4;
let dir: string;
let proxy: TcpProxy;
let kube: KubeClient;
let op: OperatorProcess | undefined;

beforeAll(async () => {
  kube = new KubeClient(loadKubeConfig(harness().kubeconfigPath));
  await installCrd();
  // The operator reaches the API server through a proxy that can freeze its connections.
  proxy = new TcpProxy(Number(new URL(harness().apiServer).port));
  await proxy.start();
  dir = await mkdtemp(path.join(tmpdir(), 'c2c-silent-'));
  const kubeconfig = (await readFile(harness().kubeconfigPath, 'utf8')).replace(
    harness().apiServer,
    `https://127.0.0.1:${proxy.port}`,
  );
  await writeFile(path.join(dir, 'kubeconfig'), kubeconfig, { mode: 0o600 });
});

afterAll(async () => {
  await op?.stop();
  await proxy?.stop();
  kube?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const converged = (what: string) => waitConverged(kube, ns.name, what, 60_000, 200);

describe('a watch that goes silent', () => {
  it('is restarted by the watchdog, and a change made while it was silent is reconciled', async () => {
    op = await OperatorProcess.start(
      'operator-silent',
      [
        `--namespace=${ns.name}`,
        '--no-leader-elect',
        '--no-webhook',
        `--watchdog-seconds=${WATCHDOG_SECONDS}`,
        // No periodic relist to paper over a dead watch.
        '--resync-period-seconds=3600',
      ],
      { kubeconfigPath: path.join(dir, 'kubeconfig') },
    );
    await op.waitReady();
    await kube.create(groupsRef(ns.name), groupManifest(ns.name, 'first', numbers(0, 3)));
    await converged('the first group to be published');

    const watchdogBefore = await op.metric('c2c_operator_informer_events_total', { type: 'watchdog' });
    // Every connection open now, the three watches among them, stays open but goes silent for good.
    const frozen = proxy.freeze();
    expect(frozen).toBeGreaterThanOrEqual(3);
    const changedAt = Date.now();
    await kube.create(groupsRef(ns.name), groupManifest(ns.name, 'second', numbers(10, 3)));
    await converged('the group created while the watches were silent');
    const reconciledMs = Date.now() - changedAt;

    const watchdogAfter = await op.metric('c2c_operator_informer_events_total', { type: 'watchdog' });
    expect(watchdogAfter).toBeGreaterThan(watchdogBefore);
    expect(await op.logTail(400)).toContain('watch restarted');
    console.log(
      `[figure] silent watch (--watchdog-seconds=${WATCHDOG_SECONDS}): ${frozen} connections frozen; a group created ` +
        `then was published after ${reconciledMs} ms; watchdog restarts ${watchdogBefore} → ${watchdogAfter}; ` +
        `${proxy.frozenConnections} frozen connections still open`,
    );
  });
});
