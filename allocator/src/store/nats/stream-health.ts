import { jetstreamManager, type JetStreamManager, type StreamInfo } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from '#lib';

/** A stream can take writes when it has a leader (a clustered stream without quorum has none). */
export function hasLeader(info: StreamInfo): boolean {
  return info.cluster === undefined || typeof info.cluster.leader === 'string';
}

/**
 * A stream just created on a cluster has no leader for a moment, and writes to it find no
 * responder: wait for one (up to 30 s; past that readiness reports it).
 */
export async function waitForStreamLeader(jsm: JetStreamManager, stream: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const info = await jsm.streams.info(stream).catch(() => undefined);
    if (info && hasLeader(info)) return;
    if (Date.now() > deadline) return;
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Asks the stream every `everyMs` whether it has a leader; readiness follows the answer. */
export class StreamLeaderCheck {
  readonly #nc: NatsConnection;
  readonly #stream: string;
  readonly #log: Logger;
  readonly #connected: () => boolean;
  readonly #timer: NodeJS.Timeout | undefined;
  #hasLeader = true;

  constructor(nc: NatsConnection, stream: string, everyMs: number, connected: () => boolean, log: Logger) {
    this.#nc = nc;
    this.#stream = stream;
    this.#connected = connected;
    this.#log = log;
    if (everyMs > 0) {
      this.#timer = setInterval(() => void this.#check(), everyMs);
      this.#timer.unref();
    }
  }

  /** The stream answered with a leader at the last check. */
  get hasLeader(): boolean {
    return this.#hasLeader;
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  async #check(): Promise<void> {
    if (!this.#connected()) return;
    let healthy: boolean;
    try {
      const jsm = await jetstreamManager(this.#nc, { timeout: 2_000 });
      healthy = hasLeader(await jsm.streams.info(this.#stream));
    } catch {
      healthy = false;
    }
    if (healthy !== this.#hasLeader) {
      if (healthy) this.#log.info('the KV bucket has a stream leader again');
      else this.#log.warn('the KV bucket has no stream leader (no quorum?): not ready');
    }
    this.#hasLeader = healthy;
  }
}
