import { z } from 'zod';
import { invalidInput } from '../shared/app-error.js';
import { innermostIssue } from '../shared/zod-issue.js';

const CONTROL = /[\u0000-\u001f\u007f]/;

/** A subscriber's display name: optional, one line, at most 200 characters. */
const nameSchema = z
  .string()
  .trim()
  .max(200, 'The name can be at most 200 characters.')
  .refine((v) => !CONTROL.test(v), 'The name cannot contain line breaks or control characters.')
  .transform((v) => (v === '' ? null : v));

/** Custom fields: up to 50 keys of simple values, 8 KB in all. */
const attributesSchema = z
  .record(
    z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'Attribute names are 1-64 letters, digits, dots, dashes or underscores.'),
    z.union([
      z.string().max(1024, 'An attribute value can be at most 1024 characters.'),
      z.number().finite(),
      z.boolean(),
      z.null(),
    ]),
  )
  .refine((v) => Object.keys(v).length <= 50, 'At most 50 attributes are allowed.')
  .refine((v) => JSON.stringify(v).length <= 8192, 'The attributes can be at most 8 KB in all.');

/** Validates an optional name; throws a 400-class error with the first problem. */
export function parseName(input: unknown): string | null {
  if (input === undefined || input === null) return null;
  const result = nameSchema.safeParse(input);
  if (!result.success) throw invalidInput(result.error.issues[0]?.message ?? 'The name is not valid.');
  return result.data;
}

/** Validates optional custom attributes. */
export function parseAttributes(input: unknown): Record<string, string | number | boolean | null> {
  if (input === undefined || input === null) return {};
  const result = attributesSchema.safeParse(input);
  if (!result.success) {
    const issue = innermostIssue(result.error.issues[0]);
    throw invalidInput(
      issue?.code === 'invalid_type'
        ? 'The attributes must be an object of names to values.'
        : (issue?.message ?? 'The attributes are not valid.'),
    );
  }
  return result.data;
}
