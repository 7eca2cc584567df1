import type { z } from 'zod';
import { AppError, invalidInput } from '../shared/app-error.js';
import { innermostIssue } from '../shared/zod-issue.js';

/** Parses request input with its zod schema; the first problem becomes a 400 sentence. */
export function parseInput<T extends z.ZodType>(schema: T, data: unknown, what = 'The request'): z.infer<T> {
  const result = schema.safeParse(data ?? {});
  if (result.success) return result.data;
  const issue = innermostIssue(result.error.issues[0]);
  const field = issue?.path.length ? `"${issue.path.join('.')}"` : '';
  const message = issue?.message ?? 'is not valid';
  // zod's own messages are technical; say which field and what was expected.
  if (issue?.code === 'invalid_type') {
    const expected = (issue as { expected?: string }).expected;
    throw invalidInput(
      field ? `${what} field ${field} must be ${article(expected)}.` : `${what} must be a JSON object.`,
    );
  }
  if (issue?.code === 'unrecognized_keys') {
    // Field names are named only when they are plain identifiers (which cannot carry a sentence or a link).
    const keys = ((issue as { keys?: string[] }).keys ?? []).filter((k) => /^[A-Za-z_][A-Za-z0-9_]{0,39}$/.test(k));
    throw invalidInput(
      keys.length > 0 ? `${what} has unknown fields: ${keys.slice(0, 5).join(', ')}.` : `${what} has unknown fields.`,
    );
  }
  throw invalidInput(field ? `${what} field ${field}: ${message}` : `${what}: ${message}`);
}

function article(type: string | undefined): string {
  switch (type) {
    case 'string':
      return 'a string';
    case 'number':
      return 'a number';
    case 'object':
      return 'an object';
    case 'boolean':
      return 'true or false';
    case 'array':
      return 'a list';
    default:
      return `of type ${type ?? 'unknown'}`;
  }
}

/**
 * API routes take JSON bodies only (or none); a form or text body gets a 415 with the reason.
 * A route that takes a raw mail message says so with `config: { rawMessage: true }`.
 */
export async function requireJsonBody(request: {
  method: string;
  headers: Record<string, unknown>;
  body?: unknown;
  routeOptions?: { config?: unknown };
}): Promise<void> {
  if ((request.routeOptions?.config as { rawMessage?: boolean } | undefined)?.rawMessage) return;
  if (
    request.method === 'GET' ||
    request.method === 'DELETE' ||
    request.method === 'OPTIONS' ||
    request.method === 'HEAD'
  )
    return;
  const hasBody =
    Number(request.headers['content-length'] ?? 0) > 0 || request.headers['transfer-encoding'] !== undefined;
  if (!hasBody) return;
  const header: unknown = request.headers['content-type'];
  const type = typeof header === 'string' ? header : '';
  if (!/^application\/json\s*(;|$)/i.test(type)) {
    throw new AppError('unsupported_media_type', 'Send the request body as application/json.');
  }
}
