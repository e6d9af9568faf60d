import { JetStreamApiError } from '@nats-io/jetstream';
import type { AckMux } from './ack-mux.ts';
import { isWrongLastSequence } from './errors.ts';
import { FirstWriteHeaders } from './first-write-headers.ts';
import { conditionalWriteHeaders, wholeTtlSeconds, type KvMessage } from './kv-message.ts';

/**
 * What `kv.create` of @nats-io/kv 3.4.0 does, with the acknowledgement awaited on {@link AckMux}:
 * write if the key's last sequence is 0; when that fails (other than with a JetStream error that is
 * not a wrong last sequence) and the key's last message is a delete or purge marker, write once more
 * expecting that marker's sequence; otherwise the first error stands. The kv.create parity test
 * (test/integration/allocator/kv-create-parity.test.ts) holds the two together.
 */
export class KvCreate {
  readonly #acks: AckMux;
  readonly #subjectPrefix: string;
  readonly #lastMessage: (key: string) => Promise<KvMessage | null>;
  readonly #firstWriteHeaders = new FirstWriteHeaders();

  /** `lastMessage` reads the key's last message, or null when there is none. */
  constructor(acks: AckMux, subjectPrefix: string, lastMessage: (key: string) => Promise<KvMessage | null>) {
    this.#acks = acks;
    this.#subjectPrefix = subjectPrefix;
    this.#lastMessage = lastMessage;
  }

  /**
   * Resolves with the new revision; rejects with what the client's publish would reject with. The TTL
   * is rounded up to whole seconds.
   */
  async create(key: string, value: Uint8Array, ttlSeconds: number): Promise<number> {
    const ttl = wholeTtlSeconds(ttlSeconds);
    const put = (previousSeq: number) =>
      this.#acks.publish(
        `${this.#subjectPrefix}${key}`,
        value,
        previousSeq === 0 ? this.#firstWriteHeaders.forTtl(ttl) : conditionalWriteHeaders(previousSeq, ttl),
      );
    try {
      return await put(0);
    } catch (err) {
      if (err instanceof JetStreamApiError && !isWrongLastSequence(err)) throw err;
      const last = await this.#lastMessage(key);
      if (last?.operation === 'DEL' || last?.operation === 'PURGE') return put(last.revision);
      throw err;
    }
  }
}
