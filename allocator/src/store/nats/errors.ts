import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import { TimeoutError } from '@nats-io/transport-node';
import { errorMessage } from '#lib';
import { StoreCode, StoreError } from '../store.ts';

// What the NATS client's errors mean to the store, and the store errors they become. An outcome the
// store cannot establish (a lost acknowledgement that reading back does not settle) is reported as
// unavailable, never as a lost race.

/** The write expected another last sequence of its subject: the key changed, or is live. */
export function isWrongLastSequence(err: unknown): boolean {
  return (
    err instanceof JetStreamApiError &&
    (err.code === JetStreamApiCodes.StreamWrongLastSequence ||
      err.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown)
  );
}

/** No answer in time: a write may still have landed. */
export function isTimedOut(err: unknown): boolean {
  return (
    err instanceof TimeoutError ||
    (err instanceof Error && (err.name === 'TimeoutError' || err.cause instanceof TimeoutError))
  );
}

/** JetStream's "system temporarily unavailable" (no meta leader yet). */
export function isTemporarilyUnavailable(err: unknown): boolean {
  return err instanceof JetStreamApiError && err.code === 10008;
}

export function isNoMessageFound(err: unknown): boolean {
  return err instanceof JetStreamApiError && err.code === JetStreamApiCodes.NoMessageFound;
}

export function keyExists(key: string): StoreError {
  return new StoreError(StoreCode.KeyExists, `key ${key} is live`, { details: { key } });
}

export function conflict(key: string, revision: number): StoreError {
  return new StoreError(StoreCode.Conflict, `key ${key} is not at revision ${revision}`, {
    details: { key },
  });
}

export function unavailable(op: string, err: unknown): StoreError {
  return new StoreError(StoreCode.Unavailable, `NATS KV ${op} failed: ${errorMessage(err)}`, { cause: err });
}

export function notConnected(op: string): StoreError {
  return new StoreError(StoreCode.Unavailable, `NATS KV ${op}: not connected to NATS`);
}
