import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { assertRunning, ManagedProcess } from './managed-process.ts';
import { freePort, waitForPort } from './ports.ts';
import { resolveTool } from './tools.ts';

export interface NatsServerInfo {
  url: string;
  monitorUrl: string;
  pid: number;
}

export interface NatsServerOptions {
  /** JetStream fsync on every write instead of the lazy default (see docs/operations.md). */
  syncAlways?: boolean;
  /** Reuse a port and store, e.g. to restart the same server. */
  port?: number;
  name?: string;
  /** Join a cluster: listen for routes on `port`, connect to `routes` (nats-route://host:port). */
  cluster?: { name: string; port: number; routes: string[] };
}

/** nats-server with JetStream on a free loopback port, its store in `dir`. */
export class NatsServer {
  readonly #dir: string;
  readonly #logDir: string;
  readonly #options: NatsServerOptions;
  #process: ManagedProcess | undefined;
  #info: NatsServerInfo | undefined;

  constructor(dir: string, logDir: string, options: NatsServerOptions = {}) {
    this.#dir = dir;
    this.#logDir = logDir;
    this.#options = options;
  }

  get info(): NatsServerInfo {
    if (!this.#info) throw new Error('nats-server not started');
    return this.#info;
  }

  get process(): ManagedProcess | undefined {
    return this.#process;
  }

  async start(): Promise<NatsServerInfo> {
    const bin = resolveTool('nats-server');
    await mkdir(this.#dir, { recursive: true });
    await mkdir(this.#logDir, { recursive: true });
    const port = this.#options.port ?? this.#info?.url.split(':').pop() ?? (await freePort());
    const monitorPort = await freePort();
    const name = this.#options.name ?? 'nats-server';
    const configFile = path.join(this.#dir, `${name}.conf`);
    await writeFile(
      configFile,
      [
        `listen: "127.0.0.1:${port}"`,
        `http: "127.0.0.1:${monitorPort}"`,
        `server_name: "${name}"`,
        ...(this.#options.cluster
          ? [
              'cluster {',
              `  name: "${this.#options.cluster.name}"`,
              `  listen: "127.0.0.1:${this.#options.cluster.port}"`,
              `  routes: [${this.#options.cluster.routes.map((r) => `"${r}"`).join(', ')}]`,
              '  connect_retries: -1',
              // Only the routes given. Nodes gossip each other's route address and connect to it
              // directly (an implicit route, past the test's proxy): advertise one that refuses, so
              // the gossiped route fails once and is dropped. no_advertise is about client URLs.
              '  advertise: "127.0.0.1:1"',
              '  no_advertise: true',
              '}',
            ]
          : []),
        'jetstream {',
        `  store_dir: "${path.join(this.#dir, 'jetstream')}"`,
        ...(this.#options.syncAlways ? ['  sync_interval: always'] : []),
        '}',
        '',
      ].join('\n'),
    );
    const args = ['--config', configFile];
    const proc = new ManagedProcess(name, bin, args, this.#logDir);
    this.#process = proc;
    await waitForPort(Number(port), 30_000).catch(async (err: unknown) => {
      await assertRunning(proc);
      throw err;
    });
    const monitorUrl = `http://127.0.0.1:${monitorPort}`;
    for (let i = 0; ; i++) {
      await assertRunning(proc);
      const healthy = await fetch(`${monitorUrl}/healthz?js-enabled-only=true`)
        .then((r) => r.ok)
        .catch(() => false);
      if (healthy) break;
      if (i > 150) throw new Error('nats-server JetStream did not become healthy in 30 s');
      await new Promise((r) => setTimeout(r, 200));
    }
    this.#info = { url: `nats://127.0.0.1:${port}`, monitorUrl, pid: proc.pid };
    return this.#info;
  }

  async stop(): Promise<void> {
    await this.#process?.stop();
  }
}
