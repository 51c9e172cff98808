import { Aspects, CfnResource, RemovalPolicy, Stack, Tags } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { usdPerPrediction } from './cost/estimate';
import { manageProviderLogs } from './constructs/provider-logs';
import { AcknowledgeScopedGrants } from './constructs/scoped-grants';
import { AcknowledgeCdkProviders, DropRedundantDependsOn } from './acknowledgements';
import type { FactoryConfig } from './config';
import { DataLakeStack } from './stacks/data-lake-stack';
import { IngestStack } from './stacks/ingest-stack';
import { NetworkStack } from './stacks/network-stack';
import { PreprocessStack } from './stacks/preprocess-stack';
import { QueryStack } from './stacks/query-stack';
import { MonitoringStack } from './stacks/monitoring-stack';
import { ServingStack } from './stacks/serving-stack';
import { TrainingStack } from './stacks/training-stack';

export interface Platform {
  readonly dataLake: DataLakeStack;
  /** Line telemetry through IoT Core and Firehose, unless `ingest.enabled` is false. */
  readonly ingest?: IngestStack;
  readonly network: NetworkStack;
  readonly preprocess: PreprocessStack;
  /** SQL in the Athena console over the curated tables, unless `query.enabled` is false. */
  readonly query?: QueryStack;
  readonly training: TrainingStack;
  readonly serving: ServingStack;
  readonly monitoring: MonitoringStack;
}

/**
 * Declares every stack of the platform from one validated config, in an App (`cdk deploy`) or
 * in a Stage (the CDK Pipelines deployment).
 */
export function createPlatform(app: Construct, config: FactoryConfig): Platform {
  const env =
    config.account || config.region
      ? {
          account: config.account ?? process.env.CDK_DEFAULT_ACCOUNT,
          region: config.region ?? process.env.CDK_DEFAULT_REGION,
        }
      : undefined;
  const base = { env, terminationProtection: config.stage === 'prod' };
  // Explicit stack names: inside a pipeline Stage CDK would prefix them (`Prod-...`), which would
  // break the key policy's `<Prefix>-<stage>-*` role pattern and orphan directly deployed stacks.
  const id = (name: string) => `${pascal(config.prefix)}-${config.stage}-${name}`;

  const network = new NetworkStack(app, id('Network'), {
    ...base,
    stackName: id('Network'),
    config,
    description: 'aiaas-factory network: isolated VPC, S3 gateway and interface endpoints, flow logs',
  });

  const dataLake = new DataLakeStack(app, id('DataLake'), {
    ...base,
    stackName: id('DataLake'),
    config,
    s3Endpoint: network.s3Endpoint,
    description: 'aiaas-factory data lake: platform KMS key, raw / curated / models buckets, access logs',
  });
  const preprocess = new PreprocessStack(app, id('Preprocess'), {
    ...base,
    stackName: id('Preprocess'),
    config,
    vpc: network.vpc,
    key: dataLake.key,
    raw: dataLake.raw,
    curated: dataLake.curated,
    description: 'aiaas-factory preprocess: cleans each raw CSV on arrival into the curated bucket',
  });

  const ingest = config.ingest.enabled
    ? new IngestStack(app, id('Ingest'), {
        ...base,
        stackName: id('Ingest'),
        config,
        key: dataLake.key,
        raw: dataLake.raw,
        description:
          'aiaas-factory ingest: IoT Core topic rule and Firehose stream writing line telemetry to raw',
      })
    : undefined;

  const query = config.query.enabled
    ? new QueryStack(app, id('Query'), {
        ...base,
        stackName: id('Query'),
        config,
        key: dataLake.key,
        curated: dataLake.curated,
        accessLogs: dataLake.accessLogs,
        description: 'aiaas-factory query: Glue tables over the curated data, Athena workgroup, analyst role',
      })
    : undefined;

  const training = new TrainingStack(app, id('Training'), {
    ...base,
    stackName: id('Training'),
    config,
    vpc: network.vpc,
    key: dataLake.key,
    curated: dataLake.curated,
    models: dataLake.models,
    description:
      'aiaas-factory training: T = n/p plan, SageMaker and AWS Batch capacity, trainer image, state machine',
  });
  const serving = new ServingStack(app, id('Serving'), {
    ...base,
    stackName: id('Serving'),
    config,
    vpc: network.vpc,
    key: dataLake.key,
    models: dataLake.models,
    description: 'aiaas-factory serving: IAM-signed prediction API with explanations and anomaly flags',
  });

  const monitoring = new MonitoringStack(app, id('Monitoring'), {
    ...base,
    stackName: id('Monitoring'),
    config,
    preprocessFunction: preprocess.function,
    deadLetterQueue: preprocess.deadLetterQueue,
    stateMachine: training.stateMachine,
    planFunction: training.planFunction,
    predictFunction: serving.function,
    api: serving.api,
    predictionUsd: usdPerPrediction(config),
    ingest,
    models: dataLake.models,
    predictLogGroup: serving.function.logGroup,
    key: dataLake.key,
    vpc: network.vpc,
    description: 'aiaas-factory monitoring: dashboard, alarms, encrypted alerts topic, drift of served data',
  });

  const stacks: Stack[] = [dataLake, network, preprocess, training, serving, monitoring];
  if (ingest) stacks.push(ingest);
  if (query) stacks.push(query);
  for (const stack of stacks) {
    // CloudFormation does not accept tags on dashboards (cfn-lint E3002).
    const options = { excludeResourceTypes: ['AWS::CloudWatch::Dashboard'] };
    Tags.of(stack).add('project', 'aiaas-factory', options);
    Tags.of(stack).add('stage', config.stage, options);
    if (config.owner) Tags.of(stack).add('owner', config.owner, options);
    if (config.costCentre) Tags.of(stack).add('cost-centre', config.costCentre, options);
    for (const [key, value] of Object.entries(config.tags)) Tags.of(stack).add(key, value, options);
  }
  const providerLogs = {
    retentionDays: config.retention.logDays,
    removalPolicy: config.stage === 'dev' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
  };
  manageProviderLogs(dataLake, { ...providerLogs, key: dataLake.key });
  manageProviderLogs(network, { ...providerLogs, key: network.flowLogKey });
  Aspects.of(app).add(new AcknowledgeCdkProviders());
  const buckets = [dataLake.raw, dataLake.curated, dataLake.models];
  Aspects.of(app).add(
    new AcknowledgeScopedGrants(
      buckets.map((b) => dataLake.resolve(dataLake.getLogicalId(b.node.defaultChild as CfnResource))),
    ),
  );
  Aspects.of(app).add(new DropRedundantDependsOn());
  return { dataLake, ingest, network, preprocess, query, training, serving, monitoring };
}

function pascal(text: string): string {
  return text
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}
