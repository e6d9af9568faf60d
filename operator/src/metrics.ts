import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { GroupObject } from '#api';
import type { InformerEvent } from '#lib/kube';
import type { ReconcileOutcome } from './controller/controller.ts';

/** The operator's Prometheus metrics, in a registry of their own. */
export interface OperatorMetrics {
  registry: Registry;
  reconciles: Counter<'result'>;
  reconcileDuration: Histogram<'result'>;
  queueDepth: Gauge;
  configMapWrites: Counter<'action'>;
  informerEvents: Counter<'informer' | 'type'>;
  leader: Gauge;
  webhookRequests: Counter<'operation' | 'result'>;
  webhookDuration: Histogram<'operation'>;
  observeReconcile(outcome: ReconcileOutcome, seconds: number): void;
  observeInformer(event: InformerEvent): void;
}

/** `groups` lists the groups as the cache holds them; the group gauges read it at scrape time. */
export function createMetrics(groups: () => Iterable<GroupObject>): OperatorMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'c2c_operator_' });
  const reconciles = new Counter({
    name: 'c2c_operator_reconciles_total',
    help: 'Reconciles of groups by result: success, terminal (needs a person), requeue, error (retried).',
    labelNames: ['result'] as const,
    registers: [registry],
  });
  const reconcileDuration = new Histogram({
    name: 'c2c_operator_reconcile_duration_seconds',
    help: 'Time of one reconcile.',
    labelNames: ['result'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const queueDepth = new Gauge({
    name: 'c2c_operator_queue_depth',
    help: 'Keys waiting in the work queue (including those waiting for a backoff).',
    registers: [registry],
  });
  const configMapWrites = new Counter({
    name: 'c2c_operator_config_map_writes_total',
    help: 'Writes of group ConfigMaps by action: created, updated, deleted.',
    labelNames: ['action'] as const,
    registers: [registry],
  });
  const informerEvents = new Counter({
    name: 'c2c_operator_informer_events_total',
    help: 'List/watch lifecycle events by informer and type (list, connect, reconnect, gone, watchdog, resync, error).',
    labelNames: ['informer', 'type'] as const,
    registers: [registry],
  });
  const leader = new Gauge({
    name: 'c2c_operator_leader',
    help: '1 while this replica holds the leader Lease.',
    registers: [registry],
  });
  const webhookRequests = new Counter({
    name: 'c2c_operator_webhook_requests_total',
    help: 'AdmissionReview requests by operation and result: allowed, denied, bad_request, error.',
    labelNames: ['operation', 'result'] as const,
    registers: [registry],
  });
  const webhookDuration = new Histogram({
    name: 'c2c_operator_webhook_duration_seconds',
    help: 'Time to answer one AdmissionReview.',
    labelNames: ['operation'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  new Gauge({
    name: 'c2c_operator_groups',
    help: 'Groups by their Ready condition status and reason.',
    labelNames: ['ready', 'reason'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const { status } of groups()) {
        const ready = status?.conditions?.find((c) => c.type === 'Ready');
        this.inc({ ready: ready?.status ?? 'Unknown', reason: ready?.reason ?? 'Pending' });
      }
    },
  });
  new Gauge({
    name: 'c2c_operator_groups_not_observed',
    help: 'Groups whose status.observedGeneration is behind metadata.generation (or missing): changes not reconciled yet.',
    registers: [registry],
    collect() {
      let behind = 0;
      for (const { metadata, status } of groups())
        if ((status?.observedGeneration ?? 0) < (metadata?.generation ?? 0)) behind++;
      this.set(behind);
    },
  });
  return {
    registry,
    reconciles,
    reconcileDuration,
    queueDepth,
    configMapWrites,
    informerEvents,
    leader,
    webhookRequests,
    webhookDuration,
    observeReconcile(outcome, seconds) {
      reconciles.inc({ result: outcome });
      reconcileDuration.observe({ result: outcome }, seconds);
    },
    observeInformer(event) {
      informerEvents.inc({ informer: event.informer, type: event.type });
    },
  };
}
