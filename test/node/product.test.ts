/**
 * The product as users deploy it, on the test node: the chart installed with its defaults (only the
 * images changed) in a namespace that enforces the `restricted` Pod Security Standard, NATS as a
 * 3-replica JetStream StatefulSet, groups through the webhook and the operator to the allocator,
 * requests through the allocator's Service, an upgrade and pod losses under load, and an uninstall that
 * keeps the groups for the next install. The steps depend on each other and run in order.
 */
import { createHash, randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildProductImages } from './images/product-images.ts';
import { INFRA_IMAGES } from './infra-images.ts';
import { crashPodProcess, helm, kubectl, must, relayTo, testNode } from './context.ts';
import { call, SteadyLoad, type LoadTarget } from './load.ts';
import type { Relay } from './relay.ts';
import { freePort } from '../harness/ports.ts';

const execFileAsync = promisify(execFile);
const projectDir = path.resolve(import.meta.dirname, '..', '..');
const chartDir = path.join(projectDir, 'charts', 'click-to-call-in');
const namespace = 'contact-centre';
const release = 'c2c';
const fullname = `${release}-click-to-call-in`;
const apiKey = randomBytes(24).toString('hex');
const figures: Record<string, string | number> = {};

const imageValues = (tag: string) => ({
  operator: { image: { repository: 'click-to-call-in/operator', tag, pullPolicy: 'Never' } },
  allocator: { image: { repository: 'click-to-call-in/allocator', tag, pullPolicy: 'Never' } },
});

function group(name: string, spec: Record<string, unknown>): string {
  return JSON.stringify({
    apiVersion: 'clicktocall.dev/v1alpha1',
    kind: 'ClickToCallInGroup',
    metadata: { name, namespace },
    spec,
  });
}

const pool = (count: number) =>
  Array.from({ length: count }, (_, i) => ({ number: `+1800555${String(1000 + i).padStart(4, '0')}` }));

async function importImage(tar: string): Promise<void> {
  const socket = path.join(testNode().workDir, 'fs', '_run_containerd', 'containerd.sock');
  await execFileAsync('ctr', ['--address', socket, '--namespace', 'k8s.io', 'images', 'import', tar]);
}

interface PodList {
  items: Array<{
    metadata: { name: string; uid: string; labels?: Record<string, string>; deletionTimestamp?: string };
    spec: { containers: Array<{ image: string }> };
    status: {
      conditions?: Array<{ type: string; status: string }>;
      containerStatuses?: Array<{ restartCount: number }>;
    };
  }>;
}

async function pods(selector?: string): Promise<PodList['items']> {
  const args = ['get', 'pods', '-n', namespace, '-o', 'json', ...(selector ? ['-l', selector] : [])];
  return (JSON.parse(await must(kubectl(args))) as PodList).items;
}

/** The allocator Service's ClusterIP (kube-proxy's address for it, inside the node's network). */
function allocatorClusterIp(): Promise<string> {
  return must(
    kubectl(['-n', namespace, 'get', 'service', `${fullname}-allocator`, '-o', 'jsonpath={.spec.clusterIP}']),
  );
}

const isReady = (pod: PodList['items'][number]) =>
  !pod.metadata.deletionTimestamp &&
  pod.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');

/** Lines of a kubectl or helm stderr that are warnings (the API server's or Helm's own). */
function warnings(stderr: string): string[] {
  return stderr.split('\n').filter((line) => /warning/i.test(line));
}

async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  timeoutMs = 120_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${String(last ?? '')}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

let allocator: Relay | undefined;
let target: LoadTarget;

beforeAll(async () => {
  const started = Date.now();
  const outDir = path.join(testNode().workDir, 'product-images');
  await mkdir(outDir, { recursive: true });
  for (const tag of ['node-1', 'node-2']) {
    const built = await buildProductImages({ projectDir, outDir: path.join(outDir, tag), tag });
    for (const image of Object.values(built.images)) await importImage(image.path);
  }
  figures['product images built and imported (s)'] = (Date.now() - started) / 1000;
});

afterAll(async () => {
  await allocator?.close();
  console.log('node figures:', figures);
});

