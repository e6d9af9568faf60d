import { connect, credsAuthenticator, type NatsConnection } from '@nats-io/transport-node';
import { errorMessage } from '#lib';
import { StoreCode, StoreError } from '../store.ts';
import type { NatsStoreOptions } from './options.ts';

/** nats-server release that introduced per-message TTL (ADR-43). */
const MIN_SERVER_VERSION = [2, 11, 0] as const;

/** Connects to the seeds, reconnecting for ever. Throws `STORE_UNAVAILABLE`. */
export async function connectToNats(options: NatsStoreOptions): Promise<NatsConnection> {
  try {
    return await connect({
      servers: seedList(options.url),
      name: options.connectionName ?? 'c2c-allocator',
      maxReconnectAttempts: -1,
      // Reconnect across the seeds (and the nodes the servers tell about) quickly, with jitter, so
      // that replicas reconnecting after a node loss do not arrive all at once.
      reconnectTimeWait: 500,
      reconnectJitter: 500,
      reconnectJitterTLS: 1_000,
      timeout: 10_000,
      // No stack capture per request: measurable CPU at thousands of requests a second.
      noAsyncTraces: true,
      ...(options.credentials ? { authenticator: credsAuthenticator(options.credentials) } : {}),
      ...(options.caFile ? { tls: { caFile: options.caFile } } : {}),
    });
  } catch (err) {
    throw new StoreError(
      StoreCode.Unavailable,
      `cannot connect to NATS at ${redactUrl(options.url)}: ${errorMessage(err)}`,
      { cause: err },
    );
  }
}

/** Throws `STORE_UNSUPPORTED` when the server is older than per-message TTL. */
export function requirePerMessageTtl(nc: NatsConnection): void {
  const version = nc.info?.version ?? '0.0.0';
  if (compareVersions(version, MIN_SERVER_VERSION) < 0) {
    throw new StoreError(
      StoreCode.Unsupported,
      `nats-server ${version} has no per-message TTL; the allocator needs nats-server ${MIN_SERVER_VERSION.join('.')} or newer`,
      { details: { serverVersion: version } },
    );
  }
}

export function compareVersions(version: string, min: readonly number[]): number {
  const parts = version
    .replace(/^v/, '')
    .split(/[.-]/)
    .map((p) => Number.parseInt(p, 10));
  for (let i = 0; i < min.length; i++) {
    const d = (Number.isFinite(parts[i]) ? (parts[i] as number) : 0) - (min[i] as number);
    if (d !== 0) return d;
  }
  return 0;
}

/** `a,b,c` → the seed URLs, each trimmed. */
export function seedList(url: string): string[] {
  return url
    .split(',')
    .map((u) => u.trim())
    .filter(Boolean);
}

function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}
