/**
 * What the synthesized platform costs: idle per month, per training run and per million
 * predictions, from the resources the templates declare and the committed price table
 * (lib/cost/prices.json; training instance-hours from lambda/core/instance-types.json, the
 * planner's table). Every resource type the templates hold has a rule here: a type without one
 * is listed as unpriced, and test/lib/cost/estimate.test.ts fails on it, so nothing declared goes
 * unpriced. Pure: templates and numbers in, figures and their basis out.
 */
import prices from './prices.json';
import { PREDICT_MEMORY_MIB } from '../../lambda/core/function-sizes';

export type PriceName = keyof typeof prices.prices;

/** The table's region and date, and the page of every price. */
export const PRICE_TABLE = {
  region: prices.region,
  date: prices.date,
  hoursPerMonth: prices.hoursPerMonth,
  measured: prices.measured,
} as const;

export function price(name: PriceName): number {
  return prices.prices[name].usd;
}

export function pricePage(name: PriceName): string {
  return prices.prices[name].page;
}

const HOURS = prices.hoursPerMonth;

/** A resource as a template declares it. */
export interface TemplateResource {
  readonly Type: string;
  // Template properties are free-form JSON; each rule reads the few it needs.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly Properties?: any;
}

export interface StackTemplate {
  readonly stackName: string;
  readonly resources: Readonly<Record<string, TemplateResource>>;
}

export interface CostItem {
  /** `<stack>/<logical id>`, or `<n> × <type>` for resources that cost nothing idle. */
  readonly resource: string;
  readonly monthlyUsd: number;
  readonly basis: string;
}

export interface CostLine {
  readonly item: string;
  readonly usd: number;
  readonly basis: string;
}

/** A price as the table gives it ($0.023, $0.0000133334), never rounded away. */
const usd = (n: number): string => `$${n}`;

interface Rule {
  /**
   * Idle USD per month and why; nothing means "no idle charge"; `unpriced` a configuration the
   * rule cannot price (listed as unpriced, never counted as free).
   */
  (resource: TemplateResource): { monthlyUsd: number; basis: string } | undefined | 'unpriced';
}

