/**
 * CloudFormation intrinsics resolved the way CloudFormation would resolve them, over a set of
 * synthesized templates, with the physical values supplied by the caller (resources created on
 * moto, or names chosen for them). Used to turn the synthesized state machine definition into the
 * exact text Step Functions would receive. An intrinsic this does not know is an error, never a
 * silent pass-through.
 */
import type { CfnTemplate } from './assembly';

export interface Environment {
  readonly account: string;
  readonly region: string;
  readonly partition?: string;
  readonly urlSuffix?: string;
}

/** The physical value of `Ref` (attribute undefined) or `Fn::GetAtt` of a resource. */
export type PhysicalValue = (
  stackName: string,
  logicalId: string,
  type: string,
  attribute: string | undefined,
) => string;

export interface ResolveContext {
  readonly env: Environment;
  /** Every stack's template, by stack name (for Fn::GetStackOutput and Fn::ImportValue). */
  readonly templates: Readonly<Record<string, CfnTemplate>>;
  readonly physical: PhysicalValue;
}

function pseudo(name: string, stackName: string, env: Environment): string | undefined {
  switch (name) {
    case 'AWS::AccountId':
      return env.account;
    case 'AWS::Region':
      return env.region;
    case 'AWS::Partition':
      return env.partition ?? 'aws';
    case 'AWS::URLSuffix':
      return env.urlSuffix ?? 'amazonaws.com';
    case 'AWS::StackName':
      return stackName;
    default:
      return undefined;
  }
}

function asString(value: unknown, where: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new Error(`${where}: expected a string, got ${JSON.stringify(value)}`);
}

export function resolve(value: unknown, stackName: string, ctx: ResolveContext): unknown {
  if (Array.isArray(value)) return value.map((v) => resolve(v, stackName, ctx));
  if (!value || typeof value !== 'object') return value;
  const node = value as Record<string, unknown>;
  const keys = Object.keys(node);
  const template = ctx.templates[stackName];
  if (!template) throw new Error(`no template for stack ${stackName}`);
  const resource = (logicalId: string) => {
    const r = template.Resources[logicalId];
    if (!r) throw new Error(`${stackName}: no resource ${logicalId}`);
    return r;
  };
  if (keys.length === 1) {
    const [fn] = keys;
    const arg = node[fn];
    switch (fn) {
      case 'Ref': {
        const name = asString(arg, 'Ref');
        return (
          pseudo(name, stackName, ctx.env) ?? ctx.physical(stackName, name, resource(name).Type, undefined)
        );
      }
      case 'Fn::GetAtt': {
        const [logicalId, attribute] = (
          typeof arg === 'string' ? arg.split('.') : (resolve(arg, stackName, ctx) as string[])
        ) as [string, string];
        return ctx.physical(stackName, logicalId, resource(logicalId).Type, attribute);
      }
      case 'Fn::Join': {
        const [sep, parts] = arg as [string, unknown[]];
        const items = resolve(parts, stackName, ctx) as unknown[];
        return items.map((p, i) => asString(p, `Fn::Join part ${i}`)).join(sep);
      }
      case 'Fn::Select': {
        const [index, list] = arg as [unknown, unknown];
        const items = resolve(list, stackName, ctx) as unknown[];
        return items[Number(resolve(index, stackName, ctx))];
      }
      case 'Fn::Split': {
        const [sep, text] = arg as [string, unknown];
        return asString(resolve(text, stackName, ctx), 'Fn::Split').split(sep);
      }
      case 'Fn::Sub':
        return substitute(arg, stackName, ctx);
      case 'Fn::GetStackOutput': {
        const ref = resolve(arg, stackName, ctx) as { StackName: string; OutputName: string };
        return outputValue(ref.StackName, ref.OutputName, ctx);
      }
      case 'Fn::ImportValue': {
        const name = asString(resolve(arg, stackName, ctx), 'Fn::ImportValue');
        for (const [producer, t] of Object.entries(ctx.templates)) {
          for (const [outputName, output] of Object.entries(t.Outputs ?? {})) {
            const exported = output.Export as { Name?: unknown } | undefined;
            if (exported && resolve(exported.Name, producer, ctx) === name) {
              return outputValue(producer, outputName, ctx);
            }
          }
        }
        throw new Error(`Fn::ImportValue: no stack exports ${name}`);
      }
      default:
        if (fn.startsWith('Fn::')) throw new Error(`${stackName}: intrinsic ${fn} is not supported here`);
    }
  }
  return Object.fromEntries(keys.map((k) => [k, resolve(node[k], stackName, ctx)]));
}

function outputValue(stackName: string, outputName: string, ctx: ResolveContext): unknown {
  const output = ctx.templates[stackName]?.Outputs?.[outputName];
  if (!output) throw new Error(`stack ${stackName} has no output ${outputName}`);
  return resolve(output.Value, stackName, ctx);
}

function substitute(arg: unknown, stackName: string, ctx: ResolveContext): string {
  const [text, variables] = (typeof arg === 'string' ? [arg, {}] : arg) as [string, Record<string, unknown>];
  return text.replace(/\$\{([^}!]+)\}/g, (_, name: string) => {
    if (name in variables) return asString(resolve(variables[name], stackName, ctx), `Fn::Sub \${${name}}`);
    const p = pseudo(name, stackName, ctx.env);
    if (p !== undefined) return p;
    const [logicalId, attribute] = name.split('.');
    const r = ctx.templates[stackName].Resources[logicalId];
    if (!r) throw new Error(`Fn::Sub: \${${name}} names nothing in ${stackName}`);
    return ctx.physical(stackName, logicalId, r.Type, attribute);
  });
}
