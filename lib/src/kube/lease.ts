import { EventEmitter } from 'node:events';
import { sleep } from './backoff.ts';
import { isAlreadyExists, isConflict, isNotFound } from './errors.ts';
import type { KubeApi } from './kube-api.ts';
import type { KubeObject } from './objects.ts';
import { leaseRef, type ResourceRef } from './resource-ref.ts';

interface LeaseSpec {
  holderIdentity?: string | null;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

interface Lease extends KubeObject {
  spec?: LeaseSpec;
}

export interface LeaderElectionOptions {
  namespace: string;
  /** The Lease's name, e.g. `click-to-call-in-operator`. */
  name: string;
  /** This replica's identity (default: hostname + random suffix is the caller's job). */
  identity: string;
  /** How long a lease is valid after its last renewal, as seen by the others (default 15 s). */
  leaseDurationMs?: number;
  /** The leader gives up when it could not renew for this long (default 10 s, < leaseDurationMs). */
  renewDeadlineMs?: number;
  /** Between attempts to acquire or renew (default 2 s). */
  retryPeriodMs?: number;
  /** Clock, for tests. */
  now?: () => number;
}

/** Transitions reported on `events`: `leader` (identity of the current holder), `started`, `stopped`. */
export interface LeaderElectionEvents {
  started: [];
  stopped: [];
  leader: [identity: string];
  error: [err: unknown];
}

/** Formats a Date as a Kubernetes MicroTime (RFC 3339 with exactly six fractional digits). */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/**
 * Leader election over a `coordination.k8s.io/v1` Lease, as client-go does it: a candidate takes the
 * Lease when it is free or has not been renewed for `leaseDurationMs` (measured on the candidate's own
 * clock from when it last saw the record change), the leader renews every `retryPeriodMs`, and
 * optimistic concurrency on `resourceVersion` decides races. On a clean stop the leader releases the
 * Lease (empty holder) so another replica takes over at once.
 */
export class LeaderElector {
  readonly events = new EventEmitter<LeaderElectionEvents>();
  readonly identity: string;
  readonly #client: KubeApi;
  readonly #ref: ResourceRef;
  readonly #leaseDurationMs: number;
  readonly #renewDeadlineMs: number;
  readonly #retryPeriodMs: number;
  readonly #now: () => number;
  #observed: { holder: string; renewTime: string; seenAt: number } | undefined;
  #lease: Lease | undefined;
  #leader = false;
  #lastHolder = '';

  constructor(client: KubeApi, options: LeaderElectionOptions) {
    this.#client = client;
    this.identity = options.identity;
    this.#ref = leaseRef(options.namespace, options.name);
    this.#leaseDurationMs = options.leaseDurationMs ?? 15_000;
    this.#renewDeadlineMs = options.renewDeadlineMs ?? 10_000;
    this.#retryPeriodMs = options.retryPeriodMs ?? 2_000;
    this.#now = options.now ?? Date.now;
  }

  get isLeader(): boolean {
    return this.#leader;
  }

