import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeClient, loadKubeConfig } from '#lib/kube';
import { eventually, harness, kubectl, uniqueName, useNamespace } from '../../harness/context.ts';
import {
  installCrd,
  postToWebhook,
  startOperatorWithWebhook,
  type OperatorProcess,
} from '../operator/operator-process.ts';

const ns = useNamespace('webhook');
const webhookConfigName = uniqueName('c2c-webhook-test');
let op: OperatorProcess;
let kube: KubeClient;

function group(name: string, spec: Record<string, unknown>) {
  return JSON.stringify({
    apiVersion: 'clicktocall.dev/v1alpha1',
    kind: 'ClickToCallInGroup',
    metadata: { name, namespace: ns.name },
    spec,
  });
}

const apply = (manifest: string) => kubectl(['apply', '-n', ns.name, '-f', '-'], { input: manifest });

function post(port: number, body: string): Promise<{ status: number; body: string }> {
  return postToWebhook(port, body, { rejectUnauthorized: false });
}

beforeAll(async () => {
  kube = new KubeClient(loadKubeConfig(harness().kubeconfigPath));
  await installCrd();
  op = await startOperatorWithWebhook('operator-webhook', ns.name, webhookConfigName, kube);
});

afterAll(async () => {
  await kubectl(['delete', 'validatingwebhookconfiguration', webhookConfigName, '--ignore-not-found']);
  await op?.stop();
  kube?.close();
});

