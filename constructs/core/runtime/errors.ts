/**
 * Errors that are safe to show: every handler error leaves through one of these functions, with
 * every secret the invocation has seen removed (CloudFormation shows a custom resource's error as
 * its status reason; Step Functions keeps a task's error in the execution history).
 */
import { Redactor } from './redaction';

/** Error raised by the handlers: the message is safe to log and to return to CloudFormation. */
export class HandlerError extends Error {
  /** MySQL error number when the cause was a server error (e.g. 1045 access denied). */
  readonly errno?: number;
  /** Driver or SDK error code (e.g. ER_ACCESS_DENIED_ERROR, ECONNREFUSED, ResourceNotFoundException). */
  readonly code?: string;
  constructor(message: string, cause?: { errno?: number; code?: string }) {
    super(message);
    this.name = 'HandlerError';
    this.errno = cause?.errno;
    this.code = cause?.code;
  }
}

/** A short description of any error (driver, SDK or ours): code, errno and text. Not yet redacted. */
export function describeError(error: unknown): string {
  if (error instanceof HandlerError) return error.message;
  const e = error as { code?: unknown; errno?: unknown; sqlMessage?: unknown; message?: unknown; name?: unknown };
  const text = typeof e?.sqlMessage === 'string' ? e.sqlMessage : typeof e?.message === 'string' ? e.message : String(error);
  const code = typeof e?.code === 'string' ? e.code : typeof e?.name === 'string' && e.name !== 'Error' ? e.name : undefined;
  const errno = typeof e?.errno === 'number' ? e.errno : undefined;
  return [code, errno !== undefined ? `(${errno})` : undefined, text].filter(Boolean).join(' ');
}

function causeOf(error: unknown): { errno?: number; code?: string } {
  const e = error as { errno?: unknown; code?: unknown; name?: unknown };
  return {
    errno: typeof e?.errno === 'number' ? e.errno : undefined,
    code: typeof e?.code === 'string' ? e.code : typeof e?.name === 'string' ? e.name : undefined,
  };
}

/** Wraps any error into a HandlerError with a label and a redacted message (keeps errno and code). */
export function wrapError(label: string, error: unknown, redactor: Redactor): HandlerError {
  return new HandlerError(redactor.redact(`${label}: ${describeError(error)}`), causeOf(error));
}

/**
 * The error a custom resource throws: always a HandlerError with a redacted message (a
 * HandlerError's own message is redacted again: it may quote a value that became secret later).
 */
export function toHandlerError(error: unknown, redactor: Redactor): HandlerError {
  if (error instanceof HandlerError) return new HandlerError(redactor.redact(error.message), { errno: error.errno, code: error.code });
  return new HandlerError(redactor.redact(describeError(error)), causeOf(error));
}

/**
 * The same error object with its text redacted, for Step Functions tasks and rotation steps whose
 * caller reads the error's name (a state's Retry on `NotReady`). Message and stack are redacted;
 * the driver's `sql` (the statement with its values) and any `cause` are removed; other string
 * properties are redacted. A thrown non-Error becomes a HandlerError.
 */
export function redactInPlace(error: unknown, redactor: Redactor): Error {
  if (!(error instanceof Error)) return new HandlerError(redactor.redact(describeError(error)));
  const target = error as Error & Record<string, unknown>;
  for (const key of Object.getOwnPropertyNames(target)) {
    if (key === 'sql' || key === 'cause') {
      delete target[key];
      continue;
    }
    const value = target[key];
    if (typeof value === 'string') {
      try {
        target[key] = redactor.redact(value);
      } catch {
        // a read-only property: the message and stack are writable on every Error
      }
    }
  }
  return target;
}
