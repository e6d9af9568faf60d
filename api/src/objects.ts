/** The objects as the API server holds them: a ClickToCallInGroup, and a ConfigMap (published or a CSV source). */
import type { KubeObject } from '#lib/kube';
import type { ClickToCallInGroupSpec, ClickToCallInGroupStatus } from '../generated/types.ts';

export interface GroupObject extends KubeObject {
  spec?: ClickToCallInGroupSpec;
  status?: ClickToCallInGroupStatus;
}

export interface ConfigMapObject extends KubeObject {
  data?: Record<string, string>;
}
