import { X509Certificate } from 'node:crypto';
import type { Logger } from '#lib';
import {
  isAlreadyExists,
  isConflict,
  isNotFound,
  secretRef,
  sleep,
  validatingWebhookConfigurationRef,
  type KubeClient,
  type KubeObject,
} from '#lib/kube';
import { createCertificateAuthority, issueCertificate } from '#lib/tls/index';
import type { CertificateSource, ServingCertificate } from './server.ts';

export interface SelfManagedCertificateOptions {
  client: KubeClient;
  namespace: string;
  /** Secret holding ca.crt, tls.crt and tls.key (shared by all replicas). */
  secretName: string;
  /** DNS names of the webhook Service (`<svc>.<ns>.svc`, …) and any extra names. */
  dnsNames: string[];
  ipAddresses?: string[];
  /** Renew when the certificate expires within this many days (default 30). */
  renewBeforeDays?: number;
  log: Logger;
}

interface SecretObject extends KubeObject {
  type?: string;
  data?: Record<string, string>;
}

const b64 = (s: string) => Buffer.from(s).toString('base64');
const unb64 = (s: string | undefined) =>
  s === undefined ? undefined : Buffer.from(s, 'base64').toString('utf8');

function usable(cert: string | undefined, dnsNames: string[], renewBeforeDays: number): boolean {
  if (!cert) return false;
  try {
    const x = new X509Certificate(cert);
    if (Date.parse(x.validTo) - Date.now() < renewBeforeDays * 86_400_000) return false;
    return dnsNames.every((n) => x.checkHost(n) !== undefined);
  } catch {
    return false;
  }
}

/**
 * Gets the webhook's CA and serving certificate from a Secret, creating (or renewing) them when
 * missing, expiring or not covering the names. Replicas race safely: the first create wins and the
 * others read it back.
 */
export async function ensureSelfManagedCertificate(
  o: SelfManagedCertificateOptions,
): Promise<ServingCertificate & { caPem: string }> {
  const ref = secretRef(o.namespace, o.secretName);
  const renewBeforeDays = o.renewBeforeDays ?? 30;
  for (let attempt = 0; ; attempt++) {
    const existing = await o.client.getOrUndefined<SecretObject>(ref);
    const caPem = unb64(existing?.data?.['ca.crt']);
    const certPem = unb64(existing?.data?.['tls.crt']);
    const keyPem = unb64(existing?.data?.['tls.key']);
    if (caPem && certPem && keyPem && usable(certPem, o.dnsNames, renewBeforeDays))
      return { caPem, certPem, keyPem };

    const ca = createCertificateAuthority('click-to-call-in-webhook-ca', 3650);
    const leaf = issueCertificate(ca, {
      commonName: o.dnsNames[0] ?? 'click-to-call-in-webhook',
      dnsNames: o.dnsNames,
      ipAddresses: o.ipAddresses,
      usage: 'server',
      validityDays: 365,
    });
    const body: SecretObject = {
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'kubernetes.io/tls',
      metadata: {
        ...(existing?.metadata ?? {}),
        name: o.secretName,
        namespace: o.namespace,
        managedFields: undefined,
      },
      data: { 'ca.crt': b64(ca.certPem), 'tls.crt': b64(leaf.certPem), 'tls.key': b64(leaf.keyPem) },
    };
    try {
      if (existing) await o.client.replace(ref, body);
      else await o.client.create({ ...ref, name: undefined }, body);
      o.log.info(
        { secret: o.secretName },
        existing ? 'webhook certificate renewed' : 'webhook certificate created',
      );
      return { caPem: ca.certPem, certPem: leaf.certPem, keyPem: leaf.keyPem };
    } catch (err) {
      if ((isAlreadyExists(err) || isConflict(err)) && attempt < 5) continue; // another replica won: read theirs
      throw err;
    }
  }
}

/** Serves whatever the Secret holds now, renewing when due. */
export function selfManagedCertificate(
  o: SelfManagedCertificateOptions,
): CertificateSource & { caPem(): string } {
  let ca = '';
  return {
    async load() {
      const cert = await ensureSelfManagedCertificate(o);
      ca = cert.caPem;
      return cert;
    },
    caPem: () => ca,
  };
}

interface WebhookConfiguration extends KubeObject {
  webhooks?: {
    name: string;
    clientConfig?: { caBundle?: string; [k: string]: unknown };
    [k: string]: unknown;
  }[];
}

/**
 * Sets `caBundle` of every webhook in the ValidatingWebhookConfiguration `name` to `caPem`. Returns
 * whether it wrote; waits and retries while the configuration does not exist yet or changes under it.
 */
export async function injectCaBundle(
  client: KubeClient,
  name: string,
  caPem: string,
  signal: AbortSignal,
  log: Logger,
): Promise<boolean> {
  const ref = validatingWebhookConfigurationRef(name);
  const bundle = b64(caPem);
  while (!signal.aborted) {
    try {
      const config = await client.get<WebhookConfiguration>(ref);
      const webhooks = config.webhooks ?? [];
      if (webhooks.every((w) => w.clientConfig?.caBundle === bundle)) return false;
      for (const w of webhooks) w.clientConfig = { ...w.clientConfig, caBundle: bundle };
      await client.replace(ref, { ...config, webhooks });
      log.info({ webhookConfiguration: name }, 'caBundle injected');
      return true;
    } catch (err) {
      if (isNotFound(err))
        log.warn({ webhookConfiguration: name }, 'webhook configuration not found yet; retrying');
      else if (!isConflict(err))
        log.warn({ err, webhookConfiguration: name }, 'caBundle injection failed; retrying');
      await sleep(isConflict(err) ? 100 : 5_000, signal);
    }
  }
  return false;
}
