/**
 * AdmissionReview v1 in, AdmissionReview v1 out, for ClickToCallInGroup CREATE and UPDATE: pure, no
 * I/O. The caller looks up the other groups' names and the CSV behind spec.dnisPoolFrom.
 */
import {
  GROUP_API,
  Limits,
  Rule,
  describeIssues,
  issueText,
  resolveGroup,
  validateGroupSpec,
  type Issue,
} from '#api';

export interface AdmissionRequest {
  uid: string;
  kind?: { group?: string; version?: string; kind?: string };
  operation?: string;
  namespace?: string;
  name?: string;
  object?: { metadata?: { name?: string; namespace?: string; generateName?: string }; spec?: unknown };
  oldObject?: { metadata?: { name?: string }; spec?: unknown } | null;
}

export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  status?: { code: number; reason?: string; message: string };
  warnings?: string[];
}

export interface AdmissionReviewOut {
  apiVersion: 'admission.k8s.io/v1';
  kind: 'AdmissionReview';
  response: AdmissionResponse;
}

/** Denials list at most this many problems (the rest are counted). */
export const MAX_LISTED_PROBLEMS = 200;

/** Reads an AdmissionReview body; a string says why it is not one (answer 400). */
export function parseAdmissionReview(body: unknown): AdmissionRequest | string {
  if (body === null || typeof body !== 'object') return 'the body is not a JSON object';
  const review = body as { apiVersion?: unknown; kind?: unknown; request?: unknown };
  if (review.kind !== 'AdmissionReview') return 'kind must be AdmissionReview';
  if (review.apiVersion !== 'admission.k8s.io/v1') return 'apiVersion must be admission.k8s.io/v1';
  const request = review.request as AdmissionRequest | undefined;
  if (!request || typeof request !== 'object') return 'request is missing';
  if (typeof request.uid !== 'string' || request.uid === '') return 'request.uid is missing';
  return request;
}

export function admissionReview(response: AdmissionResponse): AdmissionReviewOut {
  return { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response };
}

export interface ReviewContext {
  /** groupName of every other group (not this one). */
  otherGroupNames: ReadonlySet<string>;
  /** The CSV behind spec.dnisPoolFrom, when it could be read. */
  csvPool?: { text: string; source: string };
  /** Why the CSV could not be read (a warning: the operator checks again when it appears). */
  csvUnreadable?: string;
}

/** Whether this request is one the group validator should judge. */
export function isGroupWrite(request: AdmissionRequest): boolean {
  const kindOk = request.kind?.group === GROUP_API.group && request.kind?.kind === GROUP_API.kind;
  return kindOk && (request.operation === 'CREATE' || request.operation === 'UPDATE');
}

/** What each rule means, in words that quote nothing from the CSV. */
const CSV_RULE_TEXT: Partial<Record<string, string>> = {
  [Rule.CsvColumns]:
    'write "number,description" or "number,description,reserved" (the description may be empty, the comma is required)',
  [Rule.CsvReserved]: 'the reserved column (3) holds something other than true, false or nothing',
  [Rule.CsvQuote]: 'a double quote is not closed or is followed by more text',
  [Rule.DnisFormat]: `the number is not in E.164 form (digits with an optional leading +, at most ${Limits.numberMaxChars} characters)`,
  [Rule.DnisCountryCode]: 'the number does not start with a country calling code in use',
  [Rule.DnisLength]: 'the number has an impossible length for its country',
  [Rule.DnisDuplicate]: 'the number appears on an earlier line',
  [Rule.DescriptionLength]: `the description is longer than ${Limits.descriptionMaxChars} characters`,
  [Rule.PoolSize]: `a pool holds between ${Limits.poolMin} and ${Limits.poolMax} numbers`,
  [Rule.DescriptionWhitespace]: 'the description starts or ends with spaces',
};

/**
 * A problem found in the CSV behind spec.dnisPoolFrom, told without its content. The webhook reads
 * that ConfigMap with the operator's rights, and whoever can reach the webhook port could forge a
 * review naming any ConfigMap; so a denial names the line and the rule, never the text of the line.
 * The group's status (readable where the group is) carries the full message.
 */
function redactedCsvIssue(issue: Issue): Issue {
  const text = CSV_RULE_TEXT[issue.rule] ?? `rule ${issue.rule} is broken`;
  const where = issue.line !== undefined ? `line ${issue.line}: ` : '';
  return { path: issue.path, rule: issue.rule, line: issue.line, message: `${issue.path}: ${where}${text}` };
}

/** Judges a CREATE or UPDATE of a group: every problem with its path in the denial, warnings always. */
export function reviewGroup(request: AdmissionRequest, ctx: ReviewContext): AdmissionResponse {
  if (!isGroupWrite(request)) return { uid: request.uid, allowed: true };
  const spec = request.object?.spec;
  const named: unknown = request.object?.metadata?.name ?? request.name;
  // A forged review may carry anything here; only a string is a name.
  const metadataName = typeof named === 'string' ? named : '';
  const options = {
    metadataName,
    otherGroupNames: ctx.otherGroupNames,
    previousSpec: request.operation === 'UPDATE' ? request.oldObject?.spec : undefined,
  };
  const result = ctx.csvPool
    ? resolveGroup(spec, { ...options, csvPool: ctx.csvPool })
    : validateGroupSpec(spec, options);
  const fromCsv = (issue: Issue) => ctx.csvPool !== undefined && issue.path.startsWith(ctx.csvPool.source);
  const errors = result.errors.map((e) => (fromCsv(e) ? redactedCsvIssue(e) : e));
  const warnings = result.warnings.map((w) => issueText(fromCsv(w) ? redactedCsvIssue(w) : w));
  if (ctx.csvUnreadable) warnings.push(ctx.csvUnreadable);
  if (errors.length === 0) {
    return { uid: request.uid, allowed: true, ...(warnings.length ? { warnings } : {}) };
  }
  const count = errors.length;
  const message =
    `ClickToCallInGroup "${metadataName}" is invalid (${count} problem${count === 1 ? '' : 's'}): ` +
    describeIssues(errors, MAX_LISTED_PROBLEMS);
  return {
    uid: request.uid,
    allowed: false,
    status: { code: 422, reason: 'Invalid', message },
    ...(warnings.length ? { warnings } : {}),
  };
}
