import type { Assembly, ResourceInStack } from './assembly';
import { nameOf } from './assembly';

/** One thing AWS will refuse or get wrong, on one resource. */
export interface Finding {
  readonly ruleId: string;
  readonly resource: ResourceInStack;
  /** Where in the resource, as a template path (`Properties/KMSKeyId`). */
  readonly location: string;
  /** One line: what AWS will do, and why. */
  readonly message: string;
}

/** A rule of the pack: an id, the page that documents its requirement, and a pure check. */
export interface FactoryRule {
  readonly id: string;
  /** The AWS documentation page the requirement comes from. */
  readonly documentation: string;
  readonly check: (assembly: Assembly) => Finding[];
}

/** `[Factory-X] Stack/LogicalId: message`: what the validation report and tests show. */
export function formatFinding(finding: Finding): string {
  return `[${finding.ruleId}] ${nameOf(finding.resource)}: ${finding.message}`;
}
