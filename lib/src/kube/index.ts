/**
 * Kubernetes I/O shared by the operator and the allocator: a JSON client with typed errors, a
 * list → watch informer (relist on 410, watchdog, periodic relist, reconnect backoff, lifecycle events
 * for metrics), Lease-based leader election and an Event recorder.
 *
 * ```ts
 * const client = new KubeClient(loadKubeConfig(flags.kubeconfig));
 * const groups = new Informer(client, {
 *   name: 'group-configs',
 *   resource: { group: '', version: 'v1', plural: 'configmaps', namespace: 'contact-centre' },
 *   labelSelector: 'clicktocall.dev/role=group-config',
 * });
 * groups.onAdd(upsert).onUpdate(upsert).onDelete(remove);
 * groups.events.on('event', (e) => metrics.informerEvents.inc({ informer: e.informer, type: e.type }));
 * void groups.run(abort.signal);
 * await groups.waitForSync();
 * ```
 */
export { Backoff, sleep, type BackoffOptions } from './backoff.ts';
export {
  KubeClient,
  KubeError,
  KubeErrorCode,
  isAlreadyExists,
  isConflict,
  isGone,
  isNotFound,
  loadKubeConfig,
  resourcePath,
  type KubeObject,
  type ObjectList,
  type ObjectMeta,
  type OwnerReference,
  type PatchType,
  type Query,
  type RawWatchEvent,
  type RequestOptions,
  type ResourceRef,
} from './client.ts';
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