describe('the validating webhook', () => {
  it('admits a valid group', async () => {
    // Until the API server has loaded the new configuration and caBundle, calls may fail: retry.
    const result = await eventually('a valid group to be admitted', async () => {
      const r = await apply(
        group('valid', { groupName: 'valid_group', dnisPool: [{ number: '+18005555555' }] }),
      );
      return r.code === 0 ? r : undefined;
    });
    expect(result.stdout).toContain('created');
    expect(await op.metric('c2c_operator_webhook_requests_total', { result: 'allowed' })).toBeGreaterThan(0);
  });

  it('refuses a number with an unknown country code, naming the field', async () => {
    const result = await apply(
      group('bad-country', { dnisPool: [{ number: '+18005555555' }, { number: '+9991234567' }] }),
    );
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('denied the request');
    expect(result.stderr).toContain('spec.dnisPool[1].number');
    expect(result.stderr).toContain('country calling code');
  });

  it('refuses a groupName another group already uses', async () => {
    const result = await apply(
      group('copycat', { groupName: 'valid_group', dnisPool: [{ number: '+18005555556' }] }),
    );
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('denied the request');
    expect(result.stderr).toContain('valid_group');
  });

  it('lists every problem of a group at once', async () => {
    const result = await apply(
      group('many-problems', {
        dnisPool: [{ number: '+9991234567' }, { number: '+1800555' }],
        accessCode: { generate: true, length: 6 },
      }),
    );
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('spec.dnisPool[0].number');
    expect(result.stderr).toContain('spec.dnisPool[1].number');
  });

  it('warns about legal but risky settings', async () => {
    const result = await apply(
      group('tiny-unique', { uniqueDnis: true, dnisPool: [{ number: '+18005555557' }] }),
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/Warning: .*uniqueDnis/);
  });

  it('warns when every number is reserved, and names the line of a bad reserved column in the CSV', async () => {
    const reserved = await apply(
      group('all-reserved', { dnisPool: [{ number: '+18005555558', reserved: true }] }),
    );
    expect(reserved.code, reserved.stderr).toBe(0);
    expect(reserved.stderr).toMatch(/Warning: .*every number of the pool \(1\) is reserved/);
    const csv = await kubectl([
      'create',
      'configmap',
      'csv-reserved',
      '-n',
      ns.name,
      '--from-literal=pool.csv=number,description,reserved\n+18005550200,Desk,true\n+18005550201,,perhaps\n',
    ]);
    expect(csv.code, csv.stderr).toBe(0);
    const result = await apply(
      group('csv-reserved', { dnisPoolFrom: { configMapKeyRef: { name: 'csv-reserved', key: 'pool.csv' } } }),
    );
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('csv-reserved/pool.csv:3: line 3: the reserved column (3)');
    expect(result.stderr).not.toContain('perhaps');
  });

  it('warns when a required local presence has numbers in one country only, naming it', async () => {
    const oneCountry = await apply(
      group('near-us', {
        dnisPool: [{ number: '+14155550100' }, { number: '+12125550100' }],
        localPresence: { match: 'require' },
      }),
    );
    expect(oneCountry.code, oneCountry.stderr).toBe(0);
    expect(oneCountry.stderr).toMatch(/Warning: .*every number of the pool that is not reserved is in US/);
  });

  it('warns about a long cool-down on a small unique pool and a sticky window inside it', async () => {
    const result = await apply(
      group('cooling', {
        uniqueDnis: true,
        expirySeconds: 30,
        coolDownSeconds: 120,
        selection: { strategy: 'leastRecentlyUsed', stickySeconds: 60 },
        dnisPool: Array.from({ length: 12 }, (_, i) => ({ number: `+1800555${String(7100 + i)}` })),
      }),
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(
      /Warning: spec\.coolDownSeconds: coolDownSeconds is 120, longer than expirySeconds \(30\), and uniqueDnis is true with only 12 numbers: .*at most about 0\.1 requests per second .*POOL_EXHAUSTED/,
    );
    expect(result.stderr).toMatch(
      /Warning: spec\.selection\.stickySeconds: selection\.stickySeconds is 60, not more than coolDownSeconds \(120\).*set stickySeconds greater than coolDownSeconds/,
    );
    const fine = await apply(
      group('cooling-fine', {
        uniqueDnis: true,
        coolDownSeconds: 20,
        selection: { stickySeconds: 600 },
        dnisPool: Array.from({ length: 12 }, (_, i) => ({ number: `+1800555${String(7200 + i)}` })),
      }),
    );
    expect(fine.code, fine.stderr).toBe(0);
    expect(fine.stderr).not.toContain('Warning');
  });

  it('names the field, the value and the rule of a bad cool-down or selection', async () => {
    // The API server's schema refuses these before the webhook is asked, so ask the webhook directly.
    const review = (spec: Record<string, unknown>) =>
      JSON.stringify({
        apiVersion: 'admission.k8s.io/v1',
        kind: 'AdmissionReview',
        request: {
          uid: 'pool-policies',
          kind: { group: 'clicktocall.dev', version: 'v1alpha1', kind: 'ClickToCallInGroup' },
          resource: { group: 'clicktocall.dev', version: 'v1alpha1', resource: 'clicktocallingroups' },
          operation: 'CREATE',
          namespace: ns.name,
          name: 'bad-policies',
          object: {
            apiVersion: 'clicktocall.dev/v1alpha1',
            kind: 'ClickToCallInGroup',
            metadata: { name: 'bad-policies', namespace: ns.name },
            spec: { dnisPool: [{ number: '+18005557300' }], ...spec },
          },
        },
      });
    const answer = await post(
      op.webhookPort,
      review({ coolDownSeconds: 3601, selection: { strategy: 'fastest', stickySeconds: 86_401 } }),
    );
    expect(answer.status).toBe(200);
    const response = (
      JSON.parse(answer.body) as { response: { allowed: boolean; status?: { message?: string } } }
    ).response;
    expect(response.allowed).toBe(false);
    expect(response.status?.message).toBe(
      'ClickToCallInGroup "bad-policies" is invalid (3 problems): ' +
        'spec.coolDownSeconds: coolDownSeconds is 3601; it must be from 0 to 3600 seconds (0 turns the cool-down off); ' +
        'spec.selection.strategy: selection.strategy is "fastest"; it must be random, leastRecentlyUsed or roundRobin; ' +
        'spec.selection.stickySeconds: selection.stickySeconds is 86401; it must be from 0 to 86400 seconds (0 turns stickiness off)',
    );
    // Through the API server, the schema's own message names the field too.
    const applied = await apply(
      group('bad-cool-down', { dnisPool: [{ number: '+18005557301' }], coolDownSeconds: 3601 }),
    );
    expect(applied.code).not.toBe(0);
    expect(applied.stderr).toMatch(/spec\.coolDownSeconds.*less than or equal to 3600/);
  });

  it('checks the CSV behind dnisPoolFrom when it can read it', async () => {
    const csv = await kubectl([
      'create',
      'configmap',
      'csv-pool',
      '-n',
      ns.name,
      '--from-literal=pool.csv=+18005550100,Desk\n+9991234567,Bad\n',
    ]);
    expect(csv.code, csv.stderr).toBe(0);
    const result = await apply(
      group('from-csv', { dnisPoolFrom: { configMapKeyRef: { name: 'csv-pool', key: 'pool.csv' } } }),
    );
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('csv-pool/pool.csv:2');
  });

  it('answers a malformed AdmissionReview with 400 and keeps serving', async () => {
    expect((await post(op.webhookPort, '{not json')).status).toBe(400);
    expect((await post(op.webhookPort, JSON.stringify({ kind: 'AdmissionReview' }))).status).toBe(400);
    expect(
      (
        await post(
          op.webhookPort,
          JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: {} }),
        )
      ).status,
    ).toBe(400);
    expect((await op.get('/healthz')).status).toBe(200);
    const ok = await apply(group('still-serving', { dnisPool: [{ number: '+18005555558' }] }));
    expect(ok.code, ok.stderr).toBe(0);
  });
});
