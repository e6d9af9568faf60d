/** A live call-in request, as stored (JSON) in its slot key. */
export interface CallInRequest {
  /** A random UUID. */
  id: string;
  groupName: string;
  /** The number to dial, `+E.164`. */
  number: string;
  description?: string;
  /** Digits, first one 1–9, when the group generates codes. */
  accessCode?: string;
  /** `+E.164`, when the caller gave one. */
  callerNumber?: string;
  userData?: Record<string, unknown>;
  /** The callback this request belongs to (GES Delayed scenario), when the app gave one. */
  callbackServiceId?: string;
  /** The group's uniqueDnis setting when the request was made: the number alone identifies it. */
  uniqueDnis: boolean;
  createdAtMs: number;
  expiresAtMs: number;
  /**
   * The group's coolDownSeconds when the request was made, when above 0: its slot key stays taken
   * this long after the request ends (its TTL is the expiry plus this).
   */
  coolDownSeconds?: number;
  /** The slot key that holds this request. */
  key: string;
}

export type RequestOutcome = 'matched' | 'cancelled' | 'expired';

/**
 * What a remover writes into the removal marker, so every replica learns why a request ended. It
 * carries the request (without userData): with history 1 the removal replaces the request's own
 * message, and a watcher or the records may see the removal without ever having seen the request.
 */
export interface RemovalReason {
  outcome: Exclude<RequestOutcome, 'expired'>;
  id: string;
  atMs: number;
  request?: CallInRequest;
  /**
   * Set when the request's slot key is not removed but kept as a cooling marker (a compare-and-set
   * put with this marker as its value and the cool-down as its TTL): the key is free again at this time.
   */
  coolsUntilMs?: number;
  /**
   * This end's own id: two replicas ending one request alike in the same millisecond write
   * different markers, so a replica that reads the key back knows whether the marker is its own.
   */
  endId?: string;
}

const decoder = new TextDecoder();

export function encodeRecord(value: CallInRequest | RemovalReason): Uint8Array {
  // Buffer.from copies into a pooled slab: cheaper than TextEncoder for values this small.
  return Buffer.from(JSON.stringify(value), 'utf8');
}

/** Parses a stored request; null for anything that is not one (never throws). */
export function decodeRequest(bytes: Uint8Array): CallInRequest | null {
  try {
    const v = JSON.parse(decoder.decode(bytes)) as unknown;
    return isRequest(v) ? v : null;
  } catch {
    return null;
  }
}

function isRequest(value: unknown): value is CallInRequest {
  const v = value as Partial<CallInRequest> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.id === 'string' &&
    typeof v.number === 'string' &&
    typeof v.groupName === 'string' &&
    typeof v.expiresAtMs === 'number' &&
    typeof v.createdAtMs === 'number' &&
    typeof v.key === 'string'
  );
}

/**
 * The removal marker's content for a request ending now; for a request with a cool-down, the
 * cooling marker's, which says until when the key stays taken.
 */
export function removalOf(
  request: CallInRequest,
  outcome: RemovalReason['outcome'],
  atMs: number,
  endId?: string,
): RemovalReason {
  const reason: RemovalReason = { outcome, id: request.id, atMs, request: withoutUserData(request) };
  if (endId !== undefined) reason.endId = endId;
  if (request.coolDownSeconds !== undefined) reason.coolsUntilMs = atMs + request.coolDownSeconds * 1000;
  return reason;
}

/** Until when a request's slot key is taken if nothing ends it before it expires. */
export function busyUntilMs(request: CallInRequest): number {
  return request.expiresAtMs + (request.coolDownSeconds ?? 0) * 1000;
}

/** The seconds a new request's slot key lives: its expiry, then its cool-down. */
export function slotTtlSeconds(settings: { expirySeconds: number; coolDownSeconds: number }): number {
  return settings.expirySeconds + settings.coolDownSeconds;
}

export function withoutUserData(request: CallInRequest): CallInRequest {
  if (request.userData === undefined) return request;
  const { userData: _userData, ...rest } = request;
  return rest;
}

export function decodeRemoval(bytes: Uint8Array): RemovalReason | null {
  try {
    const v = JSON.parse(decoder.decode(bytes)) as Partial<RemovalReason>;
    if (
      (v.outcome === 'matched' || v.outcome === 'cancelled') &&
      typeof v.id === 'string' &&
      typeof v.atMs === 'number'
    ) {
      if (v.coolsUntilMs !== undefined && typeof v.coolsUntilMs !== 'number') delete v.coolsUntilMs;
      if (v.request !== undefined && !(isRequest(v.request) && v.request.id === v.id)) {
        const { request: _request, ...reason } = v;
        return reason as RemovalReason;
      }
      return v as RemovalReason;
    }
    return null;
  } catch {
    return null;
  }
}

export function isLive(request: CallInRequest, nowMs: number): boolean {
  return request.expiresAtMs > nowMs;
}
