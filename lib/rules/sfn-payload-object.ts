import { type Assembly, resourcesOfType } from './support/assembly';
import type { FactoryRule, Finding } from './support/finding';
import { isObject, renderText } from './support/intrinsics';

export const SFN_PAYLOAD_OBJECT = 'Factory-SfnPayloadObject';

/**
 * The payload-template fields of a JSONPath state. The Amazon States Language requires each to be
 * a JSON object ("Payload Template": "A Payload Template MUST be a JSON object",
 * https://states-language.net/spec.html#payload-template; "Manipulate parameters in Step
 * Functions workflows", https://docs.aws.amazon.com/step-functions/latest/dg/input-output-inputpath-params.html).
 * aws/aws-cdk#34260: `tasks.LambdaInvoke` with `payloadResponseOnly: true` and
 * `TaskInput.fromJsonPathAt('$.x')` renders `"Parameters": "$.x"`, which CreateStateMachine
 * refuses (InvalidDefinition). JSONata `Arguments` may legitimately be a string and is not checked.
 */
const OBJECT_FIELDS = ['Parameters', 'ResultSelector', 'ItemSelector'] as const;

interface StateAt {
  readonly path: string;
  readonly state: Record<string, unknown>;
}

/** Every state, with its path through Parallel branches and Map iterators / item processors. */
export function statesOf(definition: unknown, prefix = ''): StateAt[] {
  if (!isObject(definition) || !isObject(definition.States)) return [];
  return Object.entries(definition.States).flatMap(([name, state]) => {
    if (!isObject(state)) return [];
    const path = prefix ? `${prefix} > ${name}` : name;
    const nested = [
      ...(Array.isArray(state.Branches) ? state.Branches : []).flatMap((branch, i) =>
        statesOf(branch, `${path} > Branches[${i}]`),
      ),
      ...statesOf(state.Iterator, `${path} > Iterator`),
      ...statesOf(state.ItemProcessor, `${path} > ItemProcessor`),
    ];
    return [{ path, state }, ...nested];
  });
}

/**
 * Quotes `${...}` placeholders that stand where a JSON value goes (a token rendered as a bare
 * number, or a `DefinitionSubstitutions` key outside a string), so the text parses; placeholders
 * inside strings are left alone.
 */
export function quoteBarePlaceholders(text: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      out += c;
      if (c === '\\') out += text[++i] ?? '';
      else if (c === '"') inString = false;
    } else if (c === '"') {
      inString = true;
      out += c;
    } else if (c === '$' && text[i + 1] === '{') {
      const end = text.indexOf('}', i);
      if (end < 0) return out + text.slice(i);
      out += JSON.stringify(text.slice(i, end + 1));
      i = end;
    } else {
      out += c;
    }
  }
  return out;
}

/**
 * The definition of a state machine as JSON: `Definition` as is, or `DefinitionString` (usually
 * an `Fn::Join` of text and tokens) rendered with placeholders for the tokens and parsed.
 * Undefined when the definition lives in S3 (`DefinitionS3Location`).
 */
export function definitionOf(
  properties: Record<string, unknown>,
  render: (value: unknown) => string,
): { readonly definition: unknown } | { readonly error: string } | undefined {
  if (properties.Definition !== undefined) return { definition: properties.Definition };
  if (properties.DefinitionString === undefined) return undefined;
  const text = quoteBarePlaceholders(render(properties.DefinitionString));
  try {
    return { definition: JSON.parse(text) as unknown };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

/**
 * Every state of every `AWS::StepFunctions::StateMachine` has object payload templates:
 * `Parameters`, `ResultSelector`, `ItemSelector` (and `ItemReader` / `ResultWriter` `Parameters`).
 */
export function checkSfnPayloadObject(assembly: Assembly): Finding[] {
  const findings: Finding[] = [];
  for (const machine of resourcesOfType(assembly, 'AWS::StepFunctions::StateMachine')) {
    const properties = machine.resource.Properties ?? {};
    const location =
      properties.Definition !== undefined ? 'Properties/Definition' : 'Properties/DefinitionString';
    const parsed = definitionOf(properties, (value) => renderText(value, machine.stack, assembly));
    if (parsed === undefined) continue;
    if ('error' in parsed) {
      findings.push({
        ruleId: SFN_PAYLOAD_OBJECT,
        resource: machine,
        location,
        message: `Step Functions will refuse the definition (InvalidDefinition): it is not JSON once its tokens are filled in (${parsed.error}).`,
      });
      continue;
    }
    for (const { path, state } of statesOf(parsed.definition)) {
      const fields: [string, unknown][] = [
        ...OBJECT_FIELDS.map((field): [string, unknown] => [field, state[field]]),
        ...(['ItemReader', 'ResultWriter'] as const).map((field): [string, unknown] => [
          `${field}.Parameters`,
          isObject(state[field]) ? (state[field] as Record<string, unknown>).Parameters : undefined,
        ]),
      ];
      for (const [field, value] of fields) {
        if (value === undefined || isObject(value)) continue;
        findings.push({
          ruleId: SFN_PAYLOAD_OBJECT,
          resource: machine,
          location,
          message:
            `Step Functions will refuse the definition at CreateStateMachine (InvalidDefinition): state "${path}" has ` +
            `"${field}": ${JSON.stringify(value)}, a ${Array.isArray(value) ? 'list' : typeof value} where ASL requires a JSON object ` +
            '(aws/aws-cdk#34260: LambdaInvoke with payloadResponseOnly and TaskInput.fromJsonPathAt).',
        });
      }
    }
  }
  return findings;
}

export const sfnPayloadObject: FactoryRule = {
  id: SFN_PAYLOAD_OBJECT,
  documentation: 'https://docs.aws.amazon.com/step-functions/latest/dg/input-output-inputpath-params.html',
  check: checkSfnPayloadObject,
};
