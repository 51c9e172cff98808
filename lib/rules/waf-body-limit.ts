import {
  type Assembly,
  nameOf,
  type ResourceInStack,
  resourcesOfType,
  sameResource,
} from './support/assembly';
import type { FactoryRule, Finding } from './support/finding';
import { isObject, referencedResources, resolveResource } from './support/intrinsics';
import { asArray } from './support/policy';

export const WAF_BODY_LIMIT = 'Factory-WafBodyLimit';

/**
 * AWS WAF, "Baseline rule groups", Core rule set (`AWSManagedRulesCommonRuleSet`): rule
 * `SizeRestrictions_BODY` "Inspects for request bodies that are over 8 KB (8,192 bytes)", rule
 * action Block. The 8 KB is the rule's own and does not follow the web ACL's body inspection
 * limit. https://docs.aws.amazon.com/waf/latest/developerguide/aws-managed-rule-groups-baseline.html
 */
const CRS = 'AWSManagedRulesCommonRuleSet';
const CRS_BODY_RULE = 'SizeRestrictions_BODY';
const CRS_BODY_LIMIT_BYTES = 8 * 1024;

/**
 * API Gateway REST APIs accept payloads up to 10 MB ("Amazon API Gateway quotas", "Payload size").
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html
 */
const API_GATEWAY_PAYLOAD_BYTES = 10 * 1024 * 1024;

/**
 * How the rule learns the API's body limit: from the `MAX_BODY_BYTES` environment variable of the
 * Lambda function each body-carrying method integrates with. That variable is what the handler
 * enforces (lambda/handlers/predict.ts answers 413 above it), and the stack sets it from
 * `serving.maxBodyBytes` with the same module the handler reads it with, so it is the limit the
 * deployed API actually promises; a value passed to the pack from config could disagree with the
 * template it checks, and the rule would need the config of whichever app it runs in. A method
 * with no such variable (or no Lambda integration) promises what API Gateway accepts, 10 MB.
 */
const BODY_LIMIT_VARIABLE = 'MAX_BODY_BYTES';
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'ANY']);

interface WafLimit {
  /** Largest body that passes. */
  readonly bytes: number;
  readonly rule: string;
  readonly fix: string;
}

interface BodyLimit {
  readonly bytes: number;
  readonly source: string;
}

/** The largest body any method of the REST API accepts, and what says so. */
function apiBodyLimit(api: ResourceInStack, assembly: Assembly): BodyLimit | undefined {
  let limit: BodyLimit | undefined;
  for (const method of resourcesOfType(assembly, 'AWS::ApiGateway::Method')) {
    const props = method.resource.Properties ?? {};
    const restApi = resolveResource(props.RestApiId, method.stack, assembly);
    if (!restApi || !sameResource(restApi, api) || !BODY_METHODS.has(String(props.HttpMethod))) continue;
    const candidate = methodBodyLimit(method, assembly);
    if (candidate && (!limit || candidate.bytes > limit.bytes)) limit = candidate;
  }
  return limit;
}

function methodBodyLimit(method: ResourceInStack, assembly: Assembly): BodyLimit | undefined {
  const integration = method.resource.Properties?.Integration;
  const targets = isObject(integration) ? referencedResources(integration.Uri, method.stack, assembly) : [];
  const functions = targets.flatMap((target) =>
    target.resource.Type === 'AWS::Lambda::Function'
      ? [target]
      : target.resource.Type === 'AWS::Lambda::Alias'
        ? referencedResources(target.resource.Properties?.FunctionName, target.stack, assembly)
        : [],
  );
  const fn = functions.find((f) => f.resource.Type === 'AWS::Lambda::Function');
  const environment = fn?.resource.Properties?.Environment;
  const variables = isObject(environment) && isObject(environment.Variables) ? environment.Variables : {};
  const declared = variables[BODY_LIMIT_VARIABLE];
  if (fn && declared !== undefined) {
    const bytes = Number(declared);
    // A token (a parameter, an SSM value) cannot be compared at synth.
    return Number.isFinite(bytes) ? { bytes, source: `${BODY_LIMIT_VARIABLE} of ${nameOf(fn)}` } : undefined;
  }
  return {
    bytes: API_GATEWAY_PAYLOAD_BYTES,
    source: `API Gateway's 10 MB payload quota (${fn ? `${nameOf(fn)} sets no ${BODY_LIMIT_VARIABLE}` : 'no Lambda integration'})`,
  };
}

