import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll } from 'vitest';
import { connectNats, harness, uniqueName } from '../../harness/context.ts';
import { AllocatorProcess } from './allocator-process.ts';

export interface ReplicaSet {
  readonly bucket: string;
  readonly dir: string;
  readonly replicas: AllocatorProcess[];
  /** The bucket, read straight from NATS. */
  readonly kv: KV;
  /** Starts one more replica with the same flags (stopped after the block like the others). */
  startReplica(name: string): Promise<AllocatorProcess>;
}

/**
 * For the enclosing describe block: `count` allocator replicas on the harness's nats-server, sharing a
 * bucket of their own and serving the groups of `groupsYaml`; `args` are extra allocator flags. The
 * replicas are stopped, the bucket deleted and the folder removed after the block.
 */
export function useReplicaSet(name: string, groupsYaml: string, args: string[] = [], count = 3): ReplicaSet {
  const bucket = uniqueName(name);
  let dir = '';
  let replicas: AllocatorProcess[] = [];
  let nc: NatsConnection | undefined;
  let kv: KV | undefined;
  let flags: string[] = [];
  const extra: AllocatorProcess[] = [];
  const logDir = () => path.join(harness().workDir, 'logs');

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), `c2c-${name}-`));
    await writeFile(path.join(dir, 'groups.yaml'), groupsYaml);
    flags = [
      ...['--nats-url', harness().natsUrl, '--nats-bucket', bucket, '--groups-dir', dir],
      ...['--rate-limit-rps', '0', '--nats-marker-ttl-ms', '1000'],
      ...args,
    ];
    replicas = await Promise.all(
      Array.from({ length: count }, (_, i) =>
        AllocatorProcess.start(`${bucket}-allocator-${i + 1}`, flags, logDir()),
      ),
    );
    nc = await connectNats();
    kv = await new Kvm(nc).open(bucket);
  });

  afterAll(async () => {
    await Promise.allSettled([...replicas, ...extra].map((r) => r.stop()));
    if (nc) {
      const jsm = await jetstreamManager(nc);
      for (const stream of [`KV_${bucket}`, `C2C_RECORDS_${bucket}`])
        await jsm.streams.delete(stream).catch(() => undefined);
      await nc.close();
    }
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  return {
    bucket,
    get dir() {
      return dir;
    },
    get replicas() {
      return replicas;
    },
    async startReplica(name: string) {
      const replica = await AllocatorProcess.start(`${bucket}-${name}`, flags, logDir());
      extra.push(replica);
      return replica;
    },
    get kv() {
      if (!kv) throw new Error('useReplicaSet: the bucket is opened in beforeAll');
      return kv;
    },
  };
}
