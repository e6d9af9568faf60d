import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from '#lib';
import { notConnected } from './errors.ts';

/** Follows the connection's disconnects and reconnects, and tells who asked about reconnects. */
export class ConnectionStatus {
  readonly #nc: NatsConnection;
  readonly #log: Logger;
  readonly #onReconnect = new Set<() => void>();
  #connected = true;

  constructor(nc: NatsConnection, log: Logger) {
    this.#nc = nc;
    this.#log = log;
    void this.#follow();
  }

  /** False from a disconnect until the reconnect. */
  get connected(): boolean {
    return this.#connected;
  }

  /** While the connection is down, answer at once instead of waiting for a request timeout. */
  assertConnected(op: string): void {
    if (!this.#connected || this.#nc.isClosed()) throw notConnected(op);
  }

  /** Calls `listener` after every reconnect; returns what stops that. */
  onReconnect(listener: () => void): () => void {
    this.#onReconnect.add(listener);
    return () => this.#onReconnect.delete(listener);
  }

  async #follow(): Promise<void> {
    for await (const s of this.#nc.status()) {
      if (s.type === 'disconnect') {
        this.#connected = false;
        this.#log.warn('NATS connection lost; reconnecting');
      } else if (s.type === 'reconnect') {
        this.#connected = true;
        this.#log.info('NATS connection restored; restarting watches');
        for (const listener of this.#onReconnect) listener();
      }
    }
  }
}