/**
 * The body size above which the web ACL blocks every request, and which rule does it: the Core
 * rule set's `SizeRestrictions_BODY` unless the whole group counts (`OverrideAction: Count`) or
 * the rule is overridden to Count/Allow (`RuleActionOverrides`, or the older `ExcludedRules`);
 * a top-level blocking size constraint on the body of the ACL's own. A scope-down statement is
 * not evaluated: the rule assumes it can match the API's path.
 */
export function wafBodyLimit(acl: ResourceInStack): WafLimit | undefined {
  let limit: WafLimit | undefined;
  const lower = (candidate: WafLimit) => {
    if (!limit || candidate.bytes < limit.bytes) limit = candidate;
  };
  for (const rule of asArray(acl.resource.Properties?.Rules as unknown[]).filter(isObject)) {
    const statement = isObject(rule.Statement) ? rule.Statement : {};
    const group = statement.ManagedRuleGroupStatement;
    if (isObject(group) && group.VendorName === 'AWS' && group.Name === CRS) {
      const groupCounts = isObject(rule.OverrideAction) && 'Count' in rule.OverrideAction;
      const overridden = asArray(group.RuleActionOverrides as unknown[])
        .filter(isObject)
        .some(
          (o) =>
            o.Name === CRS_BODY_RULE &&
            isObject(o.ActionToUse) &&
            ('Count' in o.ActionToUse || 'Allow' in o.ActionToUse),
        );
      const excluded = asArray(group.ExcludedRules as unknown[])
        .filter(isObject)
        .some((r) => r.Name === CRS_BODY_RULE);
      if (!groupCounts && !overridden && !excluded) {
        lower({
          bytes: CRS_BODY_LIMIT_BYTES,
          rule: `${String(rule.Name)} (${CRS} rule ${CRS_BODY_RULE}, action Block)`,
          fix: `override ${CRS_BODY_RULE} to Count in the group's RuleActionOverrides`,
        });
      }
    }
    const size = statement.SizeConstraintStatement;
    const blocks = isObject(rule.Action) && 'Block' in rule.Action;
    if (blocks && isObject(size) && isObject(size.FieldToMatch) && 'Body' in size.FieldToMatch) {
      const bytes = Number(size.Size);
      const fix = "raise the rule's Size to the API's limit";
      if (size.ComparisonOperator === 'GT' && Number.isFinite(bytes))
        lower({ bytes, rule: String(rule.Name), fix });
      if (size.ComparisonOperator === 'GE' && Number.isFinite(bytes)) {
        lower({ bytes: bytes - 1, rule: String(rule.Name), fix });
      }
    }
  }
  return limit;
}

/**
 * A web ACL associated with an API Gateway stage must not block bodies the API promises to
 * accept: flags the ACL when the API's body limit exceeds the ACL's.
 */
export function checkWafBodyLimit(assembly: Assembly): Finding[] {
  const findings: Finding[] = [];
  for (const association of resourcesOfType(assembly, 'AWS::WAFv2::WebACLAssociation')) {
    const props = association.resource.Properties ?? {};
    const acl = resolveResource(props.WebACLArn, association.stack, assembly);
    if (acl?.resource.Type !== 'AWS::WAFv2::WebACL') continue;
    const waf = wafBodyLimit(acl);
    if (!waf) continue;
    const targets = referencedResources(props.ResourceArn, association.stack, assembly);
    const api = targets.find((t) => t.resource.Type === 'AWS::ApiGateway::RestApi');
    if (!api) continue;
    const stage = targets.find((t) => t.resource.Type === 'AWS::ApiGateway::Stage');
    const promised = apiBodyLimit(api, assembly);
    if (!promised || promised.bytes <= waf.bytes) continue;
    findings.push({
      ruleId: WAF_BODY_LIMIT,
      resource: acl,
      location: 'Properties/Rules',
      message:
        `AWS WAF will block (403) every request body over ${waf.bytes.toLocaleString('en')} bytes through ${waf.rule} ` +
        `on ${stage ? `stage ${nameOf(stage)} of ` : ''}API ${nameOf(api)}, which accepts up to ` +
        `${promised.bytes.toLocaleString('en')} bytes (${promised.source}); ${waf.fix}.`,
    });
  }
  return findings;
}

export const wafBodyLimitRule: FactoryRule = {
  id: WAF_BODY_LIMIT,
  documentation:
    'https://docs.aws.amazon.com/waf/latest/developerguide/aws-managed-rule-groups-baseline.html',
  check: checkWafBodyLimit,
};
