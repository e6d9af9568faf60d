import { JetStreamApiError, JetStreamError, type ApiError } from '@nats-io/jetstream';
import {
  createInbox,
  NoRespondersError,
  TimeoutError,
  type Msg,
  type MsgHdrs,
  type NatsConnection,
  type Subscription,
} from '@nats-io/transport-node';

interface Pending {
  resolve(seq: number): void;
  reject(err: Error): void;
  deadlineMs: number;
}

/**
 * JetStream publishes that wait for their acknowledgement on one wildcard inbox subscription. The
 * client's own request path builds an Error (with a stack) and a timer for every request, a tenth of
 * the allocator's CPU at thousands of creates a second; here a request is a map entry, and one timer
 * sweeps the overdue ones. Answers mean what they mean to `js.publish`: the stream sequence, a
 * `JetStreamApiError` (same codes), `NoRespondersError` when no stream takes the subject, or
 * `TimeoutError` when no answer came in time (the write may still have landed).
 */
export class AckMux {
  readonly #nc: NatsConnection;
  readonly #timeoutMs: number;
  readonly #prefix: string;
  readonly #pending = new Map<string, Pending>();
  readonly #sub: Subscription;
  readonly #sweep: NodeJS.Timeout;
  #next = 0;

  constructor(nc: NatsConnection, timeoutMs: number) {
    this.#nc = nc;
    this.#timeoutMs = timeoutMs;
    this.#prefix = `${createInbox()}.`;
    this.#sub = nc.subscribe(`${this.#prefix}*`, { callback: (_err, msg) => this.#answer(msg) });
    this.#sweep = setInterval(() => this.#expire(), Math.min(100, timeoutMs)).unref();
  }

  /** Publishes and resolves with the acknowledged stream sequence. */
  publish(subject: string, data: Uint8Array, headers: MsgHdrs): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      const token = (this.#next++).toString(36);
      this.#pending.set(token, { resolve, reject, deadlineMs: Date.now() + this.#timeoutMs });
      try {
        this.#nc.publish(subject, data, { reply: `${this.#prefix}${token}`, headers });
      } catch (err) {
        this.#pending.delete(token);
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
  }

  /** Stops listening; requests still waiting fail. */
  close(): void {
    clearInterval(this.#sweep);
    this.#sub.unsubscribe();
    const err = new Error('the NATS store is closed');
    for (const p of this.#pending.values()) p.reject(err);
    this.#pending.clear();
  }

  #answer(msg: Msg): void {
    const token = msg.subject.slice(this.#prefix.length);
    const p = this.#pending.get(token);
    if (!p) return;
    this.#pending.delete(token);
    if (msg.data.length === 0 && msg.headers?.code === 503) {
      p.reject(new NoRespondersError(msg.subject));
      return;
    }
    try {
      const v = msg.json<{ stream?: string; seq?: number; error?: ApiError }>();
      if (v.error) p.reject(new JetStreamApiError(v.error));
      else if (!v.stream || typeof v.seq !== 'number') p.reject(new JetStreamError('invalid ack response'));
      else p.resolve(v.seq);
    } catch (err) {
      p.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  #expire(): void {
    if (this.#pending.size === 0) return;
    const now = Date.now();
    // Insertion order is deadline order (one timeout for all): stop at the first one not yet due.
    for (const [token, p] of this.#pending) {
      if (p.deadlineMs > now) break;
      this.#pending.delete(token);
      p.reject(new TimeoutError());
    }
  }
}
