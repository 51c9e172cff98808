import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import { resolveNetworkProfile, type FactoryConfig, type NetworkProfile } from './config';
import type { FunctionNetwork } from './constructs/node-function';

/**
 * Which interface endpoints the VPC gets, and why: one entry per AWS API that something inside
 * the VPC calls, with who calls it. An interface endpoint costs per AZ and hour whether or not
 * anything uses it (VPC pricing), so an endpoint without a caller is money for nothing, and a
 * caller without an endpoint is a function that times out in an isolated subnet.
 *
 * test/lib/network-plan.test.ts holds this file to the code: it reads the esbuild metafile of
 * every bundle that runs in the VPC (each Lambda asset, and the trainer image's entry built the
 * way its Dockerfile builds it) and requires the SDK clients found there, plus the agents below,
 * to equal the endpoints the network stack declares: nothing missing, nothing extra.
 */

/** An SDK client package (`@aws-sdk/<name>`) and the endpoint service its calls go to. */
export const SDK_CLIENT_SERVICES: Readonly<Record<string, string | null>> = {
  // S3 goes through the gateway endpoint, which is free and in every route table.
  'client-s3': null,
  'client-sagemaker': 'sagemaker.api',
  'client-sagemaker-runtime': 'sagemaker.runtime',
  'client-batch': 'batch',
  'client-ec2': 'ec2',
  'client-sfn': 'states',
  'client-sqs': 'sqs',
  'client-sns': 'sns',
  'client-kms': 'kms',
  'client-sts': 'sts',
  'client-ssm': 'ssm',
  'client-cloudwatch': 'monitoring',
  'client-cloudwatch-logs': 'logs',
  'client-xray': 'xray',
  'client-ecr': 'ecr.api',
};

export type TrainingEngine = FactoryConfig['training']['engine'];

/**
 * The SDK clients other than S3 each Lambda handler's bundle contains (what it calls). The
 * record-job step describes the finished job on the configured engine, and its bundle is the one
 * for that engine (lambda/handlers/record-job-<engine>.ts); promote and approval call the
 * SageMaker Model Registry on either engine.
 */
export function handlerClients(engine: TrainingEngine): Readonly<Record<string, readonly string[]>> {
  return {
    preprocess: [],
    predict: [],
    plan: [],
    evaluate: [],
    promote: ['client-sagemaker'],
    approval: ['client-sagemaker'],
    'record-job': [engine === 'sagemaker' ? 'client-sagemaker' : 'client-batch'],
    // The drift step adds up the predict function's logs with Logs Insights.
    drift: ['client-cloudwatch-logs'],
  };
}

/** What runs inside the VPC besides our code, and the AWS APIs it reaches from there. */
export interface AgentNeed {
  readonly service: string;
  readonly caller: string;
}

/**
 * SageMaker training needs none: "SageMaker AI automatically pulls the training container image
 * from Amazon ECR" and the containers reach S3 through the S3 VPC endpoint (SageMaker developer
 * guide, "Give SageMaker AI Training Jobs Access to Resources in Your Amazon VPC"); our trainer
 * writes its log to stdout and calls only S3 (its bundle, checked by the test).
 *
 * AWS Batch on EC2 runs the ECS container agent on its instances: "To run jobs, you must create
 * the interface VPC endpoints for Amazon ECS"; "to pull private images from Amazon ECR, you must
 * create the interface VPC endpoints for Amazon ECR" (the image layers come through the S3
 * gateway endpoint); and the job definition's awslogs driver needs CloudWatch Logs (AWS Batch
 * user guide, "Considerations for AWS Batch" under "AWS Batch and interface VPC endpoints"; the
 * ECS agent's three endpoints: Amazon ECS developer guide, "Amazon ECS interface VPC endpoints").
 * No SSM endpoints: the instances carry no SSM agent permissions (lib/constructs/batch-cluster.ts).
 */
