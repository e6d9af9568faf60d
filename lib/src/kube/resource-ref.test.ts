import { describe, expect, it } from 'vitest';
import {
  ResourceTypes,
  configMapRef,
  leaseRef,
  namespaceRef,
  resourcePath,
  resourceRef,
  validatingWebhookConfigurationRef,
} from './resource-ref.ts';

describe('resourcePath', () => {
  it.each([
    [configMapRef('contact-centre'), '/api/v1/namespaces/contact-centre/configmaps'],
    [configMapRef('contact-centre', 'a b'), '/api/v1/namespaces/contact-centre/configmaps/a%20b'],
    [configMapRef(), '/api/v1/configmaps'],
    [namespaceRef('contact-centre'), '/api/v1/namespaces/contact-centre'],
    [leaseRef('ops', 'operator'), '/apis/coordination.k8s.io/v1/namespaces/ops/leases/operator'],
    [
      validatingWebhookConfigurationRef('groups'),
      '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/groups',
    ],
    [
      resourceRef(
        { group: 'clicktocall.dev', version: 'v1alpha1', plural: 'clicktocallingroups' },
        'cc',
        'g',
      ),
      '/apis/clicktocall.dev/v1alpha1/namespaces/cc/clicktocallingroups/g',
    ],
  ])('%o → %s', (ref, path) => {
    expect(resourcePath(ref)).toBe(path);
  });

  it('addresses a subresource of a named object only', () => {
    expect(resourcePath({ ...configMapRef('ns', 'a'), subresource: 'status' })).toBe(
      '/api/v1/namespaces/ns/configmaps/a/status',
    );
    expect(resourcePath({ ...configMapRef('ns'), subresource: 'status' })).toBe(
      '/api/v1/namespaces/ns/configmaps',
    );
  });
});

describe('resourceRef', () => {
  it('keeps only the place in the API of a richer description (e.g. one that also names the kind)', () => {
    const kind = { ...ResourceTypes.configMaps, kind: 'ConfigMap' };
    expect(resourceRef(kind, 'ns', 'a')).toEqual({
      group: '',
      version: 'v1',
      plural: 'configmaps',
      namespace: 'ns',
      name: 'a',
    });
  });
});
