/**
 * KV key layout. Keys allow only `[-/_=.a-zA-Z0-9]`, so free-text group names are base64url-encoded.
 *
 *   s.<group>.<digits>.u           the one live request of a unique-DNIS number
 *   s.<group>.<digits>.c<code>     a live request told apart by its access code
 *   s.<group>.<digits>.p<digits>   a live request told apart by its caller number
 *
 * Each live request holds exactly one such "slot" key; its value is the request record.
 */
export const SLOT_PREFIX = 's.';

/** The key filter of every unique-DNIS slot key, whatever the group (`s.<group>.<digits>.u`). */
export const UNIQUE_SLOTS = 's.*.*.u';

export type Discriminator =
  { kind: 'unique' } | { kind: 'code'; accessCode: string } | { kind: 'caller'; callerNumber: string };

export function groupKey(groupName: string): string {
  return Buffer.from(groupName, 'utf8').toString('base64url');
}

const prefixes = new Map<string, string>();

export function groupPrefix(groupName: string): string {
  let prefix = prefixes.get(groupName);
  if (prefix === undefined) {
    // Encoded once per group name; the cache is bounded like the groups themselves, and reset if not.
    if (prefixes.size >= 10_000) prefixes.clear();
    prefix = `${SLOT_PREFIX}${groupKey(groupName)}.`;
    prefixes.set(groupName, prefix);
  }
  return prefix;
}

/** The prefix of every slot key on one number of a group (what a listing of the number reads). */
export function numberPrefix(groupName: string, number: string): string {
  return `${groupPrefix(groupName)}${digits(number)}.`;
}

export function slotKey(groupName: string, number: string, d: Discriminator): string {
  const tail =
    d.kind === 'unique' ? 'u' : d.kind === 'code' ? `c${d.accessCode}` : `p${digits(d.callerNumber)}`;
  return `${groupPrefix(groupName)}${digits(number)}.${tail}`;
}

/** `+18005555555` → `18005555555`. */
export function digits(e164: string): string {
  return e164.replace(/^\+/, '');
}
