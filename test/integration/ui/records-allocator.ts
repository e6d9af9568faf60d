/**
 * An allocator for the records page's tests and benchmark: one process on a NATS bucket of its own,
 * serving the groups it is given, with API keys (or none: open mode), and a small client of its API.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { hashApiKey } from '#allocator/http/index';
import { AllocatorProcess, type Json } from '../allocator/allocator-process.ts';

export interface KeySpec {
  name: string;
  scopes: Array<'request' | 'match' | 'read'>;
  groups?: string[];
}

export interface GroupSpec {
  name: string;
  numbers: string[];
  expirySeconds: number;
  uniqueDnis: boolean;
  accessCode: boolean;
}

/** `count` numbers +1800<base><index>, 11 digits after the country code. */
export function numbers(base: number, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `+1800${String(base * 10_000 + i).padStart(7, '0')}`);
}

function groupYaml(g: GroupSpec): string {
  return [
    'apiVersion: clicktocall.dev/v1alpha1',
    'kind: ClickToCallInGroup',
    `metadata: { name: ${g.name} }`,
    'spec:',
    `  groupName: ${g.name}`,
    `  expirySeconds: ${g.expirySeconds}`,
    `  uniqueDnis: ${g.uniqueDnis}`,
    `  accessCode: { generate: ${g.accessCode}, length: 6 }`,
    '  dnisPool:',
    ...g.numbers.map((n) => `    - { number: '${n}' }`),
    '---',
    '',
  ].join('\n');
}

export interface Answer {
  status: number;
  body: Json;
}

export interface RecordsAllocator {
  readonly url: string;
  /** The page. */
  readonly pageUrl: string;
  /** The key of each configured key spec, by name. */
  readonly keys: Readonly<Record<string, string>>;
  call(method: 'GET' | 'POST' | 'DELETE', route: string, key?: string, body?: unknown): Promise<Answer>;
  stop(): Promise<void>;
}

/** Starts the allocator; `keys` undefined: open mode. `name` names its bucket, folder and log. */
export async function startRecordsAllocator(options: {
  name: string;
  natsUrl: string;
  logDir: string;
  groups: GroupSpec[];
  keys?: KeySpec[];
  args?: string[];
}): Promise<RecordsAllocator> {
  const dir = await mkdtemp(path.join(tmpdir(), `c2c-${options.name}-`));
  const bucket = `${options.name}-${randomBytes(4).toString('hex')}`;
  const keys: Record<string, string> = {};
  const args = [
    ...['--nats-url', options.natsUrl, '--nats-bucket', bucket, '--groups-dir', path.join(dir, 'groups')],
    ...['--rate-limit-rps', '0', '--nats-marker-ttl-ms', '1000', ...(options.args ?? [])],
  ];
  await mkdir(path.join(dir, 'groups'));
  await writeFile(path.join(dir, 'groups', 'groups.yaml'), options.groups.map(groupYaml).join(''));
  if (options.keys) {
    const lines = options.keys.map((k) => {
      keys[k.name] = `${k.name}-${randomBytes(12).toString('hex')}`;
      const groups = k.groups ? `, groups: [${k.groups.join(', ')}]` : '';
      return `- { name: ${k.name}, sha256: ${hashApiKey(keys[k.name] as string)}, scopes: [${k.scopes.join(', ')}]${groups} }`;
    });
    await writeFile(path.join(dir, 'keys.yaml'), `${lines.join('\n')}\n`);
    args.push('--api-keys-file', path.join(dir, 'keys.yaml'));
  }
  const allocator = await AllocatorProcess.start(`allocator-${bucket}`, args, options.logDir);
  return {
    url: allocator.url,
    pageUrl: `${allocator.url}/ui/`,
    keys,
    async call(method, route, key, body) {
      const { status, body: answer } = await allocator.request(method, route, key, body);
      return { status, body: answer };
    },
    async stop() {
      await allocator.stop();
      const nc = await connect({ servers: options.natsUrl });
      try {
        await (await jetstreamManager(nc)).streams.delete(`KV_${bucket}`).catch(() => undefined);
      } finally {
        await nc.close();
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
