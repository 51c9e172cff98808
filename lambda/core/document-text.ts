/**
 * One spelling of the platform's JSON documents in S3 and on disk (artifacts, pointers): indented,
 * newline-terminated, so the same document is always the same bytes (a retried write rewrites
 * them, and a replayed run's object versions compare equal).
 */
export function documentText(value: unknown): string {
  return JSON.stringify(value, null, 2) + '\n';
}
