import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeClient, configMapRef, loadKubeConfig } from '#lib/kube';
import { createCertificateAuthority, issueCertificate } from '#lib/tls/index';
import { harness, useNamespace } from '../../harness/context.ts';
import { OperatorProcess, installCrd, postToWebhook } from '../operator/operator-process.ts';

// The operator watches `watched`; `other` holds a ConfigMap nobody should read through the webhook.
const watched = useNamespace('wh-sec');
const other = useNamespace('wh-other');
const SECRET = 'TOPSECRET-7f3a';
const ca = createCertificateAuthority('webhook-security-ca');
const leaf = issueCertificate(ca, { commonName: 'webhook', ipAddresses: ['127.0.0.1'], usage: 'server' });
let dir: string;
let op: OperatorProcess;
let kube: KubeClient;

function post(body: string | Buffer): Promise<{ status: number; body: string }> {
  return postToWebhook(op.webhookPort, body, { ca: ca.certPem, agent: false });
}

/** Completes a TLS handshake with the webhook within these versions; resolves the protocol or the error. */
function handshake(minVersion: tls.SecureVersion, maxVersion: tls.SecureVersion): Promise<string> {
  return new Promise((resolve) => {
    const socket = tls.connect({
      host: '127.0.0.1',
      port: op.webhookPort,
      ca: ca.certPem,
      minVersion,
      maxVersion,
      // Let this client offer old versions, so that a refusal comes from the server.
      ciphers: 'DEFAULT:@SECLEVEL=0',
    });
    socket.once('secureConnect', () => {
      resolve(socket.getProtocol() ?? 'unknown');
      socket.end();
    });
    socket.once('error', (err) => resolve(`error: ${err.message}`));
  });
}

function review(request: Record<string, unknown>): string {
  return JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request });
}

const groupKind = { group: 'clicktocall.dev', version: 'v1alpha1', kind: 'ClickToCallInGroup' };
const groupWrite = (namespace: string, spec: unknown) =>
  review({
    uid: 'forged',
    kind: groupKind,
    resource: { group: 'clicktocall.dev', version: 'v1alpha1', resource: 'clicktocallingroups' },
    operation: 'CREATE',
    namespace,
    name: 'g',
    object: {
      apiVersion: 'clicktocall.dev/v1alpha1',
      kind: groupKind.kind,
      metadata: { name: 'g', namespace },
      spec,
    },
  });

beforeAll(async () => {
  kube = new KubeClient(loadKubeConfig(harness().kubeconfigPath));
  await installCrd();
  dir = await mkdtemp(path.join(tmpdir(), 'webhook-security-'));
  await writeFile(path.join(dir, 'tls.crt'), leaf.certPem);
  await writeFile(path.join(dir, 'tls.key'), leaf.keyPem);
  const csv = `+18005555555,fine\n${SECRET} password=hunter2\n+1800${SECRET}\n`;
  for (const namespace of [watched.name, other.name]) {
    await kube.create(configMapRef(namespace), {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'private' },
      data: { 'pool.csv': csv },
    });
  }
  op = await OperatorProcess.start('operator-webhook-security', [
    `--namespace=${watched.name}`,
    '--no-leader-elect',
    `--webhook-cert-dir=${dir}`,
  ]);
  await op.waitReady();
});

afterAll(async () => {
  await op?.stop();
  kube?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the webhook endpoint', () => {
  it('speaks TLS 1.2 and 1.3 only', async () => {
    expect(await handshake('TLSv1.3', 'TLSv1.3')).toBe('TLSv1.3');
    expect(await handshake('TLSv1.2', 'TLSv1.2')).toBe('TLSv1.2');
    for (const version of ['TLSv1', 'TLSv1.1'] as const) {
      const outcome = await handshake(version, version);
      // The server refused with a protocol-version alert (not this client).
      expect(outcome).toMatch(/^error: .*alert protocol version/);
    }
  });

  it('answers reviews of other kinds with a bare "allowed", echoing nothing', async () => {
    for (const kind of [
      { group: '', version: 'v1', kind: 'Secret' },
      { group: '', version: 'v1', kind: 'ConfigMap' },
    ]) {
      const res = await post(
        review({
          uid: 'other-kind',
          kind,
          operation: 'CREATE',
          namespace: other.name,
          object: { metadata: { name: 'private' }, data: { 'pool.csv': SECRET } },
        }),
      );
      expect(res.status).toBe(200);
      expect(JSON.parse(res.body).response).toEqual({ uid: 'other-kind', allowed: true });
    }
  });

  it('does not read a ConfigMap outside the namespace it watches', async () => {
    const res = await post(
      groupWrite(other.name, { dnisPoolFrom: { configMapKeyRef: { name: 'private', key: 'pool.csv' } } }),
    );
    expect(res.status).toBe(200);
    expect(res.body).not.toContain(SECRET);
    expect(res.body).not.toContain('hunter2');
    const { response } = JSON.parse(res.body);
    expect(response.allowed).toBe(true);
    expect(response.warnings.join(' ')).toContain(`does not watch namespace "${other.name}"`);
  });

  it('names the bad lines of a CSV it reads without quoting them', async () => {
    const res = await post(
      groupWrite(watched.name, { dnisPoolFrom: { configMapKeyRef: { name: 'private', key: 'pool.csv' } } }),
    );
    expect(res.status).toBe(200);
    expect(res.body).not.toContain(SECRET);
    expect(res.body).not.toContain('hunter2');
    const { response } = JSON.parse(res.body);
    expect(response.allowed).toBe(false);
    expect(response.status.message).toContain('private/pool.csv:2: line 2:');
    expect(response.status.message).toContain('private/pool.csv:3: line 3:');
  });

  it('never answers 500 to any body, and always says what is wrong', async () => {
    const valid = JSON.parse(groupWrite(watched.name, { dnisPool: [{ number: '+18005555555' }] })) as Record<
      string,
      unknown
    >;
    const json = fc.jsonValue({ maxDepth: 4 });
    // Whole bodies of any JSON, reviews with a field replaced, and bytes that are not JSON at all.
    const body = fc.oneof(
      json.map((v) => JSON.stringify(v)),
      fc
        .tuple(fc.constantFrom('apiVersion', 'kind', 'request'), json)
        .map(([k, v]) => JSON.stringify({ ...valid, [k]: v })),
      fc
        .tuple(
          fc.constantFrom('uid', 'kind', 'operation', 'namespace', 'name', 'object', 'oldObject', 'resource'),
          json,
        )
        .map(([k, v]) =>
          JSON.stringify({ ...valid, request: { ...(valid.request as Record<string, unknown>), [k]: v } }),
        ),
      fc.string({ maxLength: 200 }),
      fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b).toString('latin1')),
    );
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(body, async (text) => {
        const res = await post(text);
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        expect([200, 400]).toContain(res.status);
        const answer = JSON.parse(res.body);
        if (res.status === 400) expect(answer.error).toMatch(/\S{3,}/);
        else if (!answer.response.allowed) expect(answer.response.status.message).toMatch(/\S{3,}/);
      }),
      { numRuns: 300 },
    );
    expect(await op.metric('c2c_operator_webhook_requests_total', { result: 'error' })).toBe(0);
    expect((await op.get('/healthz')).status).toBe(200);
    console.log(
      `[figure] webhook fuzz: 300 bodies, answers by status ${JSON.stringify(Object.fromEntries(statuses))}`,
    );
  });
});