/** Types that cost nothing while idle, with what (if anything) they are billed for when used. */
const FREE_WHEN_IDLE: Readonly<Record<string, string>> = {
  'AWS::IAM::Role': 'no charge',
  'AWS::IAM::Policy': 'no charge',
  'AWS::IAM::InstanceProfile': 'no charge',
  'AWS::KMS::Alias': 'no charge',
  'AWS::EC2::VPC': 'no charge',
  'AWS::EC2::Subnet': 'no charge',
  'AWS::EC2::RouteTable': 'no charge',
  'AWS::EC2::Route': 'no charge',
  'AWS::EC2::SubnetRouteTableAssociation': 'no charge',
  'AWS::EC2::SecurityGroup': 'no charge',
  'AWS::EC2::SecurityGroupIngress': 'no charge',
  'AWS::EC2::SecurityGroupEgress': 'no charge',
  'AWS::EC2::InternetGateway': 'no charge',
  'AWS::EC2::VPCGatewayAttachment': 'no charge',
  'AWS::EC2::LaunchTemplate': 'no charge (the Batch instances it launches are billed per run)',
  'AWS::EC2::FlowLog': `delivered as CloudWatch Logs: ${usd(price('logsIngestedGb'))}/GB ingested (an idle VPC logs little)`,
  'AWS::Lambda::Function': `per use: ${usd(price('lambdaMillionRequests'))}/million requests + ${price('lambdaArmGbSecond')}/GB-s (Arm)`,
  'AWS::Lambda::Permission': 'no charge',
  'AWS::Lambda::EventInvokeConfig': 'no charge',
  'AWS::Logs::LogStream': 'no charge',
  'AWS::Logs::LogGroup': `per use: ${usd(price('logsIngestedGb'))}/GB ingested, ${usd(price('logsStoredGbMonth'))}/GB-month stored for the group's retention`,
  'AWS::S3::Bucket': `per use: ${usd(price('s3StandardGbMonth'))}/GB-month stored (Standard) plus requests`,
  'AWS::S3::BucketPolicy': 'no charge',
  'AWS::SQS::Queue': 'per use: requests (a dead-letter queue sees none when all is well)',
  'AWS::SQS::QueuePolicy': 'no charge',
  'AWS::SNS::Topic': 'per use: notifications',
  'AWS::SNS::TopicPolicy': 'no charge',
  'AWS::Events::Rule': 'no charge for AWS service events and schedules on the default bus',
  'AWS::StepFunctions::StateMachine': `per run: ${usd(price('stepFunctionsThousandTransitions'))}/1,000 state transitions`,
  'AWS::ApiGateway::RestApi': `per use: ${usd(price('apiGatewayRestMillion'))}/million calls`,
  'AWS::ApiGateway::Account': 'no charge',
  'AWS::ApiGateway::Authorizer': 'no charge',
  'AWS::ApiGateway::Deployment': 'no charge',
  'AWS::ApiGateway::GatewayResponse': 'no charge',
  'AWS::ApiGateway::Method': 'no charge',
  'AWS::ApiGateway::Model': 'no charge',
  'AWS::ApiGateway::RequestValidator': 'no charge',
  'AWS::ApiGateway::Resource': 'no charge',
  'AWS::ApiGateway::Stage': 'no charge (its access log is CloudWatch Logs ingestion)',
  'AWS::ApiGateway::UsagePlan': 'no charge',
  'AWS::WAFv2::WebACLAssociation': 'no charge',
  'AWS::WAFv2::LoggingConfiguration': 'delivered as CloudWatch Logs ingestion',
  'AWS::CloudTrail::Trail': `per use: ${usd(price('cloudTrailDataEvents100k'))}/100,000 data events (object reads and writes); none while idle`,
  'AWS::Batch::JobQueue': 'no charge',
  'AWS::Batch::JobDefinition': 'no charge',
  'AWS::Cognito::UserPool': 'per use: monthly active users and machine-to-machine token requests',
  'AWS::Cognito::UserPoolClient': 'no charge',
  'AWS::Cognito::UserPoolDomain': 'no charge',
  'AWS::Cognito::UserPoolResourceServer': 'no charge',
  'AWS::CodeBuild::Project': 'per build minute',
  'AWS::KinesisFirehose::DeliveryStream': `per use: ${usd(price('firehoseGbIngested'))}/GB ingested`,
  'AWS::Athena::NamedQuery': 'no charge (a saved query; running it is billed as any query in its workgroup)',
  'AWS::Glue::Database': 'no charge (first million catalog objects)',
  'AWS::Glue::Table': 'no charge (first million catalog objects)',
  'AWS::IoT::TopicRule': 'per use: rules triggered and actions executed',
  'AWS::IoT::Policy': 'no charge',
  'AWS::SageMaker::ModelPackageGroup': 'no charge',
  'AWS::CDK::Metadata': 'no charge',
};

/** Why a type that has a rule costs nothing here, when its rule charges nothing. */
const IDLE_BASIS: Readonly<Record<string, string>> = {
  'AWS::EC2::VPCEndpoint': 'S3 gateway endpoint: no charge',
  'AWS::Batch::ComputeEnvironment': 'MinvCpus 0: no instance runs between jobs (the jobs are priced per run)',
  'AWS::CodePipeline::Pipeline': `V2 pipeline: ${usd(price('codePipelineV2ActionMinute'))} per action execution minute`,
};

/** Athena's minimum billed scan per query (Athena pricing page). */
export const ATHENA_MIN_BILLED_BYTES = 10_000_000;

/** What one Athena query scanning `bytes` costs: per TB (10^12 bytes), at least the 10 MB minimum. */
export function athenaQueryUsd(bytes: number): number {
  return (Math.max(bytes, ATHENA_MIN_BILLED_BYTES) / 1e12) * price('athenaTbScanned');
}

/** Custom resources run a provider function at deploy time only. */
const isCustomResource = (type: string): boolean =>
  type.startsWith('Custom::') || type === 'AWS::CloudFormation::CustomResource';

