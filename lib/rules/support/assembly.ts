import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

/** One resource of a synthesized template, as JSON. */
export interface CfnResourceJson {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly Metadata?: Record<string, unknown>;
}

export interface CfnOutputJson {
  readonly Value: unknown;
  readonly Export?: { readonly Name: unknown };
}

export interface CfnTemplateJson {
  readonly Resources?: Record<string, CfnResourceJson>;
  readonly Outputs?: Record<string, CfnOutputJson>;
}

/** A stack of the cloud assembly: its CloudFormation name, where its template is, the template. */
export interface StackTemplate {
  readonly name: string;
  readonly templatePath: string;
  readonly template: CfnTemplateJson;
}

/**
 * Every stack template of one synthesis. Rules take the whole assembly, not one stack, because
 * the failures they look for cross stacks: a launch template in one stack uses a key whose
 * policy lives in another.
 */
export interface Assembly {
  readonly stacks: readonly StackTemplate[];
}

/** A resource together with the stack that declares it. */
export interface ResourceInStack {
  readonly stack: StackTemplate;
  readonly logicalId: string;
  readonly resource: CfnResourceJson;
}

interface ManifestJson {
  readonly artifacts?: Record<
    string,
    { readonly type: string; readonly properties?: { templateFile?: string; stackName?: string } }
  >;
}

/**
 * Reads the templates a validation plugin is given. Stack names (which `Fn::GetStackOutput`
 * references use) come from the `manifest.json` next to each template; a stack without an
 * explicit `stackName` is deployed under its artifact id.
 */
export function loadAssembly(templatePaths: readonly string[]): Assembly {
  const names = new Map<string, string>();
  for (const dir of new Set(templatePaths.map((p) => path.dirname(path.resolve(p))))) {
    const manifestPath = path.join(dir, 'manifest.json');
    if (!existsSync(manifestPath)) continue;
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as ManifestJson;
    for (const [id, artifact] of Object.entries(manifest.artifacts ?? {})) {
      const file = artifact.properties?.templateFile;
      if (artifact.type !== 'aws:cloudformation:stack' || !file) continue;
      names.set(path.join(dir, file), artifact.properties?.stackName ?? id);
    }
  }
  return {
    stacks: templatePaths.map((templatePath) => {
      const absolute = path.resolve(templatePath);
      return {
        name: names.get(absolute) ?? path.basename(absolute).replace(/\.template\.json$/, ''),
        templatePath: absolute,
        template: JSON.parse(readFileSync(absolute, 'utf8')) as CfnTemplateJson,
      };
    }),
  };
}

/** The assembly of an in-memory synthesis (`app.synth()`), as tests produce it. */
export function assemblyOf(cloudAssembly: {
  readonly stacks: readonly { stackName: string; templateFullPath: string; template: unknown }[];
}): Assembly {
  return {
    stacks: cloudAssembly.stacks.map((stack) => ({
      name: stack.stackName,
      templatePath: stack.templateFullPath,
      template: stack.template as CfnTemplateJson,
    })),
  };
}

/** Every resource of the given CloudFormation type, in every stack. */
export function resourcesOfType(assembly: Assembly, type: string): ResourceInStack[] {
  return assembly.stacks.flatMap((stack) =>
    Object.entries(stack.template.Resources ?? {})
      .filter(([, resource]) => resource.Type === type)
      .map(([logicalId, resource]) => ({ stack, logicalId, resource })),
  );
}

/** `Stack/LogicalId`: how findings name a resource. */
export function nameOf(resource: ResourceInStack): string {
  return `${resource.stack.name}/${resource.logicalId}`;
}

export function sameResource(a: ResourceInStack, b: ResourceInStack): boolean {
  return a.stack.templatePath === b.stack.templatePath && a.logicalId === b.logicalId;
}
