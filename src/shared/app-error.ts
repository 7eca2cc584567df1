/** Error codes the domain raises; `http/error-status.ts` maps each to one HTTP status. */
export type AppErrorCode =
  | 'invalid_input'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'gone'
  | 'rate_limited'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'unavailable';

/** The one error type of Listwarden: a code for machines and a sentence for people. */
export class AppError extends Error {
  readonly code: AppErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: AppErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.details = details;
  }
}

/** True for errors raised on purpose by Listwarden code (as opposed to bugs). */
export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}

/** Shorthand for the most common refusal. */
export function invalidInput(message: string, details?: Record<string, unknown>): AppError {
  return new AppError('invalid_input', message, details);
}

/** Shorthand for a missing thing, named in the sentence. */
export function notFound(message: string): AppError {
  return new AppError('not_found', message);
}
