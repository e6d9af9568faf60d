import { DeliverPolicy, type JetStreamClient, type JsMsg } from '@nats-io/jetstream';
import type { Logger } from '#lib';
import {
  StoreError,
  type StoreEntry,
  type StoreEvent,
  type StoreWatch,
  type WatchOptions,
} from '../store.ts';
import type { ConnectionStatus } from './connection-status.ts';
import { unavailable } from './errors.ts';
import { changeOf, subjectFilterOf } from './kv-message.ts';

export interface WatchSource {
  js: JetStreamClient;
  stream: string;
  subjectPrefix: string;
  /** The live entries a key filter matches. */
  snapshot(filter: string): Promise<StoreEntry[]>;
  status: ConnectionStatus;
  log: Logger;
}

/**
 * Watches the keys `filter` matches (see `CoordinationStore.watch`): an ordered push consumer of new
 * messages, then a snapshot; restarted with a fresh snapshot when it ends or the connection comes back.
 */
export async function watchKeys(
  source: WatchSource,
  filter: string,
  onEvent: (event: StoreEvent) => void,
  options: WatchOptions = {},
): Promise<StoreWatch> {
  const { js, stream, subjectPrefix, log } = source;
  let stopped = false;
  let current: { stop(): void } | undefined;
  // Updates first, then the snapshot: nothing written in between is missed, and the receiver drops
  // what is older than the snapshot by revision. Resolves with the end of the watch.
  const start = async (): Promise<{ ended: Promise<void> }> => {
    const buffered: StoreEvent[] = [];
    let synced = false;
    // An ordered push consumer of new messages, read by callback: per message no iterator step,
    // and no decoding of a revision the receiver says it already has (its own writes). Messages are
    // handled at the end of the event-loop turn, after the acknowledgements that arrived with them
    // have let the receiver learn of its own writes.
    let arrived: JsMsg[] = [];
    const handleArrived = () => {
      const batch = arrived;
      arrived = [];
      if (stopped) return;
      for (const m of batch) {
        const key = m.subject.substring(subjectPrefix.length);
        if (options.isKnown?.(key, m.seq)) continue;
        const event = changeOf(key, m.seq, m.headers, m.data);
        if (synced) onEvent(event);
        else buffered.push(event);
      }
    };
    const consumer = await js.consumers.getPushConsumer(stream, {
      filter_subjects: subjectFilterOf(subjectPrefix, filter),
      deliver_policy: DeliverPolicy.New,
    });
    const messages = await consumer.consume({
      callback: (m) => {
        if (arrived.push(m) === 1) setImmediate(handleArrived);
      },
    });
    current = messages;
    const ended = messages.closed().then((err) => {
      if (err) throw err;
    });
    try {
      onEvent({ type: 'snapshot', entries: await source.snapshot(filter) });
    } catch (err) {
      void messages.close();
      throw err;
    }
    synced = true;
    for (const event of buffered) onEvent(event);
    return { ended };
  };
  const restartLoop = async (ended: Promise<void>) => {
    for (;;) {
      await ended.catch((err: unknown) => log.warn({ err }, 'KV watch failed'));
      if (stopped) return;
      log.warn('KV watch ended; restarting with a fresh snapshot');
      for (;;) {
        await new Promise((r) => setTimeout(r, 1_000));
        if (stopped) return;
        try {
          ended = (await start()).ended;
          break;
        } catch (err) {
          log.warn({ err }, 'KV watch restart failed; retrying');
        }
      }
    }
  };
  let first: Promise<void>;
  try {
    first = (await start()).ended;
  } catch (err) {
    throw err instanceof StoreError ? err : unavailable('watch', err);
  }
  void restartLoop(first);
  // After a reconnection the consumer may be gone: end it, and the loop restarts it.
  const stopOnReconnect = source.status.onReconnect(() => current?.stop());
  return {
    stop: async () => {
      stopped = true;
      stopOnReconnect();
      current?.stop();
    },
  };
}
