import { AppError } from '../errors.ts';

export const KubeErrorCode = {
  /** The API server answered with a non-2xx status; see `status` and `reason`. */
  Api: 'KUBE_API_ERROR',
  /** The request did not reach the API server or got no complete answer. */
  Transport: 'KUBE_TRANSPORT_ERROR',
} as const;
export type KubeErrorCode = (typeof KubeErrorCode)[keyof typeof KubeErrorCode];

/** A failed API request. `status` is the HTTP status (0 for transport errors). */
export class KubeError extends AppError<KubeErrorCode> {
  readonly status: number;
  /** The `reason` of the Kubernetes Status object, e.g. `NotFound`, `Conflict`, `AlreadyExists`, `Expired`. */
  readonly reason: string;

  constructor(
    code: KubeErrorCode,
    message: string,
    options: { status?: number; reason?: string; cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(code, message, options);
    this.status = options.status ?? 0;
    this.reason = options.reason ?? '';
  }
}

export const isNotFound = (err: unknown): boolean => err instanceof KubeError && err.status === 404;
export const isConflict = (err: unknown): boolean => err instanceof KubeError && err.status === 409;
export const isAlreadyExists = (err: unknown): boolean =>
  err instanceof KubeError && err.status === 409 && err.reason === 'AlreadyExists';
/** 410 Gone: the resourceVersion is too old, relist. */
export const isGone = (err: unknown): boolean => err instanceof KubeError && err.status === 410;

/** The error for a non-2xx answer, from the Kubernetes Status object in its body (if it has one). */
export function apiError(method: string, path: string, status: number, body: string): KubeError {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    parsed = undefined;
  }
  const s = (parsed ?? {}) as { message?: string; reason?: string; details?: Record<string, unknown> };
  const message = s.message ?? (body.slice(0, 200) || `HTTP ${status}`);
  return new KubeError(KubeErrorCode.Api, `${method} ${path}: ${status} ${message}`, {
    status,
    reason: s.reason ?? '',
    details: s.details,
  });
}

/** A request that failed on the way: no connection, a reset, a timeout. */
export function transportError(what: string, err: Error): KubeError {
  return new KubeError(KubeErrorCode.Transport, `${what}: ${err.message}`, { cause: err });
}
