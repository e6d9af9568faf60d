/**
 * Kubernetes I/O shared by the operator and the allocator: a JSON client with typed errors, a
 * list → watch informer (relist on 410, watchdog, periodic relist, reconnect backoff, lifecycle events
 * for metrics), Lease-based leader election and an Event recorder.
 *
 * ```ts
 * const client = new KubeClient(loadKubeConfig(flags.kubeconfig));
 * const groups = new Informer(client, {
 *   name: 'group-configs',
 *   resource: configMapRef('contact-centre'),
 *   labelSelector: 'clicktocall.dev/role=group-config',
 * });
 * groups.onAdd(upsert).onUpdate(upsert).onDelete(remove);
 * groups.events.on('event', (e) => metrics.informerEvents.inc({ informer: e.informer, type: e.type }));
 * void groups.run(abort.signal);
 * await groups.waitForSync();
 * ```
 */
export { Backoff, sleep, type BackoffOptions } from './backoff.ts';
export { KubeClient, loadKubeConfig, type PatchType, type RequestOptions } from './client.ts';
export { KubeError, KubeErrorCode, isAlreadyExists, isConflict, isGone, isNotFound } from './errors.ts';
export type { KubeApi, Query, WatchOptions, WriteOptions } from './kube-api.ts';
export type { KubeObject, ObjectList, ObjectMeta, OwnerReference, RawWatchEvent } from './objects.ts';
export {
  ResourceTypes,
  configMapRef,
  eventRef,
  leaseRef,
  namespaceRef,
  resourcePath,
  resourceRef,
  secretRef,
  validatingWebhookConfigurationRef,
  type ResourceRef,
  type ResourceType,
} from './resource-ref.ts';
export { EventRecorder, type EventType } from './event-recorder.ts';
export {
  Informer,
  InformerEventType,
  objectKey,
  type AddHandler,
  type DeleteHandler,
  type InformerEvent,
  type InformerOptions,
  type UpdateHandler,
} from './informer.ts';
export { LeaderElector, microTime, type LeaderElectionEvents, type LeaderElectionOptions } from './lease.ts';
