import { ArnFormat, CfnOutput, Duration, Stack, StackProps, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { DRIFT_MEMORY_MIB, DRIFT_TIMEOUT_SECONDS } from '../../lambda/core/function-sizes';
import { DRIFT_VARIABLES, driftEnvironment } from '../../lambda/core/env/drift';
import { DRIFT_REPORTS_PREFIX, MODELS_PREFIX } from '../../lambda/core/models-layout';
import { metricsNamespace, type FactoryConfig } from '../config';
import { houseKey } from '../constructs/house-key';
import { NodeFunction } from '../constructs/node-function';
import { functionNetwork } from '../network-plan';
import { modelPackageGroupName } from '../../lambda/core/model-registry';
import { reportKey } from '../../lambda/core/models-layout';
import type { IngestStack } from './ingest-stack';

export interface MonitoringStackProps extends StackProps {
  readonly config: FactoryConfig;
  readonly preprocessFunction: lambda.IFunction;
  readonly deadLetterQueue: sqs.IQueue;
  readonly stateMachine: sfn.IStateMachine;
  readonly planFunction: lambda.IFunction;
  readonly predictFunction: lambda.IFunction;
  readonly api: apigw.RestApi;
  /** List-price USD of one single-row prediction (lib/cost/estimate.ts), for the serving-cost widgets. */
  readonly predictionUsd: number;
  /** The ingest stack, when there is one: its stream and rule get alarms. */
  readonly ingest?: IngestStack;
  /** The drift step: where the models and its reports are, the predict function's log group, the network. */
  readonly models: s3.IBucket;
  readonly predictLogGroup: logs.ILogGroup;
  /** The platform key: encrypts the drift function's log group. */
  readonly key: kms.IKey;
  readonly vpc: ec2.IVpc;
}

/** Alarm thresholds; each says why it is where it is. */
const THRESHOLDS = {
  /** Any failed preprocess invocation loses nothing (DLQ) but needs a look. */
  preprocessErrors: 1,
  /** A message in the DLQ is an object that was not cleaned after three attempts. */
  deadLetters: 1,
  /** Any 5xx from the API is a failed prediction for a caller. */
  api5xx: 1,
  /** p99 of the whole API path; scoring 1,000 rows takes ~10 ms, so 1 s means trouble. */
  apiP99Ms: 1000,
} as const;

/**
 * Operations: one dashboard for the whole pipeline (cleaning, training against its plan,
 * serving), alarms on what needs a person, and an encrypted topic that e-mails them. Failed,
 * timed-out or aborted training runs notify through an EventBridge rule on the state machine.
 */
export class MonitoringStack extends Stack {
  public readonly topic: sns.Topic;
  public readonly dashboard: cloudwatch.Dashboard;
  public readonly alarms: cloudwatch.Alarm[] = [];
  /** The scheduled drift step (lambda/handlers/drift.ts) and its alarm. */
  public readonly driftFunction: NodeFunction;
  public readonly driftAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: MonitoringStackProps) {
    super(scope, id, props);
    const { config } = props;
    const namespace = metricsNamespace(config);
    const custom = (service: string, metricName: string, statistic = 'Sum', period = Duration.minutes(5)) =>
      new cloudwatch.Metric({ namespace, metricName, dimensionsMap: { service }, statistic, period });

    // Two kinds of publisher: this stack's CloudWatch alarms, as the cloudwatch.amazonaws.com
    // service, and the EventBridge rule below, through an IAM role of its own. EventBridge is not
    // given the key or the topic as a service principal: its KMS requests carry no aws:SourceArn
    // or aws:SourceAccount ("Amazon SNS permissions" for encrypted topics, EventBridge user guide),
    // so a conditioned statement would drop every notification and an unconditioned one would let
    // any rule of any account use the key.
    const key = houseKey(this, 'AlertsKey', {
      description: `${config.prefix} alerts topic`,
      stage: config.stage,
      admitLogs: false,
    });
    // CloudWatch generates alarm names `<stack name>-<logical id>-<suffix>`; these are this stack's.
    const fromThisStacksAlarms = {
      ArnLike: {
        'aws:SourceArn': this.formatArn({
          service: 'cloudwatch',
          resource: 'alarm',
          resourceName: `${this.stackName}-*`,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      },
      StringEquals: { 'aws:SourceAccount': this.account },
    };
    const cloudWatch = new iam.ServicePrincipal('cloudwatch.amazonaws.com');
    // CloudWatch needs the key to publish to an encrypted topic at all ("Enable compatibility
    // between event sources from AWS services and encrypted topics", SNS developer guide).
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AlarmsPublishEncrypted',
        principals: [cloudWatch],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: fromThisStacksAlarms,
      }),
    );
    this.topic = new sns.Topic(this, 'Alerts', {
      displayName: `${config.prefix} ${config.stage} alerts`,
      masterKey: key,
      enforceSSL: true,
    });
    // The topic policy replaces SNS's default one (which admits the account's own principals and
    // services), so the alarms' publisher is named, conditioned on the alarms.
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AlarmsPublish',
        principals: [cloudWatch],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: fromThisStacksAlarms,
      }),
    );
    if (config.alarmEmail) {
      const email = this.topic.addSubscription(new subscriptions.EmailSubscription(config.alarmEmail));
      Validations.of(email).acknowledge({
        id: 'Serverless-SNSRedrivePolicy',
        reason:
          'An e-mail that cannot be delivered cannot be redriven to a person; alarms stay in ALARM on the dashboard and notify again on each state change.',
      });
    }

    // --- alarms ------------------------------------------------------------------------------
    const alarm = (
      id: string,
      metric: cloudwatch.IMetric,
      threshold: number,
      description: string,
      treatMissingData = cloudwatch.TreatMissingData.NOT_BREACHING,
    ) => {
      const created = new cloudwatch.Alarm(this, id, {
        metric,
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData,
        alarmDescription: description,
      });
      created.addAlarmAction(new actions.SnsAction(this.topic));
      created.addOkAction(new actions.SnsAction(this.topic));
      this.alarms.push(created);
      return created;
    };
    alarm(
      'PreprocessErrors',
      props.preprocessFunction.metricErrors({ period: Duration.minutes(5) }),
      THRESHOLDS.preprocessErrors,
      'Preprocess invocations failed (they are retried, then dead-lettered)',
    );
    alarm(
      'DeadLetters',
      props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(5),
        statistic: 'Maximum',
      }),
      THRESHOLDS.deadLetters,
      'Raw objects that could not be preprocessed after retries are waiting in the dead-letter queue',
    );
    alarm(
      'TrainingFailed',
      props.stateMachine.metricFailed({ period: Duration.minutes(5) }),
      1,
      'A training run failed',
    );
    alarm(
      'TrainingTimedOut',
      props.stateMachine.metricTimedOut({ period: Duration.minutes(5) }),
      1,
      'A training run timed out',
    );
    alarm(
      'Predict5xx',
      props.api.metricServerError({ period: Duration.minutes(5) }),
      THRESHOLDS.api5xx,
      'The prediction API answered 5xx',
    );
    alarm(
      'PredictLatencyP99',
      props.api.metricLatency({ period: Duration.minutes(5), statistic: 'p99' }),
      THRESHOLDS.apiP99Ms,
      'Prediction API p99 latency is above 1 s',
    );
    alarm(
      'PredictErrors',
      props.predictFunction.metricErrors({ period: Duration.minutes(5) }),
      1,
      'The predict function raised errors',
    );

    if (props.ingest) {
      const stream = { DeliveryStreamName: props.ingest.deliveryStreamName };
      const fiveMinutes = Duration.minutes(5);
      // Data freshness: the age of the oldest record not yet in raw. Beyond the buffer interval
      // plus 15 minutes of Firehose retries, delivery to S3 is failing (Firehose developer guide,
      // "Monitoring with CloudWatch metrics": DeliveryToS3.DataFreshness).
      alarm(
        'IngestDeliveryLate',
        new cloudwatch.Metric({
          namespace: 'AWS/Firehose',
          metricName: 'DeliveryToS3.DataFreshness',
          dimensionsMap: stream,
          statistic: 'Maximum',
          period: fiveMinutes,
        }),
        config.ingest.bufferSeconds + 900,
        'Telemetry records are waiting longer than the buffer interval plus 15 minutes: delivery to raw is failing',
      );
      alarm(
        'IngestThrottled',
        new cloudwatch.Metric({
          namespace: 'AWS/Firehose',
          metricName: 'ThrottledRecords',
          dimensionsMap: stream,
          statistic: 'Sum',
          period: fiveMinutes,
        }),
        1,
        'The telemetry stream throttled records: the lines send more than its quota',
      );
      alarm(
        'IngestRuleFailures',
        new cloudwatch.Metric({
          namespace: 'AWS/IoT',
          metricName: 'Failure',
          dimensionsMap: { RuleName: props.ingest.topicRuleName, ActionType: 'Firehose' },
          statistic: 'Sum',
          period: fiveMinutes,
        }),
        1,
        'The telemetry topic rule could not put messages on the stream (see its error log group)',
      );
    }

    // --- drift of served data -----------------------------------------------------------------
    const drift = config.monitoring;
    this.driftFunction = new NodeFunction(this, 'Drift', {
      handler: 'drift',
      description:
        "Adds up the predict function's logged drift counts of the window: PSI and mean shift per feature against the training histograms",
      memorySize: DRIFT_MEMORY_MIB,
      timeout: Duration.seconds(DRIFT_TIMEOUT_SECONDS),
      concurrency: {
        unreservedBecause:
          'Runs once per drift window from its schedule; a reservation would take account concurrency (as low as 10 in a new account) for one invocation a day.',
      },
      network: functionNetwork(config, props.vpc),
      logKey: props.key,
      logRetention: config.retention.logDays as logs.RetentionDays,
      stage: config.stage,
      environment: driftEnvironment({
        windowHours: drift.driftWindowHours,
        psi: drift.driftPsi,
        meanShiftSd: drift.driftMeanShiftSd,
        metricsNamespace: namespace,
      }),
    })
      .bindBucket(DRIFT_VARIABLES.modelsBucket, props.models, { read: true, prefixes: [MODELS_PREFIX] })
      .bindBucket(DRIFT_VARIABLES.modelsBucket, props.models, {
        write: true,
        prefixes: [DRIFT_REPORTS_PREFIX],
      });
    this.driftFunction.addEnvironment(DRIFT_VARIABLES.logGroup, props.predictLogGroup.logGroupName);
    // StartQuery on the predict log group only; GetQueryResults names a query id, not a log group,
    // and has no resource-level permissions ("Actions, resources, and condition keys for Amazon
    // CloudWatch Logs", Service Authorization Reference: no resource type for it).
    this.driftFunction.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'QueryPredictLogs',
        actions: ['logs:StartQuery'],
        // The group's ARN as IAM's log-group resource type spells it, and CDK's `:*` form.
        resources: [
          this.formatArn({
            service: 'logs',
            resource: 'log-group',
            resourceName: props.predictLogGroup.logGroupName,
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
          props.predictLogGroup.logGroupArn,
        ],
      }),
    );
    this.driftFunction.addToRolePolicy(
      new iam.PolicyStatement({ sid: 'QueryResults', actions: ['logs:GetQueryResults'], resources: ['*'] }),
    );
    Validations.of(this.driftFunction.role!).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'logs:GetQueryResults has no resource-level permissions (Service Authorization Reference, CloudWatch Logs); it reads only the results of a query this role started on the predict log group.',
    });
    const noDlq =
      'Invoked by its schedule with two EventBridge retries; a failed run raises the DriftStepErrors alarm, and the next window is measured afresh: there is no event to keep.';
    Validations.of(this.driftFunction).acknowledge(
      { id: 'NIST.800.53.R5-LambdaDLQ', reason: noDlq },
      { id: 'Serverless-LambdaDLQ', reason: noDlq },
    );
    const driftSchedule = new events.Rule(this, 'DriftSchedule', {
      description: `Measure drift of served data every ${drift.driftWindowHours} h (monitoring.driftWindowHours)`,
      // One run per window: each predict log byte is scanned once (Logs Insights bills per GB scanned).
      schedule: events.Schedule.rate(Duration.hours(drift.driftWindowHours)),
      targets: [new targets.LambdaFunction(this.driftFunction, { retryAttempts: 2 })],
    });
    Validations.of(driftSchedule).acknowledge({
      id: 'Serverless-EventBusDLQ',
      reason:
        'A missed scheduled run has nothing to keep: the next window is measured, and DriftStepErrors alarms.',
    });
    alarm(
      'DriftStepErrors',
      this.driftFunction.metricErrors({ period: Duration.hours(1) }),
      1,
      'The drift step failed: drift of served data is not being measured',
    );
    // The step publishes DriftedFeatures once per window; between runs the alarm keeps its state.
    this.driftAlarm = alarm(
      'DataDrift',
      custom('drift', 'DriftedFeatures', 'Maximum', Duration.hours(1)),
      1,
      `Served data drifted from the training data: a feature's PSI ≥ ${drift.driftPsi} or its mean moved ≥ ${drift.driftMeanShiftSd} training SDs (report under models/drift/; factory drift to check rows locally)`,
      cloudwatch.TreatMissingData.IGNORE,
    );
    if (drift.retrainOnDrift) {
      const retrain = new events.Rule(this, 'RetrainOnDrift', {
        description: 'Start a training run when the drift alarm goes to ALARM (monitoring.retrainOnDrift)',
        // "CloudWatch Alarm State Change" from aws.cloudwatch, the alarm's ARN in `resources`
        // ("Alarm events and EventBridge", CloudWatch user guide).
        eventPattern: {
          source: ['aws.cloudwatch'],
          detailType: ['CloudWatch Alarm State Change'],
          resources: [this.driftAlarm.alarmArn],
          detail: { state: { value: ['ALARM'] } },
        },
        // The target's role may states:StartExecution on this state machine only.
        targets: [new targets.SfnStateMachine(props.stateMachine, { retryAttempts: 2 })],
      });
      Validations.of(retrain).acknowledge({
        id: 'Serverless-EventBusDLQ',
        reason:
          'The drift alarm stays in ALARM and notifies the alerts topic; the scheduled training run follows anyway: a lost start has nothing to keep.',
      });
    }

    // Failed, timed-out or aborted runs also notify with the execution that failed.
    const runFailed = new events.Rule(this, 'TrainingRunFailed', {
      description: 'Notify when a training run does not succeed',
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: {
          status: ['FAILED', 'TIMED_OUT', 'ABORTED'],
          stateMachineArn: [props.stateMachine.stateMachineArn],
        },
      },
      targets: [
        new targets.SnsTopic(this.topic, {
          // Publishes with a role that has sns:Publish and the key (see the key above).
          authorizeUsingRole: true,
          message: events.RuleTargetInput.fromText(
            `Training run ${events.EventField.fromPath('$.detail.name')} ended ${events.EventField.fromPath('$.detail.status')}: ${events.EventField.fromPath('$.detail.executionArn')}`,
          ),
        }),
      ],
    });

    Validations.of(runFailed).acknowledge({
      id: 'Serverless-EventBusDLQ',
      reason:
        'If this notification cannot be delivered, the TrainingFailed and TrainingTimedOut alarms on the same topic still fire; the event carries nothing else to keep.',
    });

    // --- dashboard -------------------------------------------------------------------------------
    const minute = Duration.minutes(1);
    const preprocessFn = props.preprocessFunction;
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `${config.prefix}-${config.stage}`,
      defaultInterval: Duration.hours(24),
    });
    this.dashboard.addWidgets(
      new cloudwatch.TextWidget({
        markdown: `# ${config.prefix} (${config.stage})\nRaw CSV → **preprocess** → curated → **training** (plan T = n/p → SageMaker or Batch → evaluate → promote) → **predict** API.`,
        width: 24,
        height: 2,
      }),
      // Where a person finds a model's report (lambda/core/model-report.ts): the dashboard cannot
      // list S3 objects, so it names the key pattern and the registry field that links each one.
      new cloudwatch.TextWidget({
        markdown:
          `### Model reports\nEvery training run writes \`${reportKey('<run id>')}\` beside its candidate in the models bucket ` +
          `(self-contained HTML: open it from the S3 console). SageMaker Model Registry, group ` +
          `\`${modelPackageGroupName(config.prefix, config.stage)}\`: each model package's metadata \`report\` is its s3:// location.`,
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Preprocess: invocations and errors',
        left: [preprocessFn.metricInvocations(), preprocessFn.metricErrors(), preprocessFn.metricThrottles()],
        width: 6,
      }),
      new cloudwatch.GraphWidget({
        title: 'Preprocess: duration (p50, p99)',
        left: [
          preprocessFn.metricDuration({ statistic: 'p50' }),
          preprocessFn.metricDuration({ statistic: 'p99' }),
        ],
        width: 6,
      }),
      new cloudwatch.GraphWidget({
        title: 'Rows per minute: in, clean, duplicates, quarantined',
        left: [
          custom('preprocess', 'RowsIn', 'Sum', minute),
          custom('preprocess', 'RowsClean', 'Sum', minute),
          custom('preprocess', 'Duplicates', 'Sum', minute),
          custom('preprocess', 'QuarantinedRows', 'Sum', minute),
        ],
        width: 6,
      }),
      new cloudwatch.GraphWidget({
        title: 'Dead-letter queue depth, rejected files',
        left: [props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum' })],
        right: [custom('preprocess', 'FilesRejected')],
        width: 6,
      }),
    );
    const executionTime = props.stateMachine.metricTime({ statistic: 'Maximum', period: Duration.hours(1) });
    const plannedMs = new cloudwatch.MathExpression({
      expression: 'planned * 1000',
      usingMetrics: { planned: custom('plan', 'PlannedSeconds', 'Maximum', Duration.hours(1)) },
      label: 'planned T (ms)',
      period: Duration.hours(1),
    });
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Training runs: started, succeeded, failed',
        left: [
          props.stateMachine.metricStarted(),
          props.stateMachine.metricSucceeded(),
          props.stateMachine.metricFailed(),
        ],
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Training duration against the planned T',
        left: [executionTime.with({ label: 'actual (ms)' }), plannedMs],
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Chosen p and planned rows',
        left: [custom('plan', 'PlannedInstances', 'Maximum', Duration.hours(1))],
        right: [custom('plan', 'PlannedRows', 'Maximum', Duration.hours(1))],
        width: 8,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Candidate holdout RMSE and R²',
        left: [custom('evaluate', 'CandidateRmse', 'Average', Duration.hours(1))],
        right: [custom('evaluate', 'CandidateR2', 'Average', Duration.hours(1))],
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Models promoted, infeasible plans',
        left: [custom('promote', 'ModelPromoted', 'Sum', Duration.hours(1))],
        right: [custom('plan', 'PlanInfeasible', 'Sum', Duration.hours(1))],
        width: 12,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Predict latency (API, p50 and p99)',
        left: [props.api.metricLatency({ statistic: 'p50' }), props.api.metricLatency({ statistic: 'p99' })],
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Predict 4xx and 5xx',
        left: [props.api.metricClientError(), props.api.metricServerError()],
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Predictions and anomalies',
        left: [custom('predict', 'Predictions')],
        right: [custom('predict', 'Anomalies')],
        width: 8,
      }),
    );
    // Cost: the plan's PlannedCostUsd beside the record step's MeasuredCostUsd (billable seconds ×
    // instances × the planner's price), and serving at list prices (`factory cost` for the rest).
    const hour = Duration.hours(1);
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Training run cost (USD): planned and measured',
        left: [
          custom('plan', 'PlannedCostUsd', 'Maximum', hour),
          custom('record-job', 'MeasuredCostUsd', 'Maximum', hour),
        ],
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Serving cost (USD per hour, list prices)',
        left: [
          new cloudwatch.MathExpression({
            expression: `predictions * ${props.predictionUsd}`,
            usingMetrics: { predictions: custom('predict', 'Predictions', 'Sum', hour) },
            label: 'API, Lambda, WAF, X-Ray, logs',
            period: hour,
          }),
        ],
        width: 8,
      }),
      new cloudwatch.TextWidget({
        markdown: `### Cost at list prices\n**${Math.floor(1 / props.predictionUsd).toLocaleString('en-US')} predictions per dollar** (single-row requests; $${(props.predictionUsd * 1e6).toFixed(2)} per million).\nIdle per month and per training run: \`factory cost${config.stage === 'prod' ? ' -c factory.stage=prod' : ''}\`.`,
        width: 8,
        height: 6,
      }),
    );
    // Drift per feature: PSI against its threshold (the report holds the mean shifts).
    const window = Duration.hours(drift.driftWindowHours);
    const features = config.dataset.features;
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: `Drift per feature: PSI of the last ${drift.driftWindowHours} h against the training data`,
        left: features.map(
          (feature) =>
            new cloudwatch.Metric({
              namespace,
              metricName: 'DriftPsi',
              dimensionsMap: { service: 'drift', feature },
              statistic: 'Maximum',
              period: window,
              label: feature,
            }),
        ),
        leftAnnotations: [{ value: drift.driftPsi, label: `monitoring.driftPsi ${drift.driftPsi}` }],
        width: 16,
      }),
      new cloudwatch.GraphWidget({
        title: 'Drifted features and served rows per window',
        left: [custom('drift', 'DriftedFeatures', 'Maximum', window)],
        right: [custom('drift', 'DriftServedRows', 'Maximum', window)],
        width: 8,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 24 }),
    );

    const console = `https://${this.region}.console.aws.amazon.com`;
    new CfnOutput(this, 'DashboardUrl', {
      description: 'CloudWatch dashboard of the pipeline',
      value: `${console}/cloudwatch/home?region=${this.region}#dashboards:name=${this.dashboard.dashboardName}`,
    });
    new CfnOutput(this, 'StateMachineUrl', {
      description: 'Training state machine in the Step Functions console',
      value: `${console}/states/home?region=${this.region}#/statemachines/view/${props.stateMachine.stateMachineArn}`,
    });
    new CfnOutput(this, 'AlertsTopicArn', { value: this.topic.topicArn });

    Validations.of(this.topic).acknowledge({
      id: 'cdk-validator-cfnguard::sns_topic_encrypted_check',
      reason:
        'Encrypted with the alerts KMS key of this stack (KmsMasterKeyId is a GetAtt the guard rule cannot resolve); a template test asserts it.',
    });
  }
}
