import type { Assembly, ResourceInStack, StackTemplate } from './assembly';

/** Cross-stack outputs are followed at most this deep (an output that reads another output...). */
const MAX_DEPTH = 8;

export const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The single key of an intrinsic function object (`{"Ref": ...}`), or undefined. */
function intrinsicOf(value: unknown): [string, unknown] | undefined {
  if (!isObject(value)) return undefined;
  const keys = Object.keys(value);
  if (keys.length !== 1 || (keys[0] !== 'Ref' && !keys[0].startsWith('Fn::'))) return undefined;
  return [keys[0], value[keys[0]]];
}

function resourceIn(stack: StackTemplate, logicalId: string): ResourceInStack | undefined {
  const resource = stack.template.Resources?.[logicalId];
  return resource ? { stack, logicalId, resource } : undefined;
}

/**
 * The value an imported or cross-stack-read output holds, in the stack that declares it:
 * `Fn::ImportValue` of an export name (strong references) or `Fn::GetStackOutput` of a stack
 * name and output name (CDK's weak references, `@aws-cdk/core:defaultCrossStackReferences`).
 * Region is not compared: every stack of one synthesis is assumed to be read from its own region.
 */
export function crossStackValue(
  value: unknown,
  stack: StackTemplate,
  assembly: Assembly,
  depth = 0,
): { stack: StackTemplate; value: unknown } | undefined {
  const fn = intrinsicOf(value);
  if (!fn || depth > MAX_DEPTH) return undefined;
  const [name, argument] = fn;
  if (name === 'Fn::ImportValue') {
    const exportName = renderText(argument, stack, assembly, depth + 1);
    for (const producer of assembly.stacks) {
      for (const output of Object.values(producer.template.Outputs ?? {})) {
        if (output.Export && renderText(output.Export.Name, producer, assembly, depth + 1) === exportName) {
          return { stack: producer, value: output.Value };
        }
      }
    }
    return undefined;
  }
  if (name === 'Fn::GetStackOutput' && isObject(argument)) {
    const stackName = renderText(argument.StackName, stack, assembly, depth + 1);
    const outputName = renderText(argument.OutputName, stack, assembly, depth + 1);
    const producer = assembly.stacks.find((s) => s.name === stackName);
    const output = producer?.template.Outputs?.[outputName];
    return producer && output ? { stack: producer, value: output.Value } : undefined;
  }
  return undefined;
}

/**
 * The resource a value points at: `Ref`, `Fn::GetAtt` (either form), or an output of another
 * stack that holds one of those. Literal ARNs, parameters and pseudo parameters resolve to nothing.
 */
export function resolveResource(
  value: unknown,
  stack: StackTemplate,
  assembly: Assembly,
  depth = 0,
): ResourceInStack | undefined {
  const fn = intrinsicOf(value);
  if (!fn || depth > MAX_DEPTH) return undefined;
  const [name, argument] = fn;
  if (name === 'Ref' && typeof argument === 'string') return resourceIn(stack, argument);
  if (name === 'Fn::GetAtt') {
    const target = Array.isArray(argument) ? argument[0] : String(argument).split('.')[0];
    return typeof target === 'string' ? resourceIn(stack, target) : undefined;
  }
  const imported = crossStackValue(value, stack, assembly, depth);
  return imported ? resolveResource(imported.value, imported.stack, assembly, depth + 1) : undefined;
}

/**
 * Every resource a value references anywhere inside it (an ARN built with `Fn::Join` from a `Ref`
 * to a REST API and one to its stage yields both), following cross-stack outputs.
 */
export function referencedResources(
  value: unknown,
  stack: StackTemplate,
  assembly: Assembly,
  depth = 0,
): ResourceInStack[] {
  if (depth > MAX_DEPTH) return [];
  if (Array.isArray(value)) return value.flatMap((item) => referencedResources(item, stack, assembly, depth));
  if (!isObject(value)) return [];
  const direct = resolveResource(value, stack, assembly, depth);
  if (direct) return [direct];
  const imported = crossStackValue(value, stack, assembly, depth);
  if (imported) return referencedResources(imported.value, imported.stack, assembly, depth + 1);
  return Object.values(value).flatMap((item) => referencedResources(item, stack, assembly, depth));
}

/**
 * A value as text, with `${...}` placeholders for what only CloudFormation knows:
 * `{"Ref": "AWS::Region"}` becomes `${AWS::Region}`, `{"Fn::GetAtt": ["Key", "Arn"]}` becomes
 * `${Key.Arn}`, `Fn::Join` and `Fn::Sub` are applied, and cross-stack outputs are rendered in
 * the stack that declares them. `AWS::StackName` is known, so it is substituted.
 */
export function renderText(value: unknown, stack: StackTemplate, assembly: Assembly, depth = 0): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  const fn = intrinsicOf(value);
  if (!fn || depth > MAX_DEPTH) return '${?}';
  const [name, argument] = fn;
  if (name === 'Ref') {
    if (argument === 'AWS::StackName') return stack.name;
    return `\${${String(argument)}}`;
  }
  if (name === 'Fn::GetAtt') {
    return `\${${Array.isArray(argument) ? argument.join('.') : String(argument)}}`;
  }
  if (name === 'Fn::Join' && Array.isArray(argument) && Array.isArray(argument[1])) {
    const separator = typeof argument[0] === 'string' ? argument[0] : '';
    return argument[1].map((part) => renderText(part, stack, assembly, depth + 1)).join(separator);
  }
  if (name === 'Fn::Sub') {
    const [template, variables] = Array.isArray(argument) ? argument : [argument, {}];
    if (typeof template !== 'string') return '${?}';
    return template.replace(/\$\{([^!}][^}]*)\}/g, (whole, variable: string) => {
      if (isObject(variables) && variable in variables) {
        return renderText(variables[variable], stack, assembly, depth + 1);
      }
      return variable === 'AWS::StackName' ? stack.name : whole;
    });
  }
  const imported = crossStackValue(value, stack, assembly, depth);
  if (imported) return renderText(imported.value, imported.stack, assembly, depth + 1);
  return `\${${name}}`;
}
