/**
 * Every interface endpoint has a caller, and every caller its endpoint. The callers are derived
 * from the code that really runs in the VPC, not from a list: the esbuild metafile of each
 * VPC-attached Lambda asset of the synthesized app (NodeFunction writes `index.meta.json` beside
 * the bundle), and the trainer image's entry built with the very esbuild command of its
 * Dockerfile. The agents that run there besides our code (the ECS agent on Batch instances) come
 * from lib/network-plan.ts, where each carries the documentation that says what it calls.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { configFromContext } from '../../lib/config';
import { agentNeeds, networkPlan, SDK_CLIENT_SERVICES } from '../../lib/network-plan';
import { createPlatform } from '../../lib/platform';
import { CDK_JSON_CONTEXT } from '../support/synth';

const ROOT = join(__dirname, '..', '..');

interface Metafile {
  readonly outputs: Record<string, { readonly inputs: Record<string, { readonly bytesInOutput: number }> }>;
}

/**
 * The endpoint services a bundle calls: each `@aws-sdk/client-*` package with code in the
 * output (a tree-shaken import leaves none), and X-Ray when an X-Ray SDK is bundled.
 */
function servicesOf(meta: Metafile, bundle: string): string[] {
  const services = new Set<string>();
  for (const output of Object.values(meta.outputs)) {
    for (const [file, input] of Object.entries(output.inputs)) {
      if (input.bytesInOutput === 0) continue;
      const client = /node_modules\/@aws-sdk\/(client-[a-z0-9-]+)\//.exec(file)?.[1];
      if (client) {
        const service = SDK_CLIENT_SERVICES[client];
        if (service === undefined)
          throw new Error(`${bundle} bundles @aws-sdk/${client}: add its endpoint service`);
        if (service) services.add(service);
      }
      if (/node_modules\/(aws-xray-sdk[a-z-]*|@aws-lambda-powertools\/tracer)\//.test(file))
        services.add('xray');
    }
  }
  return [...services];
}

/** The trainer's bundle, built by the esbuild command of lambda/trainer/Dockerfile, with a metafile. */
function trainerServices(): string[] {
  const dockerfile = readFileSync(join(ROOT, 'lambda', 'trainer', 'Dockerfile'), 'utf8').replace(
    /\\\n/g,
    ' ',
  );
  const command = /RUN npx esbuild (.+?)(?:&&|\n)/.exec(dockerfile)?.[1];
  if (!command) throw new Error('no esbuild command in lambda/trainer/Dockerfile');
  const dir = mkdtempSync(join(tmpdir(), 'trainer-bundle-'));
  try {
    const args = command
      .trim()
      .split(/\s+/)
      .map((arg) => (arg.startsWith('--outfile=') ? `--outfile=${join(dir, 'entry.js')}` : arg));
    execFileSync(
      join(ROOT, 'node_modules', '.bin', 'esbuild'),
      [...args, `--metafile=${join(dir, 'meta.json')}`],
      {
        cwd: ROOT,
        stdio: 'pipe',
      },
    );
    return servicesOf(JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as Metafile, 'the trainer');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface Synthesized {
  readonly declared: { service: string; subnets: number }[];
  readonly functions: { handler: string; inVpc: boolean; services: string[] }[];
}

/**
 * Synthesizes the platform and reads its endpoints and functions; with `bundle`, the Lambda
 * assets are bundled and each function's services read from its metafile (only an isolated
 * network attaches functions, so only there do their bundles count).
 */
function synthesize(factory: Record<string, unknown>, bundle: boolean): Synthesized {
  const outdir = mkdtempSync(join(tmpdir(), 'network-plan-'));
  try {
    const app = new App({
      outdir,
      context: {
        ...CDK_JSON_CONTEXT,
        factory,
        'aws:cdk:bundling-stacks': bundle ? ['**'] : [],
        'aws:cdk:enable-asset-metadata': true,
      },
    });
    createPlatform(app, configFromContext(app.node.getAllContext()));
    app.synth();
    const declared: Synthesized['declared'] = [];
    const functions: Synthesized['functions'] = [];
    for (const file of readdirSync(outdir).filter((f) => f.endsWith('.template.json'))) {
      const template = JSON.parse(readFileSync(join(outdir, file), 'utf8')) as {
        // A template's properties are free-form JSON; each is checked where it is read.
        // eslint-disable-next-line @typescript-eslint/no-explicit-any
        Resources: Record<string, { Type: string; Properties: any; Metadata?: Record<string, string> }>;
      };
      for (const resource of Object.values(template.Resources)) {
        const props = resource.Properties;
        if (resource.Type === 'AWS::EC2::VPCEndpoint' && props.VpcEndpointType === 'Interface') {
          const name = JSON.stringify(props.ServiceName);
          declared.push({
            service: /\.([a-z0-9.-]+)"\]\]\}$/.exec(name)![1],
            subnets: props.SubnetIds.length,
          });
        }
        const handler = props?.Environment?.Variables?.POWERTOOLS_SERVICE_NAME;
        if (resource.Type !== 'AWS::Lambda::Function' || !handler) continue;
        const services = bundle
          ? servicesOf(
              JSON.parse(
                readFileSync(join(outdir, resource.Metadata!['aws:asset:path'], 'index.meta.json'), 'utf8'),
              ) as Metafile,
              handler,
            )
          : [];
        functions.push({ handler, inVpc: props.VpcConfig !== undefined, services });
      }
    }
    return { declared, functions };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

const trainer = trainerServices();

describe.each([
  ['dev (lean) on SageMaker', { stage: 'dev' }, 'sagemaker', 'lean'],
  ['dev (lean) on Batch', { stage: 'dev', training: { engine: 'batch' } }, 'batch', 'lean'],
  ['prod (isolated) on SageMaker', { stage: 'prod' }, 'sagemaker', 'isolated'],
  ['prod (isolated) on Batch', { stage: 'prod', training: { engine: 'batch' } }, 'batch', 'isolated'],
] as const)('the network of %s', (_name, factory, engine, profile) => {
  const synthesized = synthesize(factory, profile === 'isolated');

  it(`places the functions by the ${profile} profile`, () => {
    expect(synthesized.functions.map((f) => f.handler).sort()).toEqual(
      ['approval', 'drift', 'evaluate', 'plan', 'predict', 'preprocess', 'promote', 'record-job'].sort(),
    );
    for (const fn of synthesized.functions)
      expect([fn.handler, fn.inVpc]).toEqual([fn.handler, profile === 'isolated']);
  });

  it('declares exactly the interface endpoints that the code and agents inside the VPC call', () => {
    const needed = new Set<string>([...trainer, ...agentNeeds(engine).map((a) => a.service)]);
    for (const fn of synthesized.functions.filter((f) => f.inVpc)) for (const s of fn.services) needed.add(s);
    expect(synthesized.declared.map((d) => d.service).sort()).toEqual([...needed].sort());
  });

  it('puts each endpoint in the AZs the profile pays for', () => {
    const azs = profile === 'isolated' ? 2 : 1;
    expect(synthesized.declared.map((d) => d.subnets)).toEqual(synthesized.declared.map(() => azs));
  });

  (profile === 'isolated' ? it : it.skip)(
    "bundles only the configured engine's client in the record step",
    () => {
      const record = synthesized.functions.find((f) => f.handler === 'record-job')!;
      expect(record.services).toEqual([engine === 'sagemaker' ? 'sagemaker.api' : 'batch']);
    },
  );

  (profile === 'isolated' ? it : it.skip)(
    'bundles the SageMaker client in promote and approval, which call the Model Registry on either engine',
    () => {
      for (const handler of ['promote', 'approval']) {
        const fn = synthesized.functions.find((f) => f.handler === handler)!;
        expect([handler, fn.services]).toEqual([handler, ['sagemaker.api']]);
      }
    },
  );
});

describe('the network plan', () => {
  it('has no SageMaker runtime endpoint: nothing invokes a SageMaker endpoint', () => {
    for (const stage of ['dev', 'prod'] as const) {
      for (const engine of ['sagemaker', 'batch'] as const) {
        const plan = networkPlan(configFromContext({ factory: { stage, training: { engine } } }));
        expect(plan.endpoints.map((e) => e.service)).not.toContain('sagemaker.runtime');
      }
    }
  });

  it('names who calls each endpoint', () => {
    const plan = networkPlan(
      configFromContext({ factory: { stage: 'prod', training: { engine: 'batch' } } }),
    );
    expect(plan.endpoints.find((e) => e.service === 'batch')?.callers).toEqual(['the record-job function']);
    expect(plan.endpoints.find((e) => e.service === 'ecs-agent')?.callers).toEqual([
      'the ECS container agent on the Batch instances',
    ]);
  });
});
