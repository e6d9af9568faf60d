import { isLive, type CallInRequest } from './call-in-request.ts';

export type MatchCriterion = 'dnis' | 'accessCode' | 'callerNumber';

export interface MatchInput {
  /** The number the caller dialled, `+E.164`. */
  dialledNumber: string;
  callerNumber?: string;
  accessCode?: string;
}

/** Which of the criteria given agreed with a request, and which did not. */
export interface CriteriaResult {
  matchedBy: MatchCriterion[];
  notMatched: MatchCriterion[];
}

export type MatchVerdict =
  | { matched: true; matchedBy: MatchCriterion[] }
  | {
      matched: false;
      reason: 'expired' | 'other-number' | 'access-code-differs' | 'caller-differs' | 'not-identified';
    };

/**
 * Compares each criterion given with the request. An access code or caller number given for a request
 * that has none is neither matched nor not matched: it cannot be checked.
 */
export function compareCriteria(request: CallInRequest, input: MatchInput): CriteriaResult {
  const matchedBy: MatchCriterion[] = [];
  const notMatched: MatchCriterion[] = [];
  (request.number === input.dialledNumber ? matchedBy : notMatched).push('dnis');
  if (request.accessCode !== undefined && input.accessCode !== undefined)
    (request.accessCode === input.accessCode ? matchedBy : notMatched).push('accessCode');
  if (request.callerNumber !== undefined && input.callerNumber !== undefined)
    (request.callerNumber === input.callerNumber ? matchedBy : notMatched).push('callerNumber');
  return { matchedBy, notMatched };
}

/**
 * Does `request` answer this incoming call, so that a match may consume it?
 * - The dialled number must be the request's number, and the request must not have expired.
 * - Every criterion given that the request can be checked on must agree: a wrong access code or a
 *   different caller number refuses the match even when the other criterion agrees.
 * - Something must identify the request: its access code, its caller number, or, for a request
 *   without an access code, the dialled number alone when the request is the only live one on it
 *   (`soleOnNumber`; always so on a unique-DNIS number).
 * An access code given for a request that has none is ignored.
 */
export function judgeMatch(
  request: CallInRequest,
  input: MatchInput,
  nowMs: number,
  soleOnNumber: boolean = request.uniqueDnis,
): MatchVerdict {
  if (!isLive(request, nowMs)) return { matched: false, reason: 'expired' };
  const { matchedBy, notMatched } = compareCriteria(request, input);
  if (notMatched.includes('dnis')) return { matched: false, reason: 'other-number' };
  if (notMatched.includes('accessCode')) return { matched: false, reason: 'access-code-differs' };
  if (notMatched.includes('callerNumber')) return { matched: false, reason: 'caller-differs' };
  const identified = matchedBy.length > 1 || (soleOnNumber && request.accessCode === undefined);
  return identified ? { matched: true, matchedBy } : { matched: false, reason: 'not-identified' };
}

/**
 * The Designer-style branch name for the criteria that matched: `DNIS`, `DNIS_ANI`,
 * `DNIS_ACCESS_CODE`, `DNIS_ANI_ACCESS_CODE`, or `NOTHING` when no live request is on the number.
 */
export function outcomeName(matchedBy: readonly MatchCriterion[]): string {
  if (matchedBy.length === 0) return 'NOTHING';
  const parts: string[] = [];
  if (matchedBy.includes('dnis')) parts.push('DNIS');
  if (matchedBy.includes('callerNumber')) parts.push('ANI');
  if (matchedBy.includes('accessCode')) parts.push('ACCESS_CODE');
  return parts.join('_');
}

/**
 * The best of several matching requests: the most criteria agreeing, then the fewest disagreeing,
 * then the most recent.
 */
export function bestMatch<
  T extends { request: CallInRequest; matchedBy: MatchCriterion[]; notMatched?: MatchCriterion[] },
>(candidates: T[]): T | undefined {
  return [...candidates].sort(
    (a, b) =>
      b.matchedBy.length - a.matchedBy.length ||
      (a.notMatched?.length ?? 0) - (b.notMatched?.length ?? 0) ||
      b.request.createdAtMs - a.request.createdAtMs,
  )[0];
}
