/**
 * The name call-in requests use for a group: `spec.groupName`, or `metadata.name` when the spec does
 * not set one (the CRD documents this default). `undefined` when neither is known.
 */
export function groupNameOf(spec: unknown, metadataName: string): string;
export function groupNameOf(spec: unknown, metadataName: string | undefined): string | undefined;
export function groupNameOf(spec: unknown, metadataName: string | undefined): string | undefined {
  const named =
    spec !== null && typeof spec === 'object' ? (spec as { groupName?: unknown }).groupName : undefined;
  return typeof named === 'string' ? named : metadataName;
}