const RULES: Readonly<Partial<Record<string, Rule>>> = {
  'AWS::EC2::VPCEndpoint': (r) => {
    if (r.Properties?.VpcEndpointType !== 'Interface') return undefined;
    const azs = (r.Properties.SubnetIds ?? []).length;
    return {
      monthlyUsd: azs * HOURS * price('interfaceEndpointHour'),
      basis: `interface endpoint in ${azs} AZ${azs === 1 ? '' : 's'} × ${HOURS} h × ${usd(price('interfaceEndpointHour'))}/AZ-hour`,
    };
  },
  'AWS::EC2::NatGateway': () => ({
    monthlyUsd: HOURS * price('natGatewayHour'),
    basis: `${HOURS} h × ${usd(price('natGatewayHour'))}/h, plus per GB processed`,
  }),
  'AWS::EC2::EIP': () => ({
    monthlyUsd: HOURS * price('publicIpv4Hour'),
    basis: `public IPv4 address: ${HOURS} h × ${usd(price('publicIpv4Hour'))}/h`,
  }),
  'AWS::WAFv2::WebACL': (r) => {
    const rules = (r.Properties?.Rules ?? []).length;
    return {
      monthlyUsd: price('wafWebAclMonth') + rules * price('wafRuleMonth'),
      basis: `web ACL ${usd(price('wafWebAclMonth'))} + ${rules} rules × ${usd(price('wafRuleMonth'))}`,
    };
  },
  'AWS::KMS::Key': () => ({ monthlyUsd: price('kmsKeyMonth'), basis: 'customer managed key' }),
  'AWS::CloudWatch::Dashboard': () => ({
    monthlyUsd: price('dashboardMonth'),
    basis: 'dashboard (the first 3 of an account are free)',
  }),
  'AWS::CloudWatch::Alarm': (r) => {
    const metrics = r.Properties?.Metrics
      ? (r.Properties.Metrics as { MetricStat?: unknown }[]).filter((m) => m.MetricStat).length
      : 1;
    return {
      monthlyUsd: metrics * price('alarmMetricMonth'),
      basis: `standard alarm on ${metrics} metric${metrics === 1 ? '' : 's'}`,
    };
  },
  'AWS::Batch::ComputeEnvironment': (r) => {
    const min = r.Properties?.ComputeResources?.MinvCpus ?? 0;
    // MinvCpus 0: no instance runs between jobs; the jobs are priced per training run.
    // MinvCpus > 0 keeps instances running between jobs, of types Batch chooses: not priced here.
    return min === 0 ? undefined : 'unpriced';
  },
  // Nothing while idle; the per-query figure at the workgroup's cutoff is the most one query costs.
  'AWS::Athena::WorkGroup': (r) => {
    const cutoff = r.Properties?.WorkGroupConfiguration?.BytesScannedCutoffPerQuery;
    const perTb = `per query: ${usd(price('athenaTbScanned'))}/TB scanned (10 MB minimum)`;
    if (typeof cutoff !== 'number') return { monthlyUsd: 0, basis: `${perTb}, no cutoff` };
    return {
      monthlyUsd: 0,
      basis: `${perTb}; at most $${athenaQueryUsd(cutoff).toPrecision(2)} a query at its cutoff of ${cutoff / 1e6} MB`,
    };
  },
  'AWS::CodePipeline::Pipeline': (r) =>
    r.Properties?.PipelineType === 'V2'
      ? undefined
      : { monthlyUsd: 1, basis: 'V1 pipeline: $1 per active pipeline-month' },
};

export interface IdleEstimate {
  readonly items: readonly CostItem[];
  readonly monthlyUsd: number;
  /** Resource types no rule prices: a gap in this file, never silently zero. */
  readonly unpriced: readonly string[];
}

/** The monthly cost of the declared resources before a single row arrives. */
export function idleCost(
  stacks: readonly StackTemplate[],
  /** Resources (`<stack>/<logical id>`) priced by the caller from more than their template (the drift step). */
  pricedElsewhere: Readonly<Record<string, { monthlyUsd: number; basis: string }>> = {},
): IdleEstimate {
  const items: CostItem[] = [];
  const free = new Map<string, number>();
  const unpriced = new Set<string>();
  for (const stack of stacks) {
    for (const [id, resource] of Object.entries(stack.resources)) {
      const elsewhere = pricedElsewhere[`${stack.stackName}/${id}`];
      if (elsewhere) {
        items.push({ resource: `${stack.stackName}/${id}`, ...elsewhere });
        continue;
      }
      const rule = RULES[resource.Type];
      const charged = rule?.(resource);
      if (charged === 'unpriced') {
        unpriced.add(resource.Type);
      } else if (charged) {
        items.push({ resource: `${stack.stackName}/${id}`, ...charged });
      } else if (rule || resource.Type in FREE_WHEN_IDLE || isCustomResource(resource.Type)) {
        free.set(resource.Type, (free.get(resource.Type) ?? 0) + 1);
      } else {
        unpriced.add(resource.Type);
      }
    }
  }
  for (const [type, count] of [...free.entries()].sort()) {
    const basis = isCustomResource(type)
      ? 'deploy-time provider function: a few invocations per deploy'
      : (FREE_WHEN_IDLE[type] ?? IDLE_BASIS[type] ?? 'no idle charge');
    items.push({ resource: `${count} × ${type}`, monthlyUsd: 0, basis });
  }
  return {
    items,
    monthlyUsd: items.reduce((sum, item) => sum + item.monthlyUsd, 0),
    unpriced: [...unpriced].sort(),
  };
}

