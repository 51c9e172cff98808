import type { Assembly, StackTemplate } from './assembly';
import { isObject, renderText } from './intrinsics';

/** A statement of an IAM policy document, as it appears in a template. */
export interface Statement {
  readonly Sid?: string;
  readonly Effect?: string;
  readonly Principal?: unknown;
  readonly NotPrincipal?: unknown;
  readonly Action?: unknown;
  readonly NotAction?: unknown;
  readonly Resource?: unknown;
  readonly NotResource?: unknown;
  readonly Condition?: unknown;
}

/** One key of a statement's `Condition`, e.g. `StringEquals` / `aws:SourceAccount` / [values]. */
export interface ConditionEntry {
  readonly operator: string;
  readonly key: string;
  readonly values: readonly string[];
}

export const asArray = <T>(value: T | readonly T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? [...value] : [value as T];

/** The statements of a policy document (one statement object or a list of them). */
export function statementsOf(document: unknown): Statement[] {
  if (!isObject(document)) return [];
  return asArray(document.Statement as Statement | Statement[] | undefined).filter(isObject);
}

/** IAM action matching: case-insensitive, `*` any run of characters, `?` one character. */
export function actionMatches(pattern: string, action: string): boolean {
  const regex = pattern
    .split('')
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${regex}$`, 'i').test(action);
}

const stringsOf = (value: unknown): string[] =>
  asArray(value).filter((v): v is string => typeof v === 'string');

/**
 * Whether an Allow statement grants the action: one of its `Action` patterns matches it, or it
 * has `NotAction` and none of those patterns match it. Conditions and resources are not weighed.
 */
export function allowsAction(statement: Statement, action: string): boolean {
  if (statement.Effect !== 'Allow') return false;
  if (statement.NotAction !== undefined) {
    return !stringsOf(statement.NotAction).some((pattern) => actionMatches(pattern, action));
  }
  return stringsOf(statement.Action).some((pattern) => actionMatches(pattern, action));
}

/** The patterns through which a statement grants an action (for messages), `NotAction` named as such. */
export function grantingPatterns(statement: Statement, action: string): string[] {
  if (!allowsAction(statement, action)) return [];
  if (statement.NotAction !== undefined) return [`NotAction ${stringsOf(statement.NotAction).join(', ')}`];
  return stringsOf(statement.Action).filter((pattern) => actionMatches(pattern, action));
}

function principalsOfKind(
  statement: Statement,
  kind: 'Service' | 'AWS',
  stack: StackTemplate,
  assembly: Assembly,
): string[] {
  const principal = statement.Principal;
  if (!isObject(principal)) return [];
  return asArray(principal[kind]).map((value) => renderText(value, stack, assembly));
}

/** `Principal.Service` entries, rendered (`logs.${AWS::Region}.amazonaws.com`). */
export function servicePrincipals(statement: Statement, stack: StackTemplate, assembly: Assembly): string[] {
  return principalsOfKind(statement, 'Service', stack, assembly);
}

/** `Principal.AWS` entries, rendered (`arn:${AWS::Partition}:iam::${AWS::AccountId}:root`). */
export function awsPrincipals(statement: Statement, stack: StackTemplate, assembly: Assembly): string[] {
  return principalsOfKind(statement, 'AWS', stack, assembly);
}

/** `"Principal": "*"` or `"Principal": {"AWS": "*"}`. */
export function isAnyPrincipal(statement: Statement, stack: StackTemplate, assembly: Assembly): boolean {
  return statement.Principal === '*' || awsPrincipals(statement, stack, assembly).includes('*');
}

/** A statement's conditions, one entry per operator and key, values rendered. */
export function conditionsOf(
  statement: Statement,
  stack: StackTemplate,
  assembly: Assembly,
): ConditionEntry[] {
  if (!isObject(statement.Condition)) return [];
  return Object.entries(statement.Condition).flatMap(([operator, keys]) =>
    isObject(keys)
      ? Object.entries(keys).map(([key, values]) => ({
          operator,
          key,
          values: asArray(values).map((v) => renderText(v, stack, assembly)),
        }))
      : [],
  );
}
