import path from 'node:path';
import { NatsServer } from './nats-server.ts';
import { freePort } from './ports.ts';
import { TcpProxy } from './tcp-proxy.ts';

export interface NatsClusterOptions {
  /** JetStream fsync on every write instead of the lazy default. */
  syncAlways?: boolean;
  size?: number;
}

/**
 * A nats-server cluster on loopback (three nodes by default), JetStream on every node, each with its
 * own store. Every route between two nodes runs through a TCP proxy of its own, so that a test can
 * cut a node off from its peers (`partition`) while clients still reach it.
 */
export class NatsCluster {
  readonly name: string;
  readonly nodes: NatsServer[] = [];
  readonly #dir: string;
  readonly #logDir: string;
  readonly #options: NatsClusterOptions;
  /** proxies[i][j]: node i's route to node j. */
  readonly #proxies: TcpProxy[][] = [];

  constructor(name: string, dir: string, logDir: string, options: NatsClusterOptions = {}) {
    this.name = name;
    this.#dir = dir;
    this.#logDir = logDir;
    this.#options = options;
  }

  /** Client URLs of every node, comma-separated (the seed list clients are given). */
  get urls(): string {
    return this.nodes.map((n) => n.info.url).join(',');
  }

  nodeName(i: number): string {
    return `${this.name}-n${i}`;
  }

  async start(): Promise<void> {
    const size = this.#options.size ?? 3;
    const clusterPorts = await Promise.all(Array.from({ length: size }, () => freePort()));
    for (let i = 0; i < size; i++) {
      const row: TcpProxy[] = [];
      for (let j = 0; j < size; j++) {
        const proxy = new TcpProxy(clusterPorts[j] as number);
        if (i !== j) await proxy.start();
        row.push(proxy);
      }
      this.#proxies.push(row);
    }
    for (let i = 0; i < size; i++) {
      const routes = this.#proxies[i]
        ?.map((p, j) => (j === i ? undefined : `nats-route://127.0.0.1:${p.port}`))
        .filter((r): r is string => r !== undefined) as string[];
      this.nodes.push(
        new NatsServer(path.join(this.#dir, `n${i}`), this.#logDir, {
          name: this.nodeName(i),
          ...(this.#options.syncAlways ? { syncAlways: true } : {}),
          cluster: { name: this.name, port: clusterPorts[i] as number, routes },
        }),
      );
    }
    await Promise.all(this.nodes.map((n) => n.start()));
    await this.waitForMetaLeader();
    await this.assertRoutesThroughProxies(clusterPorts);
  }

  /**
   * No route runs to a peer's own cluster port (a route a node dialled shows the port it dialled): a
   * direct route would survive `partition` and leave the "cut off" node talking to a peer.
   */
  async assertRoutesThroughProxies(clusterPorts: readonly number[]): Promise<void> {
    for (let i = 0; i < this.nodes.length; i++) {
      const direct = (await this.routesOf(i)).filter((r) => clusterPorts.includes(r.port));
      if (direct.length > 0)
        throw new Error(
          `${this.nodeName(i)} has routes past the proxies: ${direct.map((r) => `${r.remote_name} on port ${r.port}`).join(', ')}`,
        );
    }
  }

  /** Node `i`'s routes as its monitoring endpoint lists them (`/routez`). */
  async routesOf(i: number): Promise<{ port: number; remote_name: string }[]> {
    const node = this.nodes[i];
    if (!node) throw new Error(`no node ${i} in ${this.name}`);
    const routez = (await (await fetch(`${node.info.monitorUrl}/routez`)).json()) as {
      routes?: { port: number; remote_name: string }[];
    };
    return routez.routes ?? [];
  }

  /** Until every node knows the JetStream meta leader and all its peers (streams can be created). */
  async waitForMetaLeader(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const views = await Promise.all(
        this.nodes.map((n) =>
          fetch(`${n.info.monitorUrl}/jsz`)
            .then((r) => r.json() as Promise<{ meta_cluster?: { leader?: string; cluster_size?: number } }>)
            .catch(() => undefined),
        ),
      );
      if (views.every((v) => v?.meta_cluster?.leader && v.meta_cluster.cluster_size === this.nodes.length))
        return;
      if (Date.now() > deadline)
        throw new Error(`${this.name}: no JetStream meta leader within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** The index of the node with this server name. */
  indexOf(serverName: string): number {
    const i = this.nodes.findIndex((_, k) => this.nodeName(k) === serverName);
    if (i < 0) throw new Error(`no node named ${serverName} in ${this.name}`);
    return i;
  }

  /** Cuts node `i` off from every peer (both directions); its clients still reach it. */
  partition(i: number): void {
    this.#proxies.forEach((row, a) =>
      row.forEach((proxy, b) => {
        if (a !== b && (a === i || b === i)) proxy.cut();
      }),
    );
  }

  heal(): void {
    for (const row of this.#proxies) for (const proxy of row) proxy.heal();
  }

  async stop(): Promise<void> {
    await Promise.allSettled(this.nodes.map((n) => n.stop()));
    await Promise.allSettled(this.#proxies.flat().map((p) => p.stop()));
  }
}