describe('the chart on a real node', () => {
  // Each step builds on the ones before: after a failure, the rest fail at once (not skipped, not left
  // to run into their time limits) and say why.
  let failed: string | undefined;
  afterEach((context) => {
    if (context.task.result?.state === 'fail') failed ??= context.task.name;
  });
  beforeEach(() => {
    if (failed) throw new Error(`this step builds on "${failed}", which failed`);
  });

  it('installs with its defaults in a restricted namespace: every pod Ready, no warning', async () => {
    const nsManifest = JSON.stringify({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: namespace,
        labels: Object.fromEntries(
          ['enforce', 'warn', 'audit'].map((mode) => [`pod-security.kubernetes.io/${mode}`, 'restricted']),
        ),
      },
    });
    await must(kubectl(['apply', '-f', '-'], { input: nsManifest }));

    const natsManifest = (await readFile(path.join(import.meta.dirname, 'manifests', 'nats.yaml'), 'utf8'))
      .replaceAll('NAMESPACE', namespace)
      .replaceAll('NATS_IMAGE', INFRA_IMAGES.nats);
    const natsStarted = Date.now();
    const applied = await kubectl(['apply', '-f', '-'], { input: natsManifest });
    expect(applied.code, applied.stderr).toBe(0);
    expect(warnings(applied.stderr)).toEqual([]);
    await must(kubectl(['-n', namespace, 'rollout', 'status', 'statefulset/nats', '--timeout=180s']));
    figures['NATS 3 replicas Ready (s)'] = (Date.now() - natsStarted) / 1000;

    const installStarted = Date.now();
    const installed = await helm(
      ['install', release, chartDir, '-n', namespace, '--wait', '--timeout=5m', '-f', '-'],
      { input: JSON.stringify(imageValues('node-1')) },
    );
    figures['helm install --wait (s)'] = (Date.now() - installStarted) / 1000;
    expect(installed.code, installed.stderr).toBe(0);
    expect(warnings(installed.stderr)).toEqual([]);

    const all = await pods();
    expect(all.filter((p) => p.metadata.labels?.['app.kubernetes.io/instance'] === release).length).toBe(4);
    expect(all.filter((p) => !isReady(p)).map((p) => p.metadata.name)).toEqual([]);
    // Ready pods are not yet a programmed Service: kube-proxy writes the rules for the webhook's
    // endpoints a moment later (seen once: "connection refused" on the Service address right after
    // the install). A server-side dry run goes through the webhook without storing anything.
    const reachable = Date.now();
    await eventually(
      'the webhook answering through its Service',
      async () => {
        const dryRun = await kubectl(['apply', '--dry-run=server', '-f', '-'], {
          input: group('dry-run', { groupName: 'dry-run', dnisPool: pool(1), expirySeconds: 60 }),
        });
        return dryRun.code === 0 || Promise.reject(new Error(dryRun.stderr));
      },
      60_000,
    );
    figures['webhook answering through its Service after helm install --wait (s)'] =
      (Date.now() - reachable) / 1000;
  });

  it('runs NATS as a 3-node JetStream cluster that the allocator reaches by its Service name', async () => {
    // The allocator reports ready only once its store watch runs against nats://nats:4222; its bucket
    // then shows in every server's JetStream report.
    const podIp = await must(
      kubectl(['-n', namespace, 'get', 'pod', 'nats-0', '-o', 'jsonpath={.status.podIP}']),
    );
    const monitor = await relayTo(podIp, 8222);
    try {
      const get = async (route: string) =>
        (await fetch(`http://127.0.0.1:${monitor.port}${route}`)).json() as Promise<Record<string, unknown>>;
      expect((await get('/routez')).num_routes).toBeGreaterThanOrEqual(2);
      const jsz = await get('/jsz?streams=true');
      expect(JSON.stringify(jsz)).toMatch(/"name":"KV_/);
      expect((jsz.meta_cluster as { cluster_size?: number } | undefined)?.cluster_size).toBe(3);
    } finally {
      await monitor.close();
    }
  });

  it('admits a group applied with kubectl through the webhook Service and serves it from its ConfigMap', async () => {
    const applied = await kubectl(['apply', '-f', '-'], {
      input: group('claims', {
        groupName: 'claims',
        dnisPool: pool(20),
        accessCode: { generate: true, length: 6 },
        expirySeconds: 60,
        uniqueDnis: true,
      }),
    });
    expect(applied.code, applied.stderr).toBe(0);
    await eventually('the group Ready', async () => {
      const status = await must(
        kubectl([
          '-n',
          namespace,
          'get',
          'clicktocallingroup',
          'claims',
          '-o',
          'jsonpath={.status.conditions[?(@.type=="Ready")].status}',
        ]),
      );
      return status === 'True';
    });
    const configMaps = await must(kubectl(['-n', namespace, 'get', 'configmaps', '-o', 'name']));
    expect(configMaps).toContain('claims');
  });

  it('refuses an invalid group with the webhook message', async () => {
    const refused = await kubectl(['apply', '-f', '-'], {
      input: group('bad-number', { groupName: 'bad_number', dnisPool: [{ number: '+99912345678' }] }),
    });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(
      'admission webhook "clicktocallingroups.clicktocall.dev" denied the request',
    );
  });

  it('answers through the allocator Service with an API key from a Secret: create, GES create, match, list', async () => {
    const keys = {
      keys: [
        {
          name: 'test',
          sha256: createHash('sha256').update(apiKey).digest('hex'),
          scopes: ['request', 'match', 'read'],
        },
      ],
    };
    await must(
      kubectl([
        '-n',
        namespace,
        'create',
        'secret',
        'generic',
        'allocator-api-keys',
        `--from-literal=api-keys.json=${JSON.stringify(keys)}`,
      ]),
    );
    const upgraded = await helm(
      ['upgrade', release, chartDir, '-n', namespace, '--reuse-values', '--wait', '--timeout=5m', '-f', '-'],
      { input: JSON.stringify({ allocator: { apiKeys: { existingSecret: 'allocator-api-keys' } } }) },
    );
    expect(upgraded.code, upgraded.stderr).toBe(0);

    const clusterIp = await allocatorClusterIp();
    allocator = await relayTo(clusterIp, 80);
    target = { port: allocator.port, apiKey, groupName: 'claims' };

    // `helm upgrade --wait` returns once the new pods are Ready; kube-proxy takes the old ones out of
    // the Service a moment later (seen once: a wrong key answered 200 by an old, open-mode pod).
    const switched = Date.now();
    const unauthorised = await eventually(
      'only allocators with the API keys behind the Service',
      async () => {
        const answer = await call({ ...target, apiKey: 'wrong' }, 'GET', '/v1/groups');
        return answer.status === 401 && answer;
      },
      60_000,
    );
    figures['old allocators out of the Service after helm upgrade --wait (s)'] =
      (Date.now() - switched) / 1000;
    expect(unauthorised.status).toBe(401);
    const groups = await eventually('the group served by the allocator', async () => {
      const answer = await call(target, 'GET', '/v1/groups');
      return JSON.stringify(answer.body).includes('claims') && answer;
    });
    expect(groups.status).toBe(200);

    const created = await call(target, 'POST', '/v1/groups/claims/requests', {
      callerNumber: '+14155550100',
      userData: { a: 1 },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const ges = await call(target, 'POST', '/engagement/v3/call-in/requests/create', {
      groupName: 'claims',
      fromPhoneNumber: '+14155550101',
      userData: { b: 2 },
    });
    expect([200, 201], JSON.stringify(ges.body)).toContain(ges.status);
    expect((ges.body.data as { groupName?: string } | undefined)?.groupName).toBe('claims');
    const live = await call(target, 'GET', '/v1/groups/claims/requests');
    expect(live.status).toBe(200);
    expect(JSON.stringify(live.body)).toContain(String(created.body.id));
    const matched = await call(target, 'POST', '/v1/match', {
      dialledNumber: created.body.number,
      accessCode: created.body.accessCode,
    });
    expect(matched.status, JSON.stringify(matched.body)).toBe(200);
    expect(JSON.stringify(matched.body)).toContain('"a":1');
  });

  it('upgrades (new image tag and a changed value) under steady load: no failed request, no number held twice', async () => {
    const load = new SteadyLoad(target);
    load.start();
    await new Promise((r) => setTimeout(r, 3_000));
    const started = Date.now();
    const upgraded = await helm(
      ['upgrade', release, chartDir, '-n', namespace, '--reuse-values', '--wait', '--timeout=5m', '-f', '-'],
      {
        input: JSON.stringify({
          ...imageValues('node-2'),
          allocator: { ...imageValues('node-2').allocator, logLevel: 'debug' },
        }),
      },
    );
    figures['helm upgrade --wait under load (s)'] = (Date.now() - started) / 1000;
    await new Promise((r) => setTimeout(r, 3_000));
    const report = await load.stop();
    figures['upgrade: requests'] = report.requests;
    figures['upgrade: failed requests'] = report.failures.length;
    expect(upgraded.code, upgraded.stderr).toBe(0);
    expect(report.failures).toEqual([]);
    expect(report.heldTwice).toEqual([]);
    await eventually('only the upgraded pods left', async () => {
      const running = await pods(`app.kubernetes.io/instance=${release}`);
      return running.every((pod) => pod.spec.containers[0]?.image.endsWith(':node-2'));
    });
  });

  it('keeps serving when an allocator pod is deleted under load', async () => {
    const load = new SteadyLoad(target);
    load.start();
    await new Promise((r) => setTimeout(r, 2_000));
    const [victim] = (await pods('app.kubernetes.io/component=allocator')).filter(isReady);
    await must(kubectl(['-n', namespace, 'delete', 'pod', victim!.metadata.name, '--wait=false']));
    const started = Date.now();
    await eventually(
      'two allocator pods Ready again',
      async () => (await pods('app.kubernetes.io/component=allocator')).filter(isReady).length >= 2,
    );
    figures['allocator pod replaced, Ready (s)'] = (Date.now() - started) / 1000;
    await new Promise((r) => setTimeout(r, 2_000));
    const report = await load.stop();
    figures['allocator deletion: requests'] = report.requests;
    figures['allocator deletion: failed requests'] = report.failures.length;
    expect(report.failures).toEqual([]);
    expect(report.heldTwice).toEqual([]);
  });

  it('moves leadership within the lease time when the leading operator is deleted, or crashes', async () => {
    const leaseHolder = async () => {
      const leases = JSON.parse(await must(kubectl(['-n', namespace, 'get', 'leases', '-o', 'json']))) as {
        items: Array<{ spec: { holderIdentity?: string; leaseDurationSeconds?: number } }>;
      };
      return leases.items.find((l) => l.spec.holderIdentity)?.spec;
    };
    const operatorPods = () => pods('app.kubernetes.io/component=operator');
    const failOver = async (label: string, stop: (pod: PodList['items'][number]) => Promise<void>) => {
      await eventually(
        'two operator pods Ready',
        async () => (await operatorPods()).filter(isReady).length === 2,
      );
      const before = await eventually('a leader', leaseHolder);
      const leader = before.holderIdentity!;
      const pod = (await operatorPods()).find((p) => leader.startsWith(p.metadata.name));
      expect(pod, `no pod for lease holder ${leader}`).toBeDefined();
      const started = Date.now();
      await stop(pod!);
      await eventually('a new leader', async () => {
        const spec = await leaseHolder();
        return spec?.holderIdentity && spec.holderIdentity !== leader;
      });
      const seconds = (Date.now() - started) / 1000;
      figures[`operator failover, ${label} (s)`] = seconds;
      // The Lease runs out after leaseDurationSeconds; the standby tries every retry period (2 s).
      expect(seconds).toBeLessThanOrEqual((before.leaseDurationSeconds ?? 15) + 5);
    };

    const load = new SteadyLoad(target);
    load.start();
    await failOver('pod deleted', async (pod) => {
      await must(kubectl(['-n', namespace, 'delete', 'pod', pod.metadata.name, '--wait=false']));
    });
    await failOver('process killed', async (pod) => {
      expect(crashPodProcess(pod.metadata.uid, /operator\/src\/main/).length).toBeGreaterThan(0);
    });
    // The new leader reconciles: a change to the group reaches its status.
    await must(
      kubectl([
        '-n',
        namespace,
        'patch',
        'clicktocallingroup',
        'claims',
        '--type=merge',
        '-p',
        '{"spec":{"expirySeconds":61}}',
      ]),
    );
    await eventually('the change reconciled', async () => {
      const [generation, observed] = (
        await must(
          kubectl([
            '-n',
            namespace,
            'get',
            'clicktocallingroup',
            'claims',
            '-o',
            'jsonpath={.metadata.generation} {.status.observedGeneration}',
          ]),
        )
      ).split(' ');
      return generation === observed;
    });
    const report = await load.stop();
    figures['operator failovers: requests'] = report.requests;
    figures['operator failovers: failed requests'] = report.failures.length;
    expect(report.failures).toEqual([]);
    expect(report.heldTwice).toEqual([]);
  });

  it('uninstalls keeping the CRD and the groups; a new install adopts them', async () => {
    await allocator?.close();
    allocator = undefined;
    const uninstalled = await helm(['uninstall', release, '-n', namespace, '--wait', '--timeout=2m']);
    expect(uninstalled.code, uninstalled.stderr).toBe(0);
    expect(
      await must(kubectl(['get', 'crd', 'clicktocallingroups.clicktocall.dev', '-o', 'name'])),
    ).toContain('clicktocallingroups');
    expect(await must(kubectl(['-n', namespace, 'get', 'clicktocallingroups', '-o', 'name']))).toContain(
      'claims',
    );

    const reinstalled = await helm(
      ['install', release, chartDir, '-n', namespace, '--wait', '--timeout=5m', '-f', '-'],
      { input: JSON.stringify({ ...imageValues('node-2') }) },
    );
    expect(reinstalled.code, reinstalled.stderr).toBe(0);
    const served = await eventually('the adopted group served again', async () => {
      const clusterIp = await allocatorClusterIp();
      const relay = await relayTo(clusterIp, 80);
      try {
        const answer = await call({ ...target, port: relay.port }, 'GET', '/v1/groups');
        return answer.status === 200 && JSON.stringify(answer.body).includes('claims');
      } finally {
        await relay.close();
      }
    });
    expect(served).toBe(true);
  });

  it("runs the kind script's scenario (test/e2e/scenario.sh) in the same form", async () => {
    await must(helm(['uninstall', release, '-n', namespace, '--wait', '--timeout=2m']));
    const kindNamespace = 'click-to-call-in';
    await must(kubectl(['create', 'namespace', kindNamespace]));
    const natsManifest = (await readFile(path.join(import.meta.dirname, 'manifests', 'nats.yaml'), 'utf8'))
      .replaceAll('NAMESPACE', kindNamespace)
      .replaceAll('NATS_IMAGE', INFRA_IMAGES.nats);
    await must(kubectl(['apply', '-f', '-'], { input: natsManifest }));
    await must(kubectl(['-n', kindNamespace, 'rollout', 'status', 'statefulset/nats', '--timeout=180s']));
    const started = Date.now();
    const scenario = await execFileAsync(path.join(projectDir, 'test', 'e2e', 'scenario.sh'), [], {
      env: {
        ...process.env,
        KUBECONFIG: testNode().kubeconfigPath,
        C2C_E2E_NAMESPACE: kindNamespace,
        C2C_E2E_GROUPS_NAMESPACE: 'kind-groups',
        C2C_IMAGE_TAG: 'node-2',
        // The CRD stays from the release above, owned by it: this release must not take it over.
        C2C_E2E_CHART_ARGS: '--set crds.install=false',
        C2C_E2E_PORT: String(await freePort()),
      },
      maxBuffer: 16 << 20,
    }).catch((err: { stdout?: string; stderr?: string }) => {
      throw new Error(`scenario.sh failed:\n${err.stdout ?? ''}\n${err.stderr ?? ''}`);
    });
    figures['kind scenario (s)'] = (Date.now() - started) / 1000;
    expect(scenario.stdout).toContain('=== scenario passed');
  });
});
