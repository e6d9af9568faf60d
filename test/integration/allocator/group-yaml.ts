/** `count` numbers `+1800<base + i>` (seven digits after 1800). */
export function tollFreeNumbers(count: number, base: number): string[] {
  return Array.from({ length: count }, (_, i) => `+1800${String(base + i).padStart(7, '0')}`);
}

/**
 * A ClickToCallInGroup document for a groups folder, ending with its `---` separator: the pool, the
 * expiry, and `extra` spec lines (indented two spaces, e.g. `  uniqueDnis: true`).
 */
export function groupYaml(
  name: string,
  numbers: readonly string[],
  expirySeconds: number,
  extra = '',
): string {
  return `apiVersion: clicktocall.dev/v1alpha1
kind: ClickToCallInGroup
metadata:
  name: ${name}
spec:
  dnisPool:
${numbers.map((n) => `    - { number: '${n}' }`).join('\n')}
  expirySeconds: ${expirySeconds}
${extra}
---
`;
}
