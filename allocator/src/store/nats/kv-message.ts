import { PubHeaders, type JetStreamManager } from '@nats-io/jetstream';
import { headers, type MsgHdrs } from '@nats-io/transport-node';
import { MIN_TTL_SECONDS, type StoreEvent } from '../store.ts';
import { isNoMessageFound } from './errors.ts';

// The KV bucket's messages as @nats-io/kv writes and reads them: a key's subject, the headers that
// say what a message is, and the headers of conditional writes.

/** The KV bucket's stream. */
export const streamOf = (bucket: string): string => `KV_${bucket}`;

/** `$KV.<bucket>.`: a key's subject is this followed by the key. */
export const subjectPrefixOf = (bucket: string): string => `$KV.${bucket}.`;

const KV_OPERATION = 'KV-Operation';

/** A key's last message: its operation (`PUT`, `DEL`, `PURGE`), data and stream sequence. */
export interface KvMessage {
  operation: string;
  value: Uint8Array;
  revision: number;
}

/**
 * A message's operation, read as `KvEntry.operation` reads it: the server's expiry marker counts as
 * a purge.
 */
export function operationOf(h: MsgHdrs | undefined): string {
  return h?.get('Nats-Marker-Reason') === 'MaxAge' ? 'PURGE' : h?.get(KV_OPERATION) || 'PUT';
}

/** A live value: a PUT with data (markers the client cannot classify arrive as empty PUTs). */
export function isLivePut(operation: string, value: Uint8Array): boolean {
  return operation === 'PUT' && value.length > 0;
}

/** One of our removals: a marker that carries its reason (the server's expiry marker carries none). */
export function isRemoval(operation: string, value: Uint8Array): boolean {
  return !isLivePut(operation, value) && value.length > 0;
}

/**
 * The change a key's message stands for, at `revision`: a live put, one of our removals, or the
 * server's expiry marker.
 */
export function changeOf(
  key: string,
  revision: number,
  h: MsgHdrs | undefined,
  data: Uint8Array,
): Exclude<StoreEvent, { type: 'snapshot' }> {
  const operation = operationOf(h);
  if (isLivePut(operation, data)) return { type: 'put', key, value: data, revision };
  if (isRemoval(operation, data)) return { type: 'removed', key, revision, reason: data };
  return { type: 'expired', key, revision };
}

/** A TTL as the server takes it: whole seconds, at least the shortest. */
export function wholeTtlSeconds(ttlSeconds: number): number {
  return Math.max(MIN_TTL_SECONDS, Math.ceil(ttlSeconds));
}

/** The headers of a write expecting the key's last sequence (0: absent), with a per-message TTL. */
export function conditionalWriteHeaders(expectedLastSubjectSequence: number, ttlSeconds: number): MsgHdrs {
  const h = headers();
  h.set(PubHeaders.ExpectedLastSubjectSequenceHdr, String(expectedLastSubjectSequence));
  h.set(PubHeaders.MessageTTL, `${ttlSeconds}s`);
  return h;
}

/** The headers of a purge that rolls the key's subject up to this one marker. */
export function purgeHeaders(): MsgHdrs {
  const h = headers();
  h.set(KV_OPERATION, 'PURGE');
  h.set('Nats-Rollup', 'sub');
  return h;
}

/**
 * The last message on `subject`, read from the stream's leader, or null when there is none. A KV get
 * may be answered by any replica (direct get), and a replica still catching up after a restart
 * answers with an older state: a request created a moment ago would not be found by a match. The
 * leader has every acknowledged write.
 */
export async function readLastMessage(
  jsm: JetStreamManager,
  stream: string,
  subject: string,
): Promise<KvMessage | null> {
  try {
    const m = await jsm.streams.getMessage(stream, { last_by_subj: subject });
    if (!m) return null;
    return { operation: operationOf(m.header), value: m.data, revision: m.seq };
  } catch (err) {
    if (isNoMessageFound(err)) return null;
    throw err;
  }
}

/** The NATS subject filter for a key filter, under the bucket's `subjectPrefix` (`$KV.<bucket>.`). */
export function subjectFilterOf(subjectPrefix: string, filter: string): string {
  return filter.endsWith('.') ? `${subjectPrefix}${filter}>` : `${subjectPrefix}${filter}`;
}
