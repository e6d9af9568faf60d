import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeClient, loadKubeConfig } from '#lib/kube';
import { createCertificateAuthority, issueCertificate } from '#lib/tls/index';
import { eventually, harness, kubectl, uniqueName, useNamespace } from '../../harness/context.ts';
import {
  installCrd,
  postToWebhook,
  startOperatorWithWebhook,
  type OperatorProcess,
} from '../operator/operator-process.ts';

const ns = useNamespace('webhook-client-auth');
const webhookConfigName = uniqueName('c2c-webhook-client-auth');
let op: OperatorProcess;
let kube: KubeClient;
let dir: string;

const group = (name: string, spec: Record<string, unknown>) =>
  JSON.stringify({
    apiVersion: 'clicktocall.dev/v1alpha1',
    kind: 'ClickToCallInGroup',
    metadata: { name, namespace: ns.name },
    spec,
  });
const apply = (manifest: string) => kubectl(['apply', '-n', ns.name, '-f', '-'], { input: manifest });
const review = JSON.stringify({
  apiVersion: 'admission.k8s.io/v1',
  kind: 'AdmissionReview',
  request: {
    uid: '1',
    operation: 'CREATE',
    namespace: ns.name,
    object: {
      apiVersion: 'clicktocall.dev/v1alpha1',
      kind: 'ClickToCallInGroup',
      metadata: { name: 'x' },
      spec: {},
    },
  },
});

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'c2c-webhook-client-'));
  const caFile = path.join(dir, 'client-ca.crt');
  await writeFile(caFile, harness().webhookClientCaPem);
  kube = new KubeClient(loadKubeConfig(harness().kubeconfigPath));
  await installCrd();
  op = await startOperatorWithWebhook('operator-webhook-client-auth', ns.name, webhookConfigName, kube, [
    `--webhook-client-ca-file=${caFile}`,
    '--webhook-client-names=kube-apiserver-webhook-client',
  ]);
});

afterAll(async () => {
  await kubectl(['delete', 'validatingwebhookconfiguration', webhookConfigName, '--ignore-not-found']);
  await op?.stop();
  kube?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('a webhook that verifies its callers', () => {
  it('admits and refuses groups for the API server, which presents its client certificate', async () => {
    const admitted = await eventually('a valid group to be admitted', async () => {
      const r = await apply(group('valid', { dnisPool: [{ number: '+18005555555' }] }));
      return r.code === 0 ? r : undefined;
    });
    expect(admitted.stdout).toContain('created');
    const refused = await apply(group('bad', { dnisPool: [{ number: '+9991234567' }] }));
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('admission webhook "groups.clicktocall.dev" denied the request');
    expect(refused.stderr).toMatch(/country/i);
  });

  it('refuses anyone else at the TLS handshake: no client certificate, or one from another CA', async () => {
    await expect(postToWebhook(op.webhookPort, review, { rejectUnauthorized: false })).rejects.toThrow(
      /certificate|socket hang up|ECONNRESET|alert/i,
    );
    const otherCa = createCertificateAuthority('someone-else');
    const forged = issueCertificate(otherCa, {
      commonName: 'kube-apiserver-webhook-client',
      usage: 'client',
    });
    await expect(
      postToWebhook(op.webhookPort, review, {
        rejectUnauthorized: false,
        cert: forged.certPem,
        key: forged.keyPem,
      }),
    ).rejects.toThrow(/certificate|socket hang up|ECONNRESET|alert/i);
  });
});
