import http from 'node:http';
import type { Registry } from 'prom-client';
import type { Logger } from '#lib';
import type { LeaderElector } from '#lib/kube';

/** Something with a blocking start: it runs until `signal` aborts, then resolves. */
export interface Runnable {
  name: string;
  /** True: runs only while this replica leads. */
  needLeaderElection: boolean;
  start(signal: AbortSignal): Promise<void>;
}

/** A server started first and stopped last, so probes answer while the rest drains. */
export interface Server {
  name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface ManagerOptions {
  log: Logger;
  registry: Registry;
  /** Ports of /healthz + /readyz and of /metrics (one server when equal). */
  healthPort: number;
  metricsPort: number;
  bindAddress: string;
  /** Without one, leader runnables start at once. */
  elector?: LeaderElector;
  onLeaderChange?(leading: boolean): void;
}

/**
 * Runs the operator's parts in order, like controller-runtime's manager: the probe/metrics server,
 * then servers (webhook), then caches and other runnables, then — once elected — the controllers.
 * Stopping goes the other way: controllers, then caches, then servers, probes last.
 */
export class Manager {
  readonly #o: ManagerOptions;
  readonly #runnables: Runnable[] = [];
  readonly #servers: Server[] = [];
  readonly #readyChecks = new Map<string, () => boolean>();
  readonly #httpServers: http.Server[] = [];
  readonly #leaderScope = new AbortController();
  readonly #cacheScope = new AbortController();
  #leaderDone: Promise<'lost' | 'stopped'> = Promise.resolve('stopped');
  #cachesDone: Promise<unknown> = Promise.resolve();
  #stopping = false;

  constructor(options: ManagerOptions) {
    this.#o = options;
  }

  add(runnable: Runnable): this {
    this.#runnables.push(runnable);
    return this;
  }

  addServer(server: Server): this {
    this.#servers.push(server);
    return this;
  }

  /** /readyz answers 200 only while every check is true. */
  addReadyCheck(name: string, check: () => boolean): this {
    this.#readyChecks.set(name, check);
    return this;
  }

  /** The ports the probe and metrics servers listen on (after start). */
  get httpPorts(): number[] {
    return this.#httpServers.map((s) => {
      const a = s.address();
      return a && typeof a === 'object' ? a.port : 0;
    });
  }

  /**
   * Starts everything; resolves with 'lost' if leadership is lost (the process should exit so that a
   * fresh replica campaigns) or 'stopped' after `stop()`.
   */
  async start(): Promise<'lost' | 'stopped'> {
    const { log } = this.#o;
    await this.#startHttp();
    for (const s of this.#servers) await s.start();
    const others = this.#runnables.filter((r) => !r.needLeaderElection);
    this.#cachesDone = Promise.allSettled(others.map((r) => this.#run(r, this.#cacheScope.signal)));
    const leaderRunnables = this.#runnables.filter((r) => r.needLeaderElection);
    const lead = async (signal: AbortSignal) => {
      log.info('leading: starting controllers');
      this.#o.onLeaderChange?.(true);
      await Promise.allSettled(leaderRunnables.map((r) => this.#run(r, signal)));
      this.#o.onLeaderChange?.(false);
    };
    this.#leaderDone = this.#o.elector
      ? this.#o.elector.run(this.#leaderScope.signal, lead)
      : lead(this.#leaderScope.signal).then(() => 'stopped' as const);
    return this.#leaderDone;
  }

  async #run(r: Runnable, signal: AbortSignal): Promise<void> {
    try {
      await r.start(signal);
    } catch (err) {
      this.#o.log.error({ err, runnable: r.name }, 'runnable failed');
      throw err;
    }
  }

  /** Stops controllers (releasing the Lease), then caches, then servers, then probes. */
  async stop(): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    this.#leaderScope.abort();
    await this.#leaderDone;
    this.#cacheScope.abort();
    await this.#cachesDone;
    for (const s of [...this.#servers].reverse()) await s.stop();
    await Promise.all(this.#httpServers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }

  async #startHttp(): Promise<void> {
    const { healthPort, metricsPort, bindAddress, registry } = this.#o;
    const handler =
      (servesProbes: boolean, servesMetrics: boolean) =>
      (req: http.IncomingMessage, res: http.ServerResponse) => {
        const url = (req.url ?? '/').split('?')[0];
        if (servesProbes && url === '/healthz')
          return void res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
        if (servesProbes && url === '/readyz') {
          const failing = [...this.#readyChecks].filter(([, check]) => !check()).map(([name]) => name);
          if (this.#stopping) failing.push('shutting-down');
          res.writeHead(failing.length ? 503 : 200, { 'content-type': 'text/plain' });
          return void res.end(failing.length ? `not ready: ${failing.join(', ')}\n` : 'ok\n');
        }
        if (servesMetrics && url === '/metrics') {
          registry.metrics().then(
            (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
            (err: unknown) => res.writeHead(500).end(String(err)),
          );
          return;
        }
        res.writeHead(404).end();
      };
    const listen = (port: number, probes: boolean, metrics: boolean) =>
      new Promise<void>((resolve, reject) => {
        const server = http.createServer(handler(probes, metrics));
        server.once('error', reject);
        server.listen(port, bindAddress, () => {
          server.off('error', reject);
          this.#httpServers.push(server);
          resolve();
        });
      });
    if (healthPort === metricsPort) await listen(healthPort, true, true);
    else {
      await listen(healthPort, true, false);
      await listen(metricsPort, false, true);
    }
    this.#o.log.info({ ports: this.httpPorts }, 'probe and metrics server listening');
  }
}
