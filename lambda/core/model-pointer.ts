/**
 * The pointer `models/current.json`: which artifact is served. One schema, written by promote,
 * read by promote (re-checking before it moves), the evaluate step and the serving cache.
 */
import { z } from 'zod';
import { artifactProblems, modelMetricsSchema, type ModelArtifact } from './model-artifact';

export const modelPointerSchema = z
  .object({
    version: z.string().min(1, 'must be a model version'),
    /** Object key of the artifact, `models/<version>/model.json`. */
    key: z.string().min(1, 'must be the artifact key'),
    promotedAt: z.string(),
    metrics: modelMetricsSchema,
  })
  .readonly();
export type ModelPointer = z.infer<typeof modelPointerSchema>;

/** The pointer, checked; throws an Error naming each defect (`version: ...; key: ...`). */
export function parsePointer(value: unknown): ModelPointer {
  const result = modelPointerSchema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.map(
    (issue) =>
      `${issue.path.map(String).join('.') || 'pointer'}: ${issue.message.replace(/^Invalid input: /, '')}`,
  );
  throw new Error(
    `not a model pointer { version, key, promotedAt, metrics }: ${[...new Set(problems)].join('; ')}`,
  );
}

/** The pointer that serves `artifact` (stored at `key`) from `at` on: promote, approval and rollback write it. */
export function pointerTo(artifact: ModelArtifact, key: string, at: Date): ModelPointer {
  return { version: artifact.version, key, promotedAt: at.toISOString(), metrics: artifact.metrics };
}

/**
 * Why the document at `models/<version>/model.json` may not be pointed at, empty when it may: the
 * check predict's cache applies (`artifactProblems`, the one servable check), and the version it
 * claims must be the one asked for.
 */
export function servableProblems(value: unknown, version: string): string[] {
  const problems = artifactProblems(value);
  if (problems.length > 0) return problems;
  const actual = (value as ModelArtifact).version;
  return actual === version ? [] : [`the artifact is version ${actual}, not ${version}`];
}
