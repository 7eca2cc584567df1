import type { z } from 'zod';

type Issue = z.core.$ZodIssue;

/** The innermost issue: record keys and unions wrap the real problem in nested issues. */
export function innermostIssue(issue: Issue | undefined): Issue | undefined {
  let current = issue;
  while (current && 'issues' in current && Array.isArray(current.issues) && current.issues.length > 0) {
    const nested = current.issues[0] as Issue | Issue[];
    current = Array.isArray(nested) ? nested[0] : nested;
  }
  return current;
}
