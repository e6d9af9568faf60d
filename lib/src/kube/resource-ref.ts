/** Where a kind lives: `group` is '' for the core API. */
export interface ResourceRef {
  group: string;
  version: string;
  plural: string;
  /** Omit for cluster-scoped resources, or to address all namespaces. */
  namespace?: string;
  name?: string;
  subresource?: 'status' | 'scale';
}

/** A kind's place in the API, without a namespace or a name. */
export type ResourceType = Pick<ResourceRef, 'group' | 'version' | 'plural'>;

/** The built-in kinds this project reads and writes. */
export const ResourceTypes = {
  configMaps: { group: '', version: 'v1', plural: 'configmaps' },
  secrets: { group: '', version: 'v1', plural: 'secrets' },
  namespaces: { group: '', version: 'v1', plural: 'namespaces' },
  events: { group: '', version: 'v1', plural: 'events' },
  leases: { group: 'coordination.k8s.io', version: 'v1', plural: 'leases' },
  validatingWebhookConfigurations: {
    group: 'admissionregistration.k8s.io',
    version: 'v1',
    plural: 'validatingwebhookconfigurations',
  },
} as const satisfies Record<string, ResourceType>;

/** The object `name` of `type` in `namespace`; without `name`, the collection (all namespaces without `namespace`). */
export function resourceRef(type: ResourceType, namespace?: string, name?: string): ResourceRef {
  return { group: type.group, version: type.version, plural: type.plural, namespace, name };
}

export const configMapRef = (namespace?: string, name?: string): ResourceRef =>
  resourceRef(ResourceTypes.configMaps, namespace, name);
export const secretRef = (namespace: string, name?: string): ResourceRef =>
  resourceRef(ResourceTypes.secrets, namespace, name);
export const eventRef = (namespace: string, name?: string): ResourceRef =>
  resourceRef(ResourceTypes.events, namespace, name);
export const leaseRef = (namespace: string, name?: string): ResourceRef =>
  resourceRef(ResourceTypes.leases, namespace, name);
export const namespaceRef = (name?: string): ResourceRef =>
  resourceRef(ResourceTypes.namespaces, undefined, name);
export const validatingWebhookConfigurationRef = (name?: string): ResourceRef =>
  resourceRef(ResourceTypes.validatingWebhookConfigurations, undefined, name);

/** The URL path of a resource, a collection or a subresource. */
export function resourcePath(ref: ResourceRef): string {
  const base = ref.group === '' ? `/api/${ref.version}` : `/apis/${ref.group}/${ref.version}`;
  const ns = ref.namespace ? `/namespaces/${encodeURIComponent(ref.namespace)}` : '';
  const name = ref.name ? `/${encodeURIComponent(ref.name)}` : '';
  const sub = ref.name && ref.subresource ? `/${ref.subresource}` : '';
  return `${base}${ns}/${ref.plural}${name}${sub}`;
}
