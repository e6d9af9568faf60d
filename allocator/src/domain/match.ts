import { isLive, type CallInRequest } from './call-in-request.ts';

export type MatchCriterion = 'dnis' | 'accessCode' | 'callerNumber';

export interface MatchInput {
  /** The number the caller dialled, `+E.164`. */
  dialledNumber: string;
  callerNumber?: string;
  accessCode?: string;
}

export type MatchVerdict =
  | { matched: true; matchedBy: MatchCriterion[] }
  | {
      matched: false;
      reason: 'expired' | 'other-number' | 'access-code-differs' | 'caller-differs' | 'not-identified';
    };

/**
 * Does `request` answer this incoming call?
 * - The dialled number must be the request's number, and the request must not have expired.
 * - Every criterion given that the request can be checked on must agree: a wrong access code or a
 *   different caller number refuses the match even when the other criterion agrees.
 * - At least one criterion must identify the request: the access code, the caller number, or, for a
 *   unique-DNIS request without an access code, the dialled number alone.
 * An access code given for a request that has none is ignored.
 */
export function judgeMatch(request: CallInRequest, input: MatchInput, nowMs: number): MatchVerdict {
  if (!isLive(request, nowMs)) return { matched: false, reason: 'expired' };
  if (request.number !== input.dialledNumber) return { matched: false, reason: 'other-number' };
  const matchedBy: MatchCriterion[] = ['dnis'];
  if (request.accessCode !== undefined && input.accessCode !== undefined) {
    if (request.accessCode !== input.accessCode) return { matched: false, reason: 'access-code-differs' };
    matchedBy.push('accessCode');
  }
  if (request.callerNumber !== undefined && input.callerNumber !== undefined) {
    if (request.callerNumber !== input.callerNumber) return { matched: false, reason: 'caller-differs' };
    matchedBy.push('callerNumber');
  }
  const identified = matchedBy.length > 1 || (request.uniqueDnis && request.accessCode === undefined);
  return identified ? { matched: true, matchedBy } : { matched: false, reason: 'not-identified' };
}

/**
 * The best of several matching requests: the most criteria agreeing, then the most recent.
 */
export function bestMatch<T extends { request: CallInRequest; matchedBy: MatchCriterion[] }>(
  candidates: T[],
): T | undefined {
  return [...candidates].sort(
    (a, b) => b.matchedBy.length - a.matchedBy.length || b.request.createdAtMs - a.request.createdAtMs,
  )[0];
}