export interface TrainingRunInput {
  readonly engine: 'sagemaker' | 'batch';
  readonly instanceType: string;
  readonly instances: number;
  readonly plannedSeconds: number;
  readonly pricePerHour: number;
  /** States one run passes through (each is a state transition). */
  readonly stateTransitions: number;
  /** Lambda steps of a run, each at its memory for at most its timeout. */
  readonly steps: readonly { readonly memoryMiB: number; readonly seconds: number }[];
}

/** One training run at the planned p: instances for the planned T, plus the state machine and steps. */
export function trainingRunCost(run: TrainingRunInput): CostLine[] {
  const compute = (run.instances * run.plannedSeconds * run.pricePerHour) / 3600;
  const steps = run.steps.reduce(
    (sum, s) =>
      sum +
      price('lambdaMillionRequests') / 1e6 +
      (s.memoryMiB / 1024) * s.seconds * price('lambdaArmGbSecond'),
    0,
  );
  return [
    {
      item: `${run.engine === 'sagemaker' ? 'SageMaker training' : 'AWS Batch on EC2'}`,
      usd: compute,
      basis: `p = ${run.instances} × ${run.instanceType} × ${run.plannedSeconds.toFixed(1)} s (the planner's T) at ${usd(run.pricePerHour)}/instance-hour (lambda/core/instance-types.json)`,
    },
    {
      item: 'Step Functions',
      usd: (run.stateTransitions * price('stepFunctionsThousandTransitions')) / 1000,
      basis: `${run.stateTransitions} state transitions × ${usd(price('stepFunctionsThousandTransitions'))}/1,000`,
    },
    {
      item: 'Lambda steps',
      usd: steps,
      basis: `${run.steps.length} step invocations, each billed for at most its timeout`,
    },
  ];
}

export interface PredictionsInput {
  /** Memory of the predict function (MiB), from its template. */
  readonly memoryMiB: number;
  /** Billed milliseconds per request: the measured handler time rounded up to Lambda's 1 ms. */
  readonly billedMs: number;
  readonly waf: boolean;
  readonly tracing: boolean;
  readonly logRetentionDays: number;
  readonly modelCacheSeconds: number;
  /**
   * Bytes the drift counts add to each request's log line; the drift step's Logs Insights query
   * scans the function's log bytes once per window. @default 0 (no drift step)
   */
  readonly driftLogBytesPerRequest?: number;
}

/** The serving figures of a config for a predict function of `memoryMiB` (WAF and tracing as the platform sets them). */
export function predictionsInputOf(
  config: {
    readonly retention: { readonly logDays: number };
    readonly serving: { readonly modelCacheSeconds: number };
  },
  memoryMiB: number,
  options: { readonly waf: boolean; readonly tracing: boolean },
): PredictionsInput {
  return {
    memoryMiB,
    // Lambda bills duration in 1 ms steps: the measured time rounded up.
    billedMs: Math.max(1, Math.ceil(PRICE_TABLE.measured.predictHandlerMsP99.value)),
    logRetentionDays: config.retention.logDays,
    modelCacheSeconds: config.serving.modelCacheSeconds,
    driftLogBytesPerRequest: PRICE_TABLE.measured.predictDriftLogBytesPerRequest.value,
    ...options,
  };
}

