/**
 * The cloud assembly `cdk synth` produces, and reading it back. The app runs the way the CDK CLI
 * runs it: the `app` command of cdk.json, with the context the CLI hands over (cdk.json's
 * context, the `-c` values, path and asset metadata, bundling of every stack) in CDK_CONTEXT_JSON
 * and the output directory in CDK_OUTDIR. Lambda assets are really bundled (local esbuild); the
 * Docker image asset is only described (nothing builds it at synth).
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const PROJECT_ROOT = join(__dirname, '..', '..');

/** What the CLI adds to the app's context on every synth. */
const CLI_CONTEXT = {
  'aws:cdk:enable-path-metadata': true,
  'aws:cdk:enable-asset-metadata': true,
  'aws:cdk:bundling-stacks': ['**'],
};

export interface SynthOptions {
  readonly outdir: string;
  /** The `factory` context object (what `-c factory='{...}'` gives). */
  readonly factory: Record<string, unknown>;
  /** Further context, e.g. the lookups the CLI would keep in cdk.context.json. */
  readonly context?: Record<string, unknown>;
  /** @default the repository root */
  readonly projectRoot?: string;
}

export interface SynthOutcome {
  readonly exitCode: number;
  readonly stderr: string;
  readonly seconds: number;
  /** Failed checks of the policy validation report (validation-report.json), one line each. */
  readonly validationFailures: readonly string[];
  /** Context the app asked for and did not get (manifest.json `missing`). */
  readonly missingContext: readonly string[];
  /** The assembly, when the app wrote one (a failed validation still writes it). */
  readonly assembly?: Assembly;
}

/** Runs the app and reads what it wrote. Never throws for a failing app: the caller decides. */
export async function synthesize(options: SynthOptions): Promise<SynthOutcome> {
  const root = options.projectRoot ?? PROJECT_ROOT;
  const cdkJson = JSON.parse(readFileSync(join(root, 'cdk.json'), 'utf8')) as {
    app: string;
    context?: Record<string, unknown>;
  };
  const context = { ...cdkJson.context, ...options.context, ...CLI_CONTEXT, factory: options.factory };
  const started = Date.now();
  const { exitCode, stderr } = await new Promise<{ exitCode: number; stderr: string }>((resolve, reject) => {
    const child = spawn(cdkJson.app, {
      cwd: root,
      shell: true,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: {
        ...process.env,
        CDK_OUTDIR: options.outdir,
        CDK_CONTEXT_JSON: JSON.stringify(context),
        CDK_DISABLE_VERSION_CHECK: '1',
      },
    });
    let err = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => (err += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ exitCode: code ?? 1, stderr: err }));
  });
  const seconds = (Date.now() - started) / 1000;
  const manifest = join(options.outdir, 'manifest.json');
  const assembly = existsSync(manifest) ? readAssembly(options.outdir) : undefined;
  const missingContext = existsSync(manifest)
    ? ((JSON.parse(readFileSync(manifest, 'utf8')) as { missing?: { key: string }[] }).missing ?? []).map(
        (m) => m.key,
      )
    : [];
  return {
    exitCode,
    stderr,
    seconds,
    validationFailures: validationFailures(options.outdir),
    missingContext,
    assembly,
  };
}

function validationFailures(outdir: string): string[] {
  const file = join(outdir, 'validation-report.json');
  if (!existsSync(file)) return [];
  const report = JSON.parse(readFileSync(file, 'utf8')) as {
    pluginReports: {
      pluginName: string;
      conclusion: string;
      violations?: { ruleName: string; violatingConstructs?: { constructPath: string }[] }[];
    }[];
  };
  return report.pluginReports
    .filter((p) => p.conclusion !== 'success')
    .flatMap((p) =>
      (p.violations ?? []).map(
        (v) =>
          `${p.pluginName}: ${v.ruleName} at ${(v.violatingConstructs ?? []).map((c) => c.constructPath).join(', ')}`,
      ),
    );
}

export interface CfnTemplate {
  Parameters?: Record<string, { Type: string; Default?: unknown }>;
  Rules?: Record<string, unknown>;
  Resources: Record<string, CfnResource>;
  Outputs?: Record<string, { Value: unknown; Description?: string; Export?: unknown }>;
  [section: string]: unknown;
}

export interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
  DependsOn?: string | string[];
  [attribute: string]: unknown;
}

export interface FileAsset {
  readonly id: string;
  readonly path: string;
  readonly packaging: 'zip' | 'file';
  readonly bucketName: string;
  readonly objectKey: string;
}

