import type { Logger } from '#lib';
import type { RecordsRetention } from '../store.ts';

export interface NatsStoreOptions {
  /**
   * e.g. `nats://127.0.0.1:4222`, or a comma-separated seed list of a cluster's nodes; user and
   * password may be given in the URL.
   */
  url: string;
  /** Content of a NATS credentials file (JWT + NKey seed). */
  credentials?: Uint8Array;
  /** CA certificate file to verify the server; turns TLS on. */
  caFile?: string;
  bucket: string;
  /**
   * Stream replicas of the bucket (R1 for development, R3 in production): created so, and an
   * existing bucket with another count is refused.
   */
  replicas?: number;
  /** How often the bucket's stream is asked whether it has a leader (ms; readiness follows it). */
  healthCheckMs?: number;
  /** How long the server keeps the marker it writes when a key expires (ms, at least 1000). */
  markerTtlMs?: number;
  /** How long a removal marker lives before the key's subject is empty again (seconds). */
  tombstoneTtlSeconds?: number;
  /**
   * Which changes the records stream keeps, and how long (default: `DEFAULT_RECORDS_RETENTION`); an
   * existing records stream is updated to it.
   */
  records?: RecordsRetention;
  /** Wait for a JetStream acknowledgement this long before reading the key back (ms). */
  timeoutMs?: number;
  connectionName?: string;
  log: Logger;
}

/** `timeoutMs` when not given. */
export const DEFAULT_TIMEOUT_MS = 5_000;
