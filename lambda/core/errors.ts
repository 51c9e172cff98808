/**
 * The typed errors every handler shares. Each carries a stable machine-readable `code` (for logs,
 * metrics and callers) and the HTTP `status` an API would answer with. Callers never see a stack
 * trace: `errorResponse` turns any error into `{ status, code, message }`, and anything that is not
 * a FactoryError becomes an opaque 500.
 *
 * File-level preprocessing failures are PreprocessError (preprocess-error.ts, owned by the cleaning
 * core); FileRejectedError wraps one (or a handler-side rejection such as an over-size object) so
 * it travels with the same shape as the rest.
 */
import type { PreprocessErrorCode } from './preprocess-error';
import { PreprocessError } from './preprocess-error';

export type FactoryErrorCode =
  | 'validation_failed'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'not_found'
  | 'service_unavailable'
  | 'config_invalid'
  | 'file_rejected'
  | 'internal_error';

export class FactoryError extends Error {
  constructor(
    readonly code: FactoryErrorCode,
    readonly status: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }

  /** What may be shown to a caller or written to a report (no stack, no cause). */
  toJSON(): { code: FactoryErrorCode; message: string } {
    return { code: this.code, message: this.message };
  }
}

/** Bad input from a caller or an event (400). */
export class ValidationError extends FactoryError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('validation_failed', 400, message, options);
  }
}

/** A body or object over a configured size limit (413). */
export class PayloadTooLargeError extends FactoryError {
  constructor(
    message: string,
    readonly size?: number,
    readonly limit?: number,
  ) {
    super('payload_too_large', 413, message);
  }
}

/** A content type the endpoint does not speak (415). */
export class UnsupportedMediaTypeError extends FactoryError {
  constructor(message: string) {
    super('unsupported_media_type', 415, message);
  }
}

/** The thing asked for does not exist (404). */
export class NotFoundError extends FactoryError {
  constructor(message: string) {
    super('not_found', 404, message);
  }
}

/** A dependency is unavailable; retrying later may work (503). */
export class ServiceUnavailableError extends FactoryError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('service_unavailable', 503, message, options);
  }
}

/** The function's environment is wrong; names the variable (500: a deployment bug, not the caller's). */
export class ConfigError extends FactoryError {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super('config_invalid', 500, message);
  }
}

/**
 * Why a whole input file was rejected: the core's codes (`too_large` also for the handler's check
 * of the event's size before download) plus the handler's own.
 */
export type FileRejectionReason = PreprocessErrorCode | 'output_key_too_long';

/**
 * A whole input file is rejected (422): no clean output, a report and a quarantine record say
 * why. Not retried: the same bytes would be rejected again.
 */
export class FileRejectedError extends FactoryError {
  constructor(
    readonly reason: FileRejectionReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super('file_rejected', 422, message, options);
  }

  /** Wraps the cleaning core's file-level error, keeping its code as the reason. */
  static fromPreprocessError(error: PreprocessError): FileRejectedError {
    return new FileRejectedError(error.code, error.message, { cause: error });
  }

  override toJSON(): { code: FactoryErrorCode; reason: FileRejectionReason; message: string } {
    return { code: this.code, reason: this.reason, message: this.message };
  }
}

/** Any thrown value as `{ status, code, message }`; unknown errors are 500 with a generic message. */
export function errorResponse(error: unknown): { status: number; code: FactoryErrorCode; message: string } {
  if (error instanceof FactoryError)
    return { status: error.status, code: error.code, message: error.message };
  if (error instanceof PreprocessError) {
    const rejected = FileRejectedError.fromPreprocessError(error);
    return { status: rejected.status, code: rejected.code, message: rejected.message };
  }
  return { status: 500, code: 'internal_error', message: 'internal error' };
}
