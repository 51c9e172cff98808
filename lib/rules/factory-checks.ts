import type {
  IPolicyValidationContext,
  IPolicyValidationPlugin,
  PolicyValidationPluginReport,
} from 'aws-cdk-lib';
import { accessLogDestination } from './access-log-destination';
import { kmsServicePrincipal } from './kms-service-principal';
import { objectLockGrant, type ObjectLockGrantOptions } from './object-lock-grant';
import { servicePrincipalSourceCondition } from './service-principal-source-condition';
import { sfnPayloadObject } from './sfn-payload-object';
import { loadAssembly } from './support/assembly';
import { type FactoryRule, type Finding, formatFinding } from './support/finding';
import { wafBodyLimitRule } from './waf-body-limit';

export type FactoryChecksProps = ObjectLockGrantOptions;

/** The rules of the pack, in report order. */
export function factoryRules(props: FactoryChecksProps = {}): FactoryRule[] {
  return [
    kmsServicePrincipal,
    sfnPayloadObject,
    wafBodyLimitRule,
    objectLockGrant(props),
    servicePrincipalSourceCondition,
    accessLogDestination,
  ];
}

/**
 * The project's own rule pack: failure classes that cdk-nag, cfn-guard and cfn-lint pass but AWS
 * refuses at deploy or run time. A validation plugin rather than a NagPack because the rules need
 * every template of the assembly at once (a key used in one stack, its policy in another).
 * Findings are errors, so each one fails synth until fixed or acknowledged at the resource with
 * `Validations.of(construct).acknowledge({ id: 'Factory::<rule id>', reason })`.
 */
export class FactoryChecks implements IPolicyValidationPlugin {
  readonly name = 'Factory';
  readonly version = '1.0.0';
  readonly ruleIds: string[];
  private readonly rules: FactoryRule[];

  constructor(props: FactoryChecksProps = {}) {
    this.rules = factoryRules(props);
    this.ruleIds = this.rules.map((rule) => rule.id);
  }

  validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
    const assembly = loadAssembly(context.templatePaths);
    const findings = this.rules.flatMap((rule) =>
      rule.check(assembly).map((finding): [FactoryRule, Finding] => [rule, finding]),
    );
    return {
      success: findings.length === 0,
      violations: findings.map(([rule, finding]) => ({
        ruleName: finding.ruleId,
        description: formatFinding(finding),
        fix: rule.documentation,
        severity: 'error',
        violatingResources: [
          {
            resourceLogicalId: finding.resource.logicalId,
            templatePath: finding.resource.stack.templatePath,
            locations: [finding.location],
          },
        ],
      })),
    };
  }
}
