import { jetstreamManager, JetStreamApiCodes, type JetStreamManager } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import { type Msg, type MsgHdrs, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createLogger } from '#lib';
import { NatsStore, StoreCode } from '#allocator/store/index';
import { AckMux } from '#allocator/store/nats/ack-mux';
import { FirstWriteHeaders } from '#allocator/store/nats/first-write-headers';
import { KvCreate } from '#allocator/store/nats/kv-create';
import { conditionalWriteHeaders, readLastMessage } from '#allocator/store/nats/kv-message';
import { connectNats, eventually, harness, uniqueName } from '../../harness/context.ts';

const log = createLogger('kv-create-parity', { level: 'warn' });
const enc = (s: string) => new TextEncoder().encode(s);

/** A message's headers, order aside: what the server reads from them. */
const headerEntries = (h: MsgHdrs | undefined): [string, string[]][] =>
  h
    ? h
        .keys()
        .sort()
        .map((k): [string, string[]] => [k, h.values(k)])
    : [];

// The store's create (its own publish and acknowledgement path, KvCreate over AckMux) against
// kv.create of @nats-io/kv, so that a client upgrade that changes kv.create fails here instead of
// drifting away unnoticed. Two buckets of the same configuration take the same writes in the same
// order, so their stream sequences match too: the store's bucket, and one made by Kvm.create.
describe('the NATS store creates a key as kv.create does', () => {
  const ourBucket = uniqueName('parity-ours');
  const kvBucket = uniqueName('parity-kv');
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let store: NatsStore;
  /** kv.create's side. */
  let kv: KV;
  /** The KV client on the store's bucket, for deletes and purges as kv does them. */
  let ourKv: KV;
  let acks: AckMux;
  /** The create path alone, without the store's batching and error mapping. */
  let ourCreate: KvCreate;
  /** Every message published on a subject, in arrival order (a core subscription on each bucket). */
  const published = new Map<string, Msg[]>();

  const subject = (bucket: string, key: string) => `$KV.${bucket}.${key}`;
  const keyOf = (bucket: string, subj: string) => subj.slice(`$KV.${bucket}.`.length);
  /** What the core subscription saw on the key's subject, once `count` messages arrived on it. */
  const publishedOn = (bucket: string, key: string, count: number) =>
    eventually(`${count} messages on ${subject(bucket, key)}`, async () => {
      const msgs = published.get(subject(bucket, key)) ?? [];
      return (
        msgs.length >= count &&
        msgs.map((m) => ({
          key: keyOf(bucket, m.subject),
          headers: headerEntries(m.headers),
          data: [...m.data],
        }))
      );
    });
  /** The key's message as the server stored it. */
  const storedIn = async (bucket: string, key: string) => {
    const m = await jsm.streams.getMessage(`KV_${bucket}`, { last_by_subj: subject(bucket, key) });
    return (
      m && { key: keyOf(bucket, m.subject), seq: m.seq, headers: headerEntries(m.header), data: [...m.data] }
    );
  };
  const expectSameStored = async (key: string) => {
    const ours = await storedIn(ourBucket, key);
    expect(ours).toEqual(await storedIn(kvBucket, key));
    return ours;
  };
  /** What a caller can tell of an error: its class, name, message and JetStream codes. */
  const described = (e: unknown) => {
    const err = e as { constructor: unknown; name: string; message: string; code: unknown; status: unknown };
    return {
      class: err.constructor,
      name: err.name,
      message: err.message,
      code: err.code,
      status: err.status,
    };
  };

  beforeAll(async () => {
    nc = await connectNats('kv-create-parity');
    jsm = await jetstreamManager(nc);
    store = await NatsStore.open({ url: harness().natsUrl, bucket: ourBucket, markerTtlMs: 1000, log });
    // The configuration the store gives a bucket it creates (bucket.ts).
    kv = await new Kvm(nc).create(kvBucket, { history: 1, markerTTL: 1000, replicas: 1 });
    ourKv = await new Kvm(nc).open(ourBucket);
    acks = new AckMux(nc, 5_000);
    ourCreate = new KvCreate(acks, `$KV.${ourBucket}.`, (key) =>
      readLastMessage(jsm, `KV_${ourBucket}`, subject(ourBucket, key)),
    );
    for (const bucket of [ourBucket, kvBucket]) {
      nc.subscribe(`$KV.${bucket}.>`, {
        callback: (_err, m) => {
          const list = published.get(m.subject) ?? [];
          list.push(m);
          published.set(m.subject, list);
        },
      });
    }
    await nc.flush();
  });

  afterAll(async () => {
    await store?.close();
    acks?.close();
    await jsm?.streams.delete(`C2C_RECORDS_${ourBucket}`).catch(() => undefined);
    for (const bucket of [ourBucket, kvBucket])
      await jsm?.streams.delete(`KV_${bucket}`).catch(() => undefined);
    await nc?.close();
  });

  it('gives both buckets the same stream configuration', async () => {
    const config = async (bucket: string) => {
      const { name: _name, subjects: _subjects, ...rest } = (await jsm.streams.info(`KV_${bucket}`)).config;
      return rest;
    };
    expect(await config(ourBucket)).toEqual(await config(kvBucket));
  });

  it('publishes and stores a new key with the same subject, headers and payload', async () => {
    const key = 's.parity.new';
    const value = enc('{"dnis":"+18005555554"}');
    const ourRevision = await store.create(key, value, 30);
    const kvRevision = await kv.create(key, value, '30s');
    expect(ourRevision).toBe(kvRevision);

    const ours = await publishedOn(ourBucket, key, 1);
    expect(ours).toEqual(await publishedOn(kvBucket, key, 1));
    expect(ours).toEqual([
      {
        key,
        headers: [
          ['Nats-Expected-Last-Subject-Sequence', ['0']],
          ['Nats-TTL', ['30s']],
        ],
        data: [...value],
      },
    ]);
    expect(await expectSameStored(key)).toMatchObject({ key, seq: ourRevision, headers: ours[0]?.headers });
  });

  it('refuses a second create of a live key with the same JetStream error, which the store reports as STORE_KEY_EXISTS', async () => {
    const key = 's.parity.live';
    await ourCreate.create(key, enc('first'), 30);
    await kv.create(key, enc('first'), '30s');

    const ourErr = await ourCreate.create(key, enc('second'), 30).catch((e: unknown) => e);
    const kvErr = await kv.create(key, enc('second'), '30s').catch((e: unknown) => e);
    expect(described(ourErr)).toEqual(described(kvErr));
    expect(described(ourErr)).toMatchObject({ code: JetStreamApiCodes.StreamWrongLastSequence, status: 400 });
    // Each create's two steps published what kv.create's did: the first write and nothing more.
    const ours = await publishedOn(ourBucket, key, 2);
    expect(ours).toHaveLength(2);
    expect(ours).toEqual(await publishedOn(kvBucket, key, 2));

    await expect(store.create(key, enc('third'), 30)).rejects.toMatchObject({ code: StoreCode.KeyExists });
    expect(described(await kv.create(key, enc('third'), '30s').catch((e: unknown) => e))).toEqual(
      described(kvErr),
    );
    expect(await expectSameStored(key)).toMatchObject({ data: [...enc('first')] });
  });

  for (const removal of ['purge', 'delete'] as const) {
    it(`creates again over a ${removal} marker by expecting the marker's sequence`, async () => {
      const key = `s.parity.${removal}`;
      await store.create(key, enc('before'), 30);
      await kv.create(key, enc('before'), '30s');
      await ourKv[removal](key);
      await kv[removal](key);
      const marker = await expectSameStored(key);

      const ourRevision = await store.create(key, enc('after'), 30);
      const kvRevision = await kv.create(key, enc('after'), '30s');
      expect(ourRevision).toBe(kvRevision);

      // before, the marker, the refused first step, the second step: the same four on both.
      const ours = await publishedOn(ourBucket, key, 4);
      expect(ours).toHaveLength(4);
      expect(ours).toEqual(await publishedOn(kvBucket, key, 4));
      expect(ours.at(-1)?.headers).toEqual([
        ['Nats-Expected-Last-Subject-Sequence', [String(marker?.seq)]],
        ['Nats-TTL', ['30s']],
      ]);
      expect(await expectSameStored(key)).toMatchObject({ seq: ourRevision, data: [...enc('after')] });
    });
  }

  it("sends headers encoded once, the same bytes, through the client's encode", async () => {
    // The store saves encoding its create headers on every publish (first-write-headers.ts). This
    // holds only while the client's publish serialises headers with `encode()`: if this fails
    // after a client upgrade, the saving is gone (the headers sent stay right) and the override can go.
    type Encodable = MsgHdrs & { encode(): Uint8Array };
    const h = new FirstWriteHeaders().forTtl(30) as Encodable;
    expect(h.encode()).toEqual((conditionalWriteHeaders(0, 30) as Encodable).encode());
    expect(h.encode()).toBe(h.encode());
    const encode = vi.spyOn(h, 'encode');
    const plainSubject = uniqueName('encoded-once');
    const sub = nc.subscribe(plainSubject, { max: 1 });
    nc.publish(plainSubject, enc('v'), { headers: h });
    let received: Msg | undefined;
    for await (const m of sub) received = m;
    expect(encode).toHaveBeenCalledTimes(1);
    expect(headerEntries(received?.headers)).toEqual(headerEntries(conditionalWriteHeaders(0, 30)));
  });
});
