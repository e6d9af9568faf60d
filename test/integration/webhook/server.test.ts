import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '#lib';
import { createCertificateAuthority, issueCertificate, type KeyPairPem } from '#lib/tls/index';
import { WebhookServer, certificateFiles } from '#operator/webhook/server';
import { eventually } from '../../harness/context.ts';
import { postToWebhook } from '../operator/operator-process.ts';

let dir: string;
let server: WebhookServer;

function issue(): { ca: KeyPairPem; leaf: KeyPairPem } {
  const ca = createCertificateAuthority('webhook-test-ca');
  return {
    ca,
    leaf: issueCertificate(ca, { commonName: 'webhook', ipAddresses: ['127.0.0.1'], usage: 'server' }),
  };
}

async function writeCert(leaf: KeyPairPem): Promise<void> {
  await writeFile(path.join(dir, 'tls.key'), leaf.keyPem);
  await writeFile(path.join(dir, 'tls.crt'), leaf.certPem);
}

function post(body: string | Buffer, ca: string): Promise<{ status: number; body: string }> {
  return postToWebhook(server.port, body, { ca, agent: false });
}

const first = issue();

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'webhook-certs-'));
  await writeCert(first.leaf);
  server = new WebhookServer({
    port: 0,
    host: '127.0.0.1',
    certificate: certificateFiles(dir),
    reloadIntervalMs: 100,
    maxBodyBytes: 64 * 1024,
    review: async (request) => ({ uid: request.uid, allowed: true }),
    log: createLogger('webhook-test', { level: 'silent' }),
  });
  await server.start();
});

afterAll(async () => {
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

const review = JSON.stringify({
  apiVersion: 'admission.k8s.io/v1',
  kind: 'AdmissionReview',
  request: { uid: 'abc', operation: 'CREATE' },
});

describe('the webhook server', () => {
  it('answers an AdmissionReview with the same uid over TLS', async () => {
    const res = await post(review, first.ca.certPem);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      response: { uid: 'abc', allowed: true },
    });
  });

  it('refuses a body over the limit with 413 and keeps serving', async () => {
    const big = Buffer.alloc(128 * 1024, ' ');
    expect((await post(big, first.ca.certPem).catch(() => ({ status: 413, body: '' }))).status).toBe(413);
    expect((await post(review, first.ca.certPem)).status).toBe(200);
  });

  it('serves a rotated certificate from the files without a restart', async () => {
    const second = issue();
    await writeCert(second.leaf);
    await eventually(
      'the new certificate to be served',
      async () => (await post(review, second.ca.certPem).catch(() => undefined))?.status === 200,
    );
    await expect(post(review, first.ca.certPem)).rejects.toThrow();
  });
});

describe('the webhook server verifying client certificates', () => {
  it('serves only certificates from its client CA, and of those only the names allowed', async () => {
    const serving = issue();
    const clients = createCertificateAuthority('webhook-client-ca');
    const apiServer = issueCertificate(clients, {
      commonName: 'kube-apiserver-webhook-client',
      usage: 'client',
    });
    const other = issueCertificate(clients, { commonName: 'someone-else', usage: 'client' });
    const certDir = await mkdtemp(path.join(tmpdir(), 'webhook-client-auth-'));
    await writeFile(path.join(certDir, 'tls.key'), serving.leaf.keyPem);
    await writeFile(path.join(certDir, 'tls.crt'), serving.leaf.certPem);
    const verifying = new WebhookServer({
      port: 0,
      host: '127.0.0.1',
      certificate: certificateFiles(certDir),
      reloadIntervalMs: 0,
      clientAuth: { caPem: clients.certPem, allowedNames: ['kube-apiserver-webhook-client'] },
      review: async (request) => ({ uid: request.uid, allowed: true }),
      log: createLogger('webhook-test', { level: 'silent' }),
    });
    await verifying.start();
    try {
      const review = JSON.stringify({
        apiVersion: 'admission.k8s.io/v1',
        kind: 'AdmissionReview',
        request: { uid: 'u1', operation: 'CREATE', object: {} },
      });
      const as = (c: KeyPairPem) =>
        postToWebhook(verifying.port, review, {
          ca: serving.ca.certPem,
          agent: false,
          cert: c.certPem,
          key: c.keyPem,
        });
      expect((await as(apiServer)).status).toBe(200);
      expect(await as(other)).toMatchObject({ status: 403 });
      await expect(
        postToWebhook(verifying.port, review, { ca: serving.ca.certPem, agent: false }),
      ).rejects.toThrow();
    } finally {
      await verifying.stop();
      await rm(certDir, { recursive: true, force: true });
    }
  });
});
