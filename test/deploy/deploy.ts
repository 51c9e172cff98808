/**
 * The emulated deploy: synthesize the app as `cdk synth` does, bootstrap and publish as
 * `cdk bootstrap` and `cdk deploy` do, then create every stack, in dependency order, on moto's
 * CloudFormation and wait for each to settle. Product problems (a synth that fails its policy
 * checks, a stack that does not reach CREATE_COMPLETE) are collected, never worked around.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateStackCommand,
  DescribeStackResourcesCommand,
  DescribeStacksCommand,
  type StackResource,
} from '@aws-sdk/client-cloudformation';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { startMoto, type MotoServer } from '../../bin/local/moto-server';
import { synthesize, type StackArtifact, type SynthOutcome } from './assembly';
import {
  bootstrap,
  lookupContext,
  publishAssets,
  type BootstrapEnvironment,
  type PublishReport,
} from './bootstrap';
import { motoClients, type MotoClients } from './clients';
import { readBack, type Readback } from './readback';
import {
  adaptTemplate,
  ANSWER_CUSTOM_RESOURCES,
  answerCustomResources,
  skippedByMoto,
  createThroughApis,
  CREATE_MODEL_PACKAGE_GROUPS,
  createModelPackageGroups,
  CREATE_THROUGH_APIS,
  type AppliedWorkaround,
} from './moto-gaps';

/** moto's default account; its region here is the one the templates are synthesized for. */
export const ACCOUNT = '123456789012';
export const REGION = 'us-east-1';

export interface DeployOptions {
  /** Extra `factory` config over the account and region. */
  readonly factory?: Record<string, unknown>;
  /** An already running moto_server; by default one is started and stopped. */
  readonly moto?: MotoServer;
  /** The app to synthesize. @default the repository root */
  readonly projectRoot?: string;
  /** Keep the assembly directory (printed). */
  readonly keepAssembly?: boolean;
  readonly log?: (line: string) => void;
}

export interface DeployedStack {
  readonly stackName: string;
  readonly status: string;
  readonly reason?: string;
  readonly outputs: Record<string, string>;
  readonly resources: readonly StackResource[];
  /** Resource types of the template moto's CloudFormation does not implement (it skips them). */
  readonly skipped: readonly string[];
  readonly seconds: number;
}

export interface DeployReport {
  readonly synth: SynthOutcome;
  readonly bootstrap?: BootstrapEnvironment;
  readonly published?: PublishReport;
  readonly stacks: readonly DeployedStack[];
  readonly workarounds: readonly AppliedWorkaround[];
  /** What moto keeps of the deployed stacks, read through the services' APIs. */
  readonly readback?: Readback;
  /** What kept the app from deploying, one precise line each; empty on a clean deploy. */
  readonly problems: readonly string[];
  readonly assemblyDir: string;
  /** Wall time of the whole deploy: moto start, synth, bootstrap, publishing, stacks, read-back. */
  readonly seconds: number;
}