export function agentNeeds(engine: TrainingEngine): readonly AgentNeed[] {
  if (engine === 'sagemaker') return [];
  const agent = 'the ECS container agent on the Batch instances';
  return [
    { service: 'ecs', caller: agent },
    { service: 'ecs-agent', caller: agent },
    { service: 'ecs-telemetry', caller: agent },
    { service: 'ecr.api', caller: `${agent} (trainer image manifest)` },
    { service: 'ecr.dkr', caller: `${agent} (trainer image pull)` },
    { service: 'logs', caller: 'the awslogs driver of the Batch job definition' },
  ];
}

/** The SDK clients other than S3 the trainer image's entry calls (lambda/trainer/entry.ts). */
export const TRAINER_CLIENTS: readonly string[] = [];

export interface EndpointNeed {
  /** The endpoint service name after `com.amazonaws.<region>.`, e.g. `sagemaker.api`. */
  readonly service: string;
  /** Everyone inside the VPC that calls it. */
  readonly callers: readonly string[];
}

export interface NetworkPlan {
  readonly profile: NetworkProfile;
  /** Lambda functions attach to the VPC (`isolated`), or run in Lambda's own network (`lean`). */
  readonly functionsInVpc: boolean;
  /** AZs the interface endpoints sit in: all of the VPC's (`isolated`), or the first (`lean`). */
  readonly endpointAzs: number;
  /** The interface endpoints, sorted by service. */
  readonly endpoints: readonly EndpointNeed[];
}

/**
 * The network the config asks for. `lean` keeps the functions out of the VPC, since none needs
 * anything inside it (they reach S3 and the training APIs over TLS with their own IAM roles), so
 * only the training engine's agents need endpoints, in one AZ; `isolated` attaches every
 * function and gives every caller an endpoint in every AZ.
 */
export function networkPlan(config: Pick<FactoryConfig, 'stage' | 'network' | 'training'>): NetworkPlan {
  const profile = resolveNetworkProfile(config);
  const inVpc = functionsInVpc(config);
  const engine = config.training.engine;
  const callers = new Map<string, Set<string>>();
  const add = (service: string, caller: string) => {
    if (!callers.has(service)) callers.set(service, new Set());
    callers.get(service)!.add(caller);
  };
  const addClients = (clients: readonly string[], caller: string) => {
    for (const client of clients) {
      const service = SDK_CLIENT_SERVICES[client];
      if (service === undefined) throw new Error(`no endpoint service known for @aws-sdk/${client}`);
      if (service) add(service, caller);
    }
  };
  if (inVpc) {
    for (const [handler, clients] of Object.entries(handlerClients(engine)))
      addClients(clients, `the ${handler} function`);
  }
  addClients(TRAINER_CLIENTS, 'the trainer');
  for (const need of agentNeeds(engine)) add(need.service, need.caller);
  return {
    profile,
    functionsInVpc: inVpc,
    endpointAzs: profile === 'isolated' ? config.network.maxAzs : 1,
    endpoints: [...callers.entries()]
      .map(([service, by]) => ({ service, callers: [...by].sort() }))
      .sort((a, b) => a.service.localeCompare(b.service)),
  };
}

/** Only the isolated profile attaches the functions to the VPC. */
function functionsInVpc(config: Pick<FactoryConfig, 'stage' | 'network'>): boolean {
  return resolveNetworkProfile(config) === 'isolated';
}

/**
 * Where a function runs under the config's profile. Outside the VPC the reason is the
 * acknowledgement of the "Lambda inside VPC" findings, so it states what is given up.
 */
export function functionNetwork(
  config: Pick<FactoryConfig, 'stage' | 'network' | 'training'>,
  vpc: ec2.IVpc,
): FunctionNetwork {
  if (functionsInVpc(config)) return { vpc };
  return {
    outsideVpcBecause:
      'network.profile "lean": the function calls only AWS APIs (S3, the training engine for the record step, CloudWatch Logs for the drift step), over TLS with its own least-privilege role, and nothing it reaches is inside the VPC; attaching it would cost an interface endpoint per API and AZ. Data stays encrypted and the buckets deny non-TLS access; network.profile "isolated" attaches every function.',
  };
}
