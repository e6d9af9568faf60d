import { createHash, timingSafeEqual } from 'node:crypto';
import { AllocatorCode, AllocatorError } from '../errors.ts';

export const Scopes = ['request', 'match', 'read'] as const;
export type Scope = (typeof Scopes)[number];

/** One configured API key: only its SHA-256 is stored. */
export interface ApiKeyConfig {
  name: string;
  /** Hex SHA-256 of the key (`printf %s "$KEY" | sha256sum`). */
  sha256: string;
  scopes: Scope[];
  /** Groups this key may use; all when absent. */
  groups?: string[];
}

export interface Principal {
  name: string;
  scopes: ReadonlySet<Scope>;
  /** undefined: every group. */
  groups: ReadonlySet<string> | undefined;
}

export const OPEN_PRINCIPAL: Principal = { name: 'open', scopes: new Set(Scopes), groups: undefined };

/** Parses the API keys file's content (JSON, or YAML parsed by the caller): `{ keys: [...] }` or `[...]`. */
export function parseApiKeys(doc: unknown): ApiKeyConfig[] {
  const list = Array.isArray(doc) ? doc : (doc as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(list)) throw new Error('the API keys file must hold a list of keys, or { keys: [...] }');
  return list.map((raw, i) => {
    const k = raw as Partial<ApiKeyConfig>;
    const where = `key ${i + 1}${typeof k.name === 'string' ? ` (${k.name})` : ''}`;
    if (typeof k.name !== 'string' || k.name === '') throw new Error(`${where}: name is required`);
    if (typeof k.sha256 !== 'string' || !/^[0-9a-f]{64}$/i.test(k.sha256)) {
      throw new Error(`${where}: sha256 must be the 64 hex digits of the key's SHA-256`);
    }
    if (
      !Array.isArray(k.scopes) ||
      k.scopes.length === 0 ||
      !k.scopes.every((s) => (Scopes as readonly string[]).includes(s))
    ) {
      throw new Error(`${where}: scopes must list one or more of ${Scopes.join(', ')}`);
    }
    if (
      k.groups !== undefined &&
      !(Array.isArray(k.groups) && k.groups.every((g) => typeof g === 'string'))
    ) {
      throw new Error(`${where}: groups must be a list of group names`);
    }
    return {
      name: k.name,
      sha256: k.sha256.toLowerCase(),
      scopes: k.scopes,
      ...(k.groups ? { groups: k.groups } : {}),
    };
  });
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/**
 * Finds the key a request presents. With no keys configured every request is let in (open mode,
 * refused by main.ts on anything but loopback unless explicitly allowed).
 */
export class ApiKeyAuthenticator {
  #keys: Array<{ digest: Buffer; principal: Principal }>;
  readonly #open: boolean;

  constructor(keys: readonly ApiKeyConfig[]) {
    this.#keys = compile(keys);
    this.#open = keys.length === 0;
  }

  /** Open mode is decided at start: a reload can change the keys, never open the API. */
  get open(): boolean {
    return this.#open;
  }

  /** Takes a new list of keys (a rotated or revoked key takes effect at once). */
  replace(keys: readonly ApiKeyConfig[]): void {
    if (this.#open) throw new Error('the allocator started without API keys; restart it to configure some');
    if (keys.length === 0)
      throw new Error(
        'the API keys file lists no key; keeping the current keys (an empty list would lock everyone out)',
      );
    this.#keys = compile(keys);
  }

  /** The principal for a presented key; UNAUTHENTICATED when missing or unknown. */
  authenticate(presented: string | undefined): Principal {
    if (this.open) return OPEN_PRINCIPAL;
    if (!presented) {
      throw new AllocatorError(
        AllocatorCode.Unauthenticated,
        'an API key is required (x-api-key header or Authorization: Bearer)',
      );
    }
    const digest = createHash('sha256').update(presented, 'utf8').digest();
    let found: Principal | undefined;
    // Compare with every key, in constant time each, so timing tells nothing about which keys exist.
    for (const k of this.#keys) {
      if (timingSafeEqual(digest, k.digest) && !found) found = k.principal;
    }
    if (!found) throw new AllocatorError(AllocatorCode.Unauthenticated, 'the API key is not valid');
    return found;
  }
}

function compile(keys: readonly ApiKeyConfig[]): Array<{ digest: Buffer; principal: Principal }> {
  return keys.map((k) => ({
    digest: Buffer.from(k.sha256, 'hex'),
    principal: { name: k.name, scopes: new Set(k.scopes), groups: k.groups ? new Set(k.groups) : undefined },
  }));
}

export function requireScope(principal: Principal, scope: Scope): void {
  if (!principal.scopes.has(scope)) {
    throw new AllocatorError(
      AllocatorCode.Forbidden,
      `the API key ${principal.name} lacks the ${scope} scope`,
      {
        details: { scope },
      },
    );
  }
}

export function groupAllowed(principal: Principal, groupName: string): boolean {
  return principal.groups === undefined || principal.groups.has(groupName);
}

export function requireGroup(principal: Principal, groupName: string): void {
  if (!groupAllowed(principal, groupName)) {
    throw new AllocatorError(
      AllocatorCode.Forbidden,
      `the API key ${principal.name} may not use group ${JSON.stringify(groupName)}`,
      {
        details: { groupName },
      },
    );
  }
}