/** The stack settles: moto creates synchronously, but custom resources keep it in progress. */
async function waitForStack(clients: MotoClients, stackName: string, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { Stacks } = await clients.cloudFormation.send(new DescribeStacksCommand({ StackName: stackName }));
    const stack = Stacks?.[0];
    if (!stack) throw new Error(`DescribeStacks: no ${stackName}`);
    if (!stack.StackStatus?.endsWith('_IN_PROGRESS') || Date.now() > deadline) return stack;
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function createStack(
  clients: MotoClients,
  env: BootstrapEnvironment,
  artifact: StackArtifact,
  deployed: Map<string, DeployedStack>,
  workarounds: AppliedWorkaround[],
): Promise<DeployedStack> {
  const started = Date.now();
  const { template, applied } = await adaptTemplate(artifact.stackName, artifact.template, {
    stackOutputs: (name) => deployed.get(name)?.outputs,
    clients,
    account: env.account,
  });
  workarounds.push(...applied);
  // As `cdk deploy` does for templates over the 51,200-byte TemplateBody limit: from the staging
  // bucket (the adapted copy beside the published original).
  const key = `moto-adapted/${artifact.stackName}.template.json`;
  await clients.s3.send(
    new PutObjectCommand({ Bucket: env.stagingBucket, Key: key, Body: JSON.stringify(template) }),
  );
  let status: string;
  let reason: string | undefined;
  let outputs: Record<string, string> = {};
  let resources: StackResource[] = [];
  try {
    const { StackId } = await clients.cloudFormation.send(
      new CreateStackCommand({
        StackName: artifact.stackName,
        TemplateURL: `https://s3.${env.region}.amazonaws.com/${env.stagingBucket}/${key}`,
        RoleARN: env.cfnExecutionRoleArn,
        Capabilities: ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM', 'CAPABILITY_AUTO_EXPAND'],
        EnableTerminationProtection: artifact.terminationProtection,
      }),
    );
    const answered = await answerCustomResources(clients, StackId!, template);
    if (answered > 0)
      workarounds.push({ ...ANSWER_CUSTOM_RESOURCES, stack: artifact.stackName, count: answered });
    const stack = await waitForStack(clients, artifact.stackName);
    status = stack.StackStatus ?? 'UNKNOWN';
    reason = stack.StackStatusReason;
    outputs = Object.fromEntries((stack.Outputs ?? []).map((o) => [o.OutputKey!, o.OutputValue ?? '']));
    resources =
      (
        await clients.cloudFormation.send(
          new DescribeStackResourcesCommand({ StackName: artifact.stackName }),
        )
      ).StackResources ?? [];
    if (status === 'CREATE_COMPLETE') {
      const byApi = await createThroughApis(clients, artifact.stackName, template, resources, env.account);
      if (byApi > 0) workarounds.push({ ...CREATE_THROUGH_APIS, stack: artifact.stackName, count: byApi });
      const groups = await createModelPackageGroups(clients, template);
      if (groups > 0)
        workarounds.push({ ...CREATE_MODEL_PACKAGE_GROUPS, stack: artifact.stackName, count: groups });
    }
  } catch (error) {
    status = 'CREATE_FAILED';
    reason = `CreateStack: ${describeError(error)}`;
  }
  return {
    stackName: artifact.stackName,
    status,
    reason,
    outputs,
    resources,
    skipped: resources.length > 0 ? skippedByMoto(artifact.template, resources) : [],
    seconds: (Date.now() - started) / 1000,
  };
}

/**
 * moto answers some failures of CreateStack with a body that is not CloudFormation's XML (the
 * JSON error of the service that failed inside): the SDK then reports a parse error and keeps the
 * text, which is the message that matters.
 */
function describeError(error: unknown): string {
  const e = error as Error & { $responseBodyText?: string };
  const body = e.$responseBodyText?.trim();
  return body ? `${e.name}: ${body}` : `${e.name}: ${e.message}`;
}

/** The line of the app's stderr that says why it failed (bundling chatter left out). */
function synthError(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const why = lines.filter((l) => /error|failed/i.test(l));
  return (why.length ? why : lines.slice(-3)).slice(0, 3).join(' | ');
}

export async function deployToMoto(options: DeployOptions = {}): Promise<DeployReport> {
  const log = options.log ?? (() => undefined);
  const started = Date.now();
  const elapsed = () => (Date.now() - started) / 1000;
  const moto = options.moto ?? (await startMoto());
  const clients = motoClients(moto.endpoint, REGION);
  const assemblyDir = mkdtempSync(join(tmpdir(), 'factory-deploy-'));
  try {
    const context = await lookupContext(clients, ACCOUNT);
    log(`moto_server ${moto.endpoint}; context lookups: ${Object.keys(context).join(', ')}`);
    const synth = await synthesize({
      outdir: assemblyDir,
      factory: { account: ACCOUNT, region: REGION, ...options.factory },
      context,
      projectRoot: options.projectRoot,
    });
    log(`synth: exit ${synth.exitCode} in ${synth.seconds.toFixed(1)} s, assembly ${assemblyDir}`);
    const problems: string[] = [];
    // A failed policy check is why synth exits non-zero; any other failure is named by its stderr.
    for (const failure of synth.validationFailures) problems.push(`synth policy check failed: ${failure}`);
    if (synth.exitCode !== 0 && synth.validationFailures.length === 0) {
      problems.push(`synth exits ${synth.exitCode}: ${synthError(synth.stderr)}`);
    }
    for (const key of synth.missingContext) problems.push(`synth still misses context ${key}`);
    if (!synth.assembly) {
      return { synth, stacks: [], workarounds: [], problems, assemblyDir, seconds: elapsed() };
    }

    const env = await bootstrap(clients, ACCOUNT);
    log(
      `bootstrap: ${env.versionParameter} = ${env.version}, bucket ${env.stagingBucket}, repository ${env.containerRepository}`,
    );
    const published = await publishAssets(clients, synth.assembly);
    log(`published ${published.files.length} file assets to s3://${env.stagingBucket}`);
    for (const image of published.imagesNotBuilt) {
      log(
        `image asset ${image.id.slice(0, 12)}… not built (no Docker engine): ${image.repositoryName}:${image.imageTag} stays empty`,
      );
    }

    const deployed = new Map<string, DeployedStack>();
    const workarounds: AppliedWorkaround[] = [];
    for (const artifact of synth.assembly.stacks) {
      const missing = artifact.dependsOn.filter(
        (dep) =>
          deployed.get(synth.assembly!.stacks.find((s) => s.id === dep)!.stackName)?.status !==
          'CREATE_COMPLETE',
      );
      if (missing.length > 0) {
        deployed.set(artifact.stackName, {
          stackName: artifact.stackName,
          status: 'NOT_ATTEMPTED',
          reason: `depends on ${missing.join(', ')}, which did not reach CREATE_COMPLETE`,
          outputs: {},
          resources: [],
          skipped: [],
          seconds: 0,
        });
        continue;
      }
      const stack = await createStack(clients, env, artifact, deployed, workarounds);
      deployed.set(artifact.stackName, stack);
      log(
        `${stack.stackName}: ${stack.status}${stack.reason ? ` (${stack.reason})` : ''}, ${stack.resources.length} resources in ${stack.seconds.toFixed(1)} s` +
          (stack.skipped.length ? `; moto skips ${stack.skipped.join(', ')}` : ''),
      );
    }
    const stacks = [...deployed.values()];
    for (const s of stacks) {
      if (s.status !== 'CREATE_COMPLETE') problems.push(`${s.stackName}: ${s.status}: ${s.reason ?? ''}`);
    }
    const readback = await readBack(
      clients,
      stacks.flatMap((s) => s.resources.map((r) => ({ ...r, StackName: s.stackName }))),
    );
    return {
      synth,
      bootstrap: env,
      published,
      stacks,
      workarounds,
      readback,
      problems,
      assemblyDir,
      seconds: elapsed(),
    };
  } finally {
    clients.destroy();
    if (!options.moto) await moto.stop();
    if (!options.keepAssembly) rmSync(assemblyDir, { recursive: true, force: true });
  }
}

/** The run as a person reads it: what was created, what moto kept, what was bent and what failed. */
export function describeDeploy(report: DeployReport): string {
  const lines: string[] = [];
  const { synth } = report;
  lines.push(
    `synth      exit ${synth.exitCode}, ${synth.seconds.toFixed(1)} s, ${synth.assembly?.stacks.length ?? 0} stacks` +
      (synth.validationFailures.length ? `, ${synth.validationFailures.length} policy check failures` : ''),
  );
  if (report.bootstrap) {
    const b = report.bootstrap;
    lines.push(
      `bootstrap  ${b.versionParameter} = ${b.version}; s3://${b.stagingBucket}; ECR ${b.containerRepository}`,
    );
  }
  if (report.published) {
    lines.push(`assets     ${report.published.files.length} file assets published to the staging bucket`);
    for (const image of report.published.imagesNotBuilt) {
      lines.push(
        `           image ${image.repositoryName}:${image.imageTag.slice(0, 12)}… NOT built (no Docker engine)`,
      );
    }
  }
  lines.push('stacks     (dependency order)');
  for (const s of report.stacks) {
    lines.push(
      `           ${s.stackName.padEnd(28)} ${s.status.padEnd(16)} ${String(s.resources.length).padStart(3)} resources` +
        (s.skipped.length ? `; moto skips ${s.skipped.join(', ')}` : ''),
    );
    if (s.status !== 'CREATE_COMPLETE' && s.reason) lines.push(`             ${s.reason}`);
  }
  lines.push('moto workarounds applied');
  const byName = new Map<string, AppliedWorkaround[]>();
  for (const w of report.workarounds) byName.set(w.name, [...(byName.get(w.name) ?? []), w]);
  for (const [name, uses] of byName) {
    lines.push(`           ${name}: ${uses[0].gap}`);
    lines.push(`             ${uses.map((u) => `${u.stack.split('-').pop()} ×${u.count}`).join(', ')}`);
  }
  const rb = report.readback;
  if (rb) {
    lines.push('read back from moto');
    for (const k of rb.keys)
      lines.push(
        `           key    ${k.stack.split('-').pop()}/${k.logicalId} ${k.arn} tags ${JSON.stringify(k.tags)}`,
      );
    for (const b of rb.buckets) {
      lines.push(
        `           bucket ${b.name} ${b.sseAlgorithm ?? 'no default encryption'}${b.kmsKeyArn ? ` ${b.kmsKeyArn}` : ''}`,
      );
    }
    for (const q of rb.queues) lines.push(`           queue  ${q.url} KMS ${q.kmsMasterKeyId ?? 'none'}`);
    for (const t of rb.topics) lines.push(`           topic  ${t.arn} KMS ${t.kmsMasterKeyId ?? 'none'}`);
    for (const f of rb.functions) {
      lines.push(
        `           lambda ${f.name} ${f.runtime} ${f.memorySize} MB code ${f.codeSize} B sha256 ${f.codeSha256}`,
      );
    }
    lines.push(`           roles  ${rb.roles.length}: ${rb.roles.map((r) => r.logicalId).join(', ')}`);
    for (const m of rb.stateMachines) {
      const states = Object.keys((m.definition.States ?? {}) as Record<string, unknown>);
      lines.push(`           state machine ${m.arn}: ${states.length} states (${states.join(', ')})`);
    }
  }
  lines.push(`total      ${report.seconds.toFixed(1)} s`);
  if (report.problems.length) {
    lines.push('problems');
    for (const p of report.problems) lines.push(`           ${p}`);
  }
  return lines.join('\n');
}