export interface ImageAsset {
  readonly id: string;
  readonly directory: string;
  readonly repositoryName: string;
  readonly imageTag: string;
}

export interface StackArtifact {
  /** The artifact id (also what other stacks' dependencies name). */
  readonly id: string;
  readonly stackName: string;
  readonly account: string;
  readonly region: string;
  readonly templateFile: string;
  readonly template: CfnTemplate;
  /** Other stacks this one depends on (asset manifests left out). */
  readonly dependsOn: readonly string[];
  readonly files: readonly FileAsset[];
  readonly images: readonly ImageAsset[];
  readonly terminationProtection: boolean;
}

export interface Assembly {
  readonly outdir: string;
  /** Every stack, each after the stacks it depends on. */
  readonly stacks: readonly StackArtifact[];
}

interface ManifestArtifact {
  type: string;
  environment?: string;
  dependencies?: string[];
  displayName?: string;
  properties?: {
    file?: string;
    templateFile?: string;
    stackName?: string;
    terminationProtection?: boolean;
  };
}

interface AssetManifest {
  files?: Record<
    string,
    {
      source: { path: string; packaging?: 'zip' | 'file' };
      destinations: Record<string, { bucketName: string; objectKey: string }>;
    }
  >;
  dockerImages?: Record<
    string,
    {
      source: { directory: string };
      destinations: Record<string, { repositoryName: string; imageTag: string }>;
    }
  >;
}

export function readAssembly(outdir: string): Assembly {
  const manifest = JSON.parse(readFileSync(join(outdir, 'manifest.json'), 'utf8')) as {
    artifacts: Record<string, ManifestArtifact>;
  };
  const artifacts = manifest.artifacts;
  const stackIds = Object.keys(artifacts).filter((id) => artifacts[id].type === 'aws:cloudformation:stack');
  const assetManifestOf = (id: string): AssetManifest => {
    const dep = (artifacts[id].dependencies ?? []).find((d) => artifacts[d]?.type === 'cdk:asset-manifest');
    const file = dep ? artifacts[dep].properties?.file : undefined;
    return file ? (JSON.parse(readFileSync(join(outdir, file), 'utf8')) as AssetManifest) : {};
  };
  const stacks = stackIds.map((id): StackArtifact => {
    const artifact = artifacts[id];
    const [account, region] = (artifact.environment ?? 'aws://unknown-account/unknown-region')
      .replace('aws://', '')
      .split('/');
    const templateFile = artifact.properties?.templateFile ?? `${id}.template.json`;
    const assets = assetManifestOf(id);
    const files = Object.entries(assets.files ?? {}).flatMap(([assetId, asset]) =>
      Object.values(asset.destinations).map((d): FileAsset => ({
        id: assetId,
        path: join(outdir, asset.source.path),
        packaging: asset.source.packaging ?? 'file',
        bucketName: d.bucketName,
        objectKey: d.objectKey,
      })),
    );
    const images = Object.entries(assets.dockerImages ?? {}).flatMap(([assetId, asset]) =>
      Object.values(asset.destinations).map((d): ImageAsset => ({
        id: assetId,
        directory: join(outdir, asset.source.directory),
        repositoryName: d.repositoryName,
        imageTag: d.imageTag,
      })),
    );
    return {
      id,
      stackName: artifact.properties?.stackName ?? artifact.displayName ?? id,
      account,
      region,
      templateFile: join(outdir, templateFile),
      template: JSON.parse(readFileSync(join(outdir, templateFile), 'utf8')) as CfnTemplate,
      dependsOn: (artifact.dependencies ?? []).filter((d) => stackIds.includes(d)),
      files,
      images,
      terminationProtection: artifact.properties?.terminationProtection ?? false,
    };
  });
  return { outdir, stacks: dependencyOrder(stacks) };
}

/** Stacks ordered so each comes after everything it depends on; a cycle is an error. */
export function dependencyOrder(stacks: readonly StackArtifact[]): StackArtifact[] {
  const byId = new Map(stacks.map((s) => [s.id, s]));
  const done = new Set<string>();
  const visiting = new Set<string>();
  const out: StackArtifact[] = [];
  const visit = (id: string) => {
    if (done.has(id)) return;
    if (visiting.has(id)) throw new Error(`stack dependency cycle through ${id}`);
    visiting.add(id);
    const stack = byId.get(id);
    if (!stack) throw new Error(`unknown stack ${id} in a dependency`);
    for (const dep of stack.dependsOn) visit(dep);
    visiting.delete(id);
    done.add(id);
    out.push(stack);
  };
  for (const s of stacks) visit(s.id);
  return out;
}
