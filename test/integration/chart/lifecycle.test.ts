import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCertificateAuthority } from '#lib/tls/index';
import { helm, kubectl, uniqueName, useNamespace } from '../../harness/context.ts';
import {
  chartDir,
  crdName,
  ensureCrd,
  isolatedWebhook,
  parseManifests,
  runHelm,
  type Values,
} from './chart.ts';

const ns = useNamespace('chart-life');
const release = uniqueName('c2c');

// The webhook sees only this file's namespace and gives up quickly: no operator pod runs here.
const installValues = (): Values => ({
  webhook: { ...isolatedWebhook(ns.name), timeoutSeconds: 2 },
});

const group = (name: string) =>
  JSON.stringify({
    apiVersion: 'clicktocall.dev/v1alpha1',
    kind: 'ClickToCallInGroup',
    metadata: { name, namespace: ns.name },
    spec: { groupName: name, dnisPool: [{ number: '+18005550100', description: 'Claims' }] },
  });

let manifest = '';

async function existing(manifests: string): Promise<string[]> {
  const got = await kubectl(['get', '--ignore-not-found', '-o', 'name', '-f', '-'], { input: manifests });
  expect(got.code, got.stderr).toBe(0);
  return got.stdout.split('\n').filter(Boolean).sort();
}

beforeAll(async () => {
  // The CRD may already exist (other test files apply crds/ directly). Adopting an existing CRD into
  // a release is the documented path (docs/install.md): label and annotate it for Helm.
  await ensureCrd();
  for (const args of [
    ['label', 'crd', crdName, 'app.kubernetes.io/managed-by=Helm', '--overwrite'],
    [
      'annotate',
      'crd',
      crdName,
      `meta.helm.sh/release-name=${release}`,
      `meta.helm.sh/release-namespace=${ns.name}`,
      '--overwrite',
    ],
  ]) {
    const done = await kubectl(args);
    expect(done.code, done.stderr).toBe(0);
  }
});

afterAll(async () => {
  await helm(['uninstall', release, '--namespace', ns.name, '--ignore-not-found']);
});

describe('helm install, upgrade and uninstall', () => {
  it('installs every object of the chart', async () => {
    const installed = await runHelm(['install', release, chartDir, '--namespace', ns.name], installValues());
    expect(installed.code, installed.stderr).toBe(0);
    const got = await helm(['get', 'manifest', release, '--namespace', ns.name]);
    expect(got.code, got.stderr).toBe(0);
    manifest = got.stdout;
    const objects = parseManifests(manifest);
    expect(objects.length).toBeGreaterThanOrEqual(20);
    expect(await existing(manifest)).toHaveLength(objects.length);
  });

  it('owns the CRD and marks it to be kept', async () => {
    const crd = await kubectl(['get', 'crd', crdName, '-o', 'json']);
    const meta = (JSON.parse(crd.stdout) as { metadata: { annotations: Record<string, string> } }).metadata;
    expect(meta.annotations['meta.helm.sh/release-name']).toBe(release);
    expect(meta.annotations['helm.sh/resource-policy']).toBe('keep');
  });

  it('puts the webhook in the path of group changes in its namespaces (failurePolicy Fail, no operator yet)', async () => {
    const created = await kubectl(['create', '-f', '-'], { input: group('refused') });
    expect(created.code).not.toBe(0);
    expect(created.stderr).toContain('failed calling webhook "clicktocallingroups.clicktocall.dev"');
  });

  it('upgrades with changed values', async () => {
    // In self-managed mode the operator writes the CA into the webhook configuration; an upgrade must
    // keep it. Play the operator's part here (none runs on this API server).
    const webhookName = `${ns.name}-${release}-click-to-call-in`;
    const caBundle = Buffer.from(createCertificateAuthority('webhook-ca').certPem).toString('base64');
    const injected = await kubectl([
      'patch',
      'validatingwebhookconfiguration',
      webhookName,
      '--type=json',
      '-p',
      JSON.stringify([{ op: 'add', path: '/webhooks/0/clientConfig/caBundle', value: caBundle }]),
    ]);
    expect(injected.code, injected.stderr).toBe(0);

    const upgraded = await runHelm(['upgrade', release, chartDir, '--namespace', ns.name, '--reuse-values'], {
      webhook: { failurePolicy: 'Ignore' },
      operator: { logLevel: 'debug' },
      allocator: { autoscaling: { maxReplicas: 4 } },
      networkPolicy: { enabled: false },
    });
    expect(upgraded.code, upgraded.stderr).toBe(0);
    expect(upgraded.stdout).toContain('REVISION: 2');

    const hpa = await kubectl([
      'get',
      'hpa',
      '--namespace',
      ns.name,
      '-o',
      'jsonpath={.items[0].spec.maxReplicas}',
    ]);
    expect(hpa.stdout).toBe('4');
    const args = await kubectl([
      'get',
      'deployment',
      `${release}-click-to-call-in-operator`,
      '--namespace',
      ns.name,
      '-o',
      'jsonpath={.spec.template.spec.containers[0].args}',
    ]);
    expect(JSON.parse(args.stdout)).toContain('--log-level=debug');
    const policies = await kubectl(['get', 'networkpolicies', '--namespace', ns.name, '-o', 'name']);
    expect(policies.stdout.trim()).toBe('');
    const webhook = await kubectl(['get', 'validatingwebhookconfiguration', webhookName, '-o', 'json']);
    const hooks = (
      JSON.parse(webhook.stdout) as {
        webhooks: Array<{ failurePolicy: string; clientConfig: { caBundle?: string } }>;
      }
    ).webhooks;
    expect(hooks[0]?.failurePolicy).toBe('Ignore');
    expect(hooks[0]?.clientConfig.caBundle).toBe(caBundle);
    // The webhook configuration changed on the server: with Ignore, a group goes through unchecked.
    const created = await kubectl(['create', '-f', '-'], { input: group('accepted') });
    expect(created.code, created.stderr).toBe(0);
  });

  it('uninstalls everything but the CRD, which keeps the groups', async () => {
    const uninstalled = await helm(['uninstall', release, '--namespace', ns.name, '--wait', '--timeout=60s']);
    expect(uninstalled.code, uninstalled.stderr).toBe(0);
    expect(await existing(manifest)).toEqual([`customresourcedefinition.apiextensions.k8s.io/${crdName}`]);
    const groups = await kubectl(['get', 'clicktocallingroups', '--namespace', ns.name, '-o', 'name']);
    expect(groups.stdout.trim()).toBe('clicktocallingroup.clicktocall.dev/accepted');
  });
});
