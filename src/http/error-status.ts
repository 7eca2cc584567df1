import type { AppErrorCode } from '../shared/app-error.js';

/** The one mapping from domain error codes to HTTP statuses. */
export const STATUS_OF: Readonly<Record<AppErrorCode, number>> = {
  invalid_input: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  gone: 410,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  unavailable: 503,
};

const CODE_OF_STATUS: Readonly<Record<number, AppErrorCode>> = Object.fromEntries(
  Object.entries(STATUS_OF).map(([code, status]) => [status, code as AppErrorCode]),
);

/** The error code to report for a framework error that only has a status. */
export function codeForStatus(status: number): string {
  return CODE_OF_STATUS[status] ?? (status >= 500 ? 'internal' : 'bad_request');
}
