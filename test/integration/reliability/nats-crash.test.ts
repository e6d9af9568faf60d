import { Kvm, type KV } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { describe, expect, it } from 'vitest';
import { groupPrefix } from '#allocator/domain/index';
import { eventually } from '../../harness/context.ts';
import { useAllocatorWithOwnNats } from '../allocator/own-nats.ts';

const POOL = 400;
const WORKERS = 12;
/** An answer slower than this counts as a hang (the store's own timeout is 5 s). */
const HANG_MS = 15_000;

interface Answer {
  phase: 'before' | 'down' | 'after';
  status: number;
  code?: string;
  id?: string;
  number?: string;
}

/** Every live lease of a group, read straight from the KV bucket. */
async function leases(kv: KV, group: string): Promise<Map<string, string>> {
  const byId = new Map<string, string>();
  for await (const key of await kv.keys(`${groupPrefix(group)}>`)) {
    const e = await kv.get(key);
    if (!e || e.operation !== 'PUT' || e.value.length === 0) continue;
    const v = e.json<{ id: string; number: string }>();
    byId.set(v.id, v.number);
  }
  return byId;
}

describe('an allocator under load whose nats-server (sync_interval: always) is SIGKILLed and restarted', () => {
  const pool = Array.from(
    { length: POOL },
    (_, i) => `    - { number: '+1800${String(7_000_000 + i)}' }`,
  ).join('\n');
  const own = useAllocatorWithOwnNats(
    'crash',
    `apiVersion: clicktocall.dev/v1alpha1
kind: ClickToCallInGroup
metadata: { name: crash }
spec:
  dnisPool:
${pool}
  uniqueDnis: true
  accessCode: { generate: false }
  expirySeconds: 1800
`,
    { syncAlways: true, args: ['--rate-limit-rps', '0'] },
  );

  it('answers STORE_UNAVAILABLE without hanging, turns not-ready, recovers by itself, loses no acknowledged lease and holds no number twice', async () => {
    const { nats, allocator } = own;
    const answers: Answer[] = [];
    let phase: Answer['phase'] = 'before';
    let running = true;
    const create = async (): Promise<Answer> => {
      const at = phase;
      const res = await fetch(`${allocator.url}/v1/groups/crash/requests`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
        signal: AbortSignal.timeout(HANG_MS),
      });
      const body = (await res.json()) as { id?: string; number?: string; error?: { code: string } };
      return {
        phase: at,
        status: res.status,
        ...(body.error
          ? { code: body.error.code }
          : { id: body.id as string, number: body.number as string }),
      };
    };
    const workers = Array.from({ length: WORKERS }, async () => {
      while (running) {
        answers.push(await create());
        // A light, steady load: each worker has one request in flight, with a pause between.
        await new Promise((r) => setTimeout(r, 20));
      }
    });
    const ok = (p: Answer['phase']) => answers.filter((a) => a.phase === p && a.status === 201).length;

    await eventually('60 acknowledged creates before the crash', async () => ok('before') >= 60);
    nats.process?.killNow();
    await nats.process?.exited;
    phase = 'down';
    await eventually(
      'readiness to fail',
      async () => (await fetch(`${allocator.url}/readyz`)).status === 503,
    );
    await eventually(
      'STORE_UNAVAILABLE answers during the outage',
      async () => answers.filter((a) => a.phase === 'down' && a.code === 'STORE_UNAVAILABLE').length >= 20,
    );
    expect(allocator.process.hasExited).toBe(false);

    await nats.start();
    await eventually(
      'readiness to return',
      async () => (await fetch(`${allocator.url}/readyz`)).status === 200,
      60_000,
    );
    phase = 'after';
    await eventually('60 acknowledged creates after the restart', async () => ok('after') >= 60, 60_000);
    running = false;
    await Promise.all(workers);

    // Only two kinds of answer: created, or a clear "store unavailable" (never a 500, never a hang).
    const kinds = new Set(answers.map((a) => `${a.status} ${a.code ?? ''}`.trim()));
    expect([...kinds].sort()).toEqual(['201', '503 STORE_UNAVAILABLE']);

    const acknowledged = answers.filter((a) => a.status === 201);
    const nc: NatsConnection = await connect({ servers: nats.info.url });
    try {
      const held = await leases(await new Kvm(nc).open('c2c-allocator'), 'crash');
      // Every acknowledged lease is in the restarted server's store, on the number we were given.
      const lost = acknowledged.filter((a) => held.get(a.id as string) !== a.number);
      expect(lost).toEqual([]);
      // No number is held by two leases (unacknowledged creates that landed may hold numbers too).
      const numbers = [...held.values()];
      expect(new Set(numbers).size).toBe(numbers.length);
      console.info(
        `nats crash: ${acknowledged.length} acknowledged creates (${ok('before')} before the SIGKILL, ` +
          `${ok('down')} once reconnected but before ready again, ${ok('after')} after), ${answers.filter((a) => a.status === 503).length} answered ` +
          `STORE_UNAVAILABLE, ${lost.length} lost, ${held.size} leases in the store, ` +
          `${numbers.length - new Set(numbers).size} numbers held twice`,
      );
    } finally {
      await nc.close();
    }
    // The allocator's rebuilt view knows every acknowledged request.
    for (const a of acknowledged.slice(0, 20)) {
      expect((await allocator.get(`/v1/requests/${a.id}`)).state).toBe('live');
    }
  });
});
