/**
 * One wording of a document's defects, shared by the parse functions of the platform's JSON
 * documents (statistics partial, job record, preprocess report): each problem once, naming its
 * field as a path (`categories.x.moments.mean[2]`).
 */
import type { z } from 'zod';

/** `number` → "a finite number" (JSON writes NaN and ±Infinity as null), `object` → "an object". */
function typeName(expected: string): string {
  if (expected === 'number') return 'a finite number';
  return `${/^[aeiou]/.test(expected) ? 'an' : 'a'} ${expected}`;
}

/**
 * `path: message` for each issue, de-duplicated; `whole` names the document itself (an issue
 * with an empty path), `prefix` is put before every path (`records[3].`).
 */
export function documentProblems(error: z.ZodError, whole: string, prefix = ''): string[] {
  const problems = error.issues.map((issue) => {
    const path = issue.path
      .map((part) => (typeof part === 'number' ? `[${part}]` : `.${String(part)}`))
      .join('')
      .replace(/^\./, '');
    // zod's own wording for a wrong type ("Invalid input: expected number, received null");
    // a schema's custom message is kept as written.
    const message =
      issue.code === 'invalid_type' && issue.message.startsWith('Invalid input: expected')
        ? `must be ${typeName(issue.expected)}`
        : issue.message.replace(/^Invalid input: /, '');
    const field = path === '' ? whole : `${prefix}${path}`;
    return `${field}: ${message}`;
  });
  return [...new Set(problems)];
}
