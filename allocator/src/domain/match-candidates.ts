import type { CallInRequest } from './call-in-request.ts';
import { slotKey } from './keys.ts';
import { compareCriteria, judgeMatch, type MatchCriterion, type MatchInput } from './match.ts';

/** A live request on the dialled number, compared with an incoming call. */
export interface MatchCandidate {
  request: CallInRequest;
  /** The store revision; undefined when known only from this replica's view. */
  revision: number | undefined;
  matchedBy: MatchCriterion[];
  notMatched: MatchCriterion[];
  /** A match would consume this request (see judgeMatch). */
  consumable: boolean;
}

/** The call gives the dialled number alone: no caller number, no access code. */
export function givesNumberOnly(input: MatchInput): boolean {
  return input.callerNumber === undefined && input.accessCode === undefined;
}

/**
 * The slot keys that would hold a request this call names, in each of the groups given: the
 * number's unique-DNIS key, and the keys of the call's access code and caller number. They are read
 * from the store as well as looked up in the view, in case the view lags.
 */
export function candidateSlotKeys(groupNames: readonly string[], input: MatchInput): string[] {
  const keys: string[] = [];
  for (const g of groupNames) {
    keys.push(slotKey(g, input.dialledNumber, { kind: 'unique' }));
    if (input.accessCode !== undefined)
      keys.push(slotKey(g, input.dialledNumber, { kind: 'code', accessCode: input.accessCode }));
    if (input.callerNumber !== undefined)
      keys.push(slotKey(g, input.dialledNumber, { kind: 'caller', callerNumber: input.callerNumber }));
  }
  return keys;
}

/**
 * The live requests on the dialled number (both maps hold live ones only, by slot key) compared
 * with the call: those read from the store, then those only this replica's view knows of. A call that gives the number alone is
 * judged on the store's listing only (the view may lag), and identifies a request without an
 * access code when it is the only live one on the number.
 */
export function matchCandidates(
  stored: ReadonlyMap<string, { request: CallInRequest; revision: number }>,
  fromView: ReadonlyMap<string, CallInRequest>,
  input: MatchInput,
  nowMs: number,
): MatchCandidate[] {
  const numberOnly = givesNumberOnly(input);
  const viewed = numberOnly ? new Map<string, CallInRequest>() : fromView;
  const liveOnNumber = new Set([...viewed.keys(), ...stored.keys()]).size;
  const candidates: MatchCandidate[] = [];
  const consider = (request: CallInRequest, revision: number | undefined) => {
    const sole = request.uniqueDnis || (numberOnly && liveOnNumber === 1);
    const { matchedBy, notMatched } = compareCriteria(request, input);
    const consumable = judgeMatch(request, input, nowMs, sole).matched;
    candidates.push({ request, revision, matchedBy, notMatched, consumable });
  };
  for (const { request, revision } of stored.values()) consider(request, revision);
  for (const [key, request] of viewed) if (!stored.has(key)) consider(request, undefined);
  return candidates;
}
