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

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), `c2c-${name}-`));
    await writeFile(path.join(dir, 'groups.yaml'), groupsYaml);
    const logDir = path.join(harness().workDir, 'logs');
    const all = [
      ...['--nats-url', harness().natsUrl, '--nats-bucket', bucket, '--groups-dir', dir],
      ...['--rate-limit-rps', '0', '--nats-marker-ttl-ms', '1000'],
      ...args,
    ];
    replicas = await Promise.all(
      Array.from({ length: count }, (_, i) =>
        AllocatorProcess.start(`${bucket}-allocator-${i + 1}`, all, logDir),
      ),
    );
    nc = await connectNats();
    kv = await new Kvm(nc).open(bucket);
  });

  afterAll(async () => {
    await Promise.allSettled(replicas.map((r) => r.stop()));
    if (nc) {
      await (await jetstreamManager(nc)).streams.delete(`KV_${bucket}`).catch(() => undefined);
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
    get kv() {
      if (!kv) throw new Error('useReplicaSet: the bucket is opened in beforeAll');
      return kv;
    },
  };
}
