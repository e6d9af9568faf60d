import net from 'node:net';

interface Pair {
  client: net.Socket;
  upstream: net.Socket;
  frozen: boolean;
}

/**
 * A loopback TCP proxy to `127.0.0.1:<targetPort>` that can freeze the connections it carries: a frozen
 * connection stays open but no longer passes the server's bytes on (a watch that goes silent, as behind
 * a NAT or load balancer that lost its state). A frozen connection the client writes to again is reset,
 * as such a middlebox would eventually do, so pooled request sockets fail fast instead of hanging.
 * Connections opened after `freeze()` pass normally. TLS passes through untouched.
 */
export class TcpProxy {
  readonly #targetPort: number;
  readonly #pairs = new Set<Pair>();
  #server: net.Server | undefined;
  #cut = false;

  constructor(targetPort: number) {
    this.#targetPort = targetPort;
  }

  get port(): number {
    const address = this.#server?.address();
    if (!address || typeof address !== 'object') throw new Error('proxy not listening');
    return address.port;
  }

  /** Connections currently open (frozen or not). */
  get connections(): number {
    return this.#pairs.size;
  }

  /** Frozen connections still open. */
  get frozenConnections(): number {
    return [...this.#pairs].filter((p) => p.frozen).length;
  }

  async start(): Promise<void> {
    const server = net.createServer((client) => this.#accept(client));
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
  }

  #accept(client: net.Socket): void {
    if (this.#cut) {
      client.destroy();
      return;
    }
    const upstream = net.connect({ host: '127.0.0.1', port: this.#targetPort });
    const pair: Pair = { client, upstream, frozen: false };
    this.#pairs.add(pair);
    const close = () => {
      this.#pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    upstream.on('data', (chunk: Buffer) => {
      if (!pair.frozen) client.write(chunk);
    });
    client.on('data', (chunk: Buffer) => {
      if (pair.frozen) close();
      else upstream.write(chunk);
    });
    for (const socket of [client, upstream]) {
      socket.on('error', close);
      socket.on('close', close);
    }
  }

  /**
   * Cuts the link, as a network partition does: every connection is closed and new ones are refused
   * until `heal()`.
   */
  cut(): void {
    this.#cut = true;
    for (const pair of this.#pairs) {
      pair.client.destroy();
      pair.upstream.destroy();
    }
    this.#pairs.clear();
  }

  heal(): void {
    this.#cut = false;
  }

  /** Freezes every connection open now; returns how many. */
  freeze(): number {
    for (const pair of this.#pairs) pair.frozen = true;
    return this.#pairs.size;
  }

  async stop(): Promise<void> {
    for (const pair of this.#pairs) {
      pair.client.destroy();
      pair.upstream.destroy();
    }
    this.#pairs.clear();
    const server = this.#server;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