/** One million single-row predictions through the API (a batch of rows per request costs less per row). */
export function millionPredictionsCost(input: PredictionsInput): CostLine[] {
  const million = 1e6;
  const driftBytes = input.driftLogBytesPerRequest ?? 0;
  const logBytes = PRICE_TABLE.measured.predictLogBytesPerRequest.value + driftBytes;
  const logGb = (million * logBytes) / 1e9;
  const modelReads = (HOURS * 3600) / Math.max(1, input.modelCacheSeconds);
  const lines: CostLine[] = [
    {
      item: 'API Gateway (REST)',
      usd: price('apiGatewayRestMillion'),
      basis: `${usd(price('apiGatewayRestMillion'))}/million calls`,
    },
    {
      item: 'Lambda requests',
      usd: price('lambdaMillionRequests'),
      basis: `${usd(price('lambdaMillionRequests'))}/million`,
    },
    {
      item: 'Lambda duration',
      usd: million * (input.memoryMiB / 1024) * (input.billedMs / 1000) * price('lambdaArmGbSecond'),
      basis: `${input.memoryMiB} MiB × ${input.billedMs} ms billed (measured p99 ${PRICE_TABLE.measured.predictHandlerMsP99.value} ms: ${PRICE_TABLE.measured.predictHandlerMsP99.command}) × ${price('lambdaArmGbSecond')}/GB-s`,
    },
    {
      item: 'CloudWatch Logs',
      usd:
        logGb * price('logsIngestedGb') + logGb * price('logsStoredGbMonth') * (input.logRetentionDays / 30),
      basis: `${logBytes} bytes of logs per request${driftBytes > 0 ? ` (${driftBytes} of them drift counts)` : ''}: ${logGb.toFixed(2)} GB ingested, stored ${input.logRetentionDays} days`,
    },
    {
      item: 'KMS',
      usd: (modelReads * price('kmsTenThousandRequests')) / 10000,
      basis: `one Decrypt per model read: a warm function re-reads the model every ${input.modelCacheSeconds} s (${Math.round(modelReads)} reads in a month)`,
    },
  ];
  if (driftBytes > 0) {
    // One drift run per window: each byte of the function's log is scanned once.
    lines.push({
      item: 'Logs Insights (drift step)',
      usd: logGb * price('logsInsightsGbScanned'),
      basis: `the drift step scans the predict log once per window: ${logGb.toFixed(2)} GB × ${usd(price('logsInsightsGbScanned'))}/GB scanned`,
    });
  }
  if (input.waf) {
    lines.push({
      item: 'WAF requests',
      usd: price('wafMillionRequests'),
      basis: `${usd(price('wafMillionRequests'))}/million inspected`,
    });
  }
  if (input.tracing) {
    lines.push({
      item: 'X-Ray traces',
      usd: price('xrayMillionTraces'),
      basis: `${usd(price('xrayMillionTraces'))}/million traces, at most one per request (the default sampling rule records 1/s and 5% beyond)`,
    });
  }
  return lines;
}

export interface DriftStepInput {
  readonly windowHours: number;
  readonly memoryMiB: number;
  readonly timeoutSeconds: number;
  /** Features of the dataset: one DriftPsi metric each. */
  readonly features: number;
}

/**
 * The drift step while the platform stands: a run per window (a request and at most its timeout
 * in GB-seconds), and its custom metrics (DriftPsi per feature, DriftedFeatures, DriftServedRows),
 * which CloudWatch bills per metric-month whenever they are published. Its Logs Insights scan
 * grows with the predictions and is priced with them (millionPredictionsCost).
 */
export function driftStepCost(input: DriftStepInput): { monthlyUsd: number; basis: string } {
  const runs = HOURS / input.windowHours;
  const perRun =
    price('lambdaMillionRequests') / 1e6 +
    (input.memoryMiB / 1024) * input.timeoutSeconds * price('lambdaArmGbSecond');
  const metrics = input.features + 2;
  return {
    monthlyUsd: runs * perRun + metrics * price('customMetricMonth'),
    basis: `drift step: ${Math.round(runs)} runs a month (every ${input.windowHours} h), each billed for at most its ${input.timeoutSeconds} s at ${input.memoryMiB} MiB, and ${metrics} custom metrics (DriftPsi per feature, DriftedFeatures, DriftServedRows) × ${usd(price('customMetricMonth'))}/metric-month`,
  };
}

export const sum = (lines: readonly { readonly usd: number }[]): number =>
  lines.reduce((total, line) => total + line.usd, 0);

/**
 * List-price USD of a million single-row predictions through the predict function as the serving
 * stack deploys it (PREDICT_MEMORY_MIB, traced like every house function, behind its WAF web ACL).
 */
function millionPredictionsUsd(config: Parameters<typeof predictionsInputOf>[0]): number {
  return sum(
    millionPredictionsCost(predictionsInputOf(config, PREDICT_MEMORY_MIB, { waf: true, tracing: true })),
  );
}

/** List-price USD of one single-row prediction. */
export function usdPerPrediction(config: Parameters<typeof predictionsInputOf>[0]): number {
  return millionPredictionsUsd(config) / 1e6;
}

/** Single-row predictions one dollar buys at list prices. */
export function predictionsPerUsd(config: Parameters<typeof predictionsInputOf>[0]): number {
  return Math.floor(1e6 / millionPredictionsUsd(config));
}