  /**
   * Campaigns until `signal` aborts. While this replica leads, `lead(leading)` runs; `leading` aborts
   * when leadership is lost or `signal` aborts. Resolves after the lease is released (on abort) or when
   * leadership is lost (the caller should then exit, as controller-runtime does, so that no two
   * replicas ever act as leader).
   */
  async run(
    signal: AbortSignal,
    lead: (leading: AbortSignal) => Promise<void> | void,
  ): Promise<'lost' | 'stopped'> {
    while (!signal.aborted && !(await this.#tryAcquireOrRenew())) {
      await sleep(this.#retryPeriodMs, signal);
    }
    if (signal.aborted) return 'stopped';
    this.#leader = true;
    this.events.emit('started');
    const leading = new AbortController();
    const onAbort = () => leading.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    const work = Promise.resolve()
      .then(() => lead(leading.signal))
      .catch((err: unknown) => {
        this.events.emit('error', err);
      });
    let lastRenew = this.#now();
    let outcome: 'lost' | 'stopped' = 'stopped';
    while (!signal.aborted) {
      await sleep(this.#retryPeriodMs, signal);
      if (signal.aborted) break;
      if (await this.#tryAcquireOrRenew()) {
        lastRenew = this.#now();
      } else if (this.#now() - lastRenew > this.#renewDeadlineMs || this.#holderIsOther()) {
        outcome = 'lost';
        break;
      }
    }
    leading.abort();
    signal.removeEventListener('abort', onAbort);
    await work;
    this.#leader = false;
    if (outcome === 'stopped') await this.#release();
    this.events.emit('stopped');
    return outcome;
  }

  #holderIsOther(): boolean {
    const holder = this.#observed?.holder ?? '';
    return holder !== '' && holder !== this.identity;
  }

  #noteHolder(holder: string): void {
    if (holder !== this.#lastHolder) {
      this.#lastHolder = holder;
      if (holder) this.events.emit('leader', holder);
    }
  }

  async #tryAcquireOrRenew(): Promise<boolean> {
    const now = this.#now();
    const durationSeconds = Math.max(1, Math.ceil(this.#leaseDurationMs / 1000));
    try {
      const current = await this.#client.getOrUndefined<Lease>(this.#ref);
      if (!current) {
        const created = await this.#client.create<Lease>(this.#ref, {
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name: this.#ref.name, namespace: this.#ref.namespace },
          spec: {
            holderIdentity: this.identity,
            leaseDurationSeconds: durationSeconds,
            acquireTime: microTime(now),
            renewTime: microTime(now),
            leaseTransitions: 0,
          },
        });
        this.#lease = created;
        this.#observe(created, now);
        return true;
      }
      this.#observe(current, now);
      const spec = current.spec ?? {};
      const holder = spec.holderIdentity ?? '';
      const heldByOther = holder !== '' && holder !== this.identity;
      const observedDurationMs = (spec.leaseDurationSeconds ?? durationSeconds) * 1000;
      if (heldByOther && this.#observed!.seenAt + observedDurationMs > now) return false;
      const next: Lease = {
        ...current,
        spec: {
          ...spec,
          holderIdentity: this.identity,
          leaseDurationSeconds: durationSeconds,
          renewTime: microTime(now),
          acquireTime: holder === this.identity ? spec.acquireTime : microTime(now),
          leaseTransitions:
            holder === this.identity ? (spec.leaseTransitions ?? 0) : (spec.leaseTransitions ?? 0) + 1,
        },
      };
      const updated = await this.#client.replace<Lease>(this.#ref, next);
      this.#lease = updated;
      this.#observe(updated, now);
      return true;
    } catch (err) {
      if (!isConflict(err) && !isAlreadyExists(err) && !isNotFound(err)) this.events.emit('error', err);
      return false;
    }
  }

  #observe(lease: Lease, now: number): void {
    const holder = lease.spec?.holderIdentity ?? '';
    const renewTime = lease.spec?.renewTime ?? '';
    if (!this.#observed || this.#observed.holder !== holder || this.#observed.renewTime !== renewTime) {
      this.#observed = { holder, renewTime, seenAt: now };
    }
    this.#noteHolder(holder);
  }

  /** Empties the holder so that a waiting replica takes over without waiting for expiry. */
  async #release(): Promise<void> {
    const lease = this.#lease;
    if (!lease || lease.spec?.holderIdentity !== this.identity) return;
    try {
      const now = this.#now();
      await this.#client.replace<Lease>(this.#ref, {
        ...lease,
        spec: {
          ...lease.spec,
          holderIdentity: null,
          leaseDurationSeconds: 1,
          renewTime: microTime(now),
          acquireTime: microTime(now),
        },
      });
    } catch (err) {
      this.events.emit('error', err);
    }
  }
}
