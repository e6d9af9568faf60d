import { jetstreamManager, JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { headers, NoRespondersError, TimeoutError, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AckMux } from '#allocator/store/nats/ack-mux';
import { connectNats, uniqueName } from '../../harness/context.ts';

// The answers of AckMux against a real nats-server, each as js.publish would give it.
describe('JetStream acknowledgements on one inbox (AckMux)', () => {
  const bucket = uniqueName('ackmux');
  let nc: NatsConnection;
  let acks: AckMux;

  beforeAll(async () => {
    nc = await connectNats('ack-mux-test');
    await new Kvm(nc).create(bucket, { history: 1 });
    acks = new AckMux(nc, 300);
  });

  afterAll(async () => {
    acks.close();
    await (await jetstreamManager(nc)).streams.delete(`KV_${bucket}`).catch(() => undefined);
    await nc.close();
  });

  const expectSeq = (previous: number) => {
    const h = headers();
    h.set('Nats-Expected-Last-Subject-Sequence', String(previous));
    return h;
  };

  it('resolves with the stream sequence, and many at once each with its own', async () => {
    const seqs = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        acks.publish(`$KV.${bucket}.k${i}`, new TextEncoder().encode(`v${i}`), expectSeq(0)),
      ),
    );
    expect(new Set(seqs).size).toBe(50);
    expect(seqs.every((s) => s > 0)).toBe(true);
  });

  it('rejects with the JetStream error code when an expectation fails', async () => {
    await acks.publish(`$KV.${bucket}.taken`, new TextEncoder().encode('a'), expectSeq(0));
    const err = await acks
      .publish(`$KV.${bucket}.taken`, new TextEncoder().encode('b'), expectSeq(0))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JetStreamApiError);
    expect((err as JetStreamApiError).code).toBe(JetStreamApiCodes.StreamWrongLastSequence);
  });

  it('rejects with NoRespondersError when no stream takes the subject', async () => {
    const err = await acks
      .publish(uniqueName('nostream'), new Uint8Array([1]), headers())
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NoRespondersError);
  });

  it('rejects with TimeoutError when a listener never answers', async () => {
    const subject = uniqueName('silent');
    const sub = nc.subscribe(subject);
    await nc.flush();
    const err = await acks.publish(subject, new Uint8Array([1]), headers()).catch((e: unknown) => e);
    sub.unsubscribe();
    expect(err).toBeInstanceOf(TimeoutError);
  });
});
