import { CfnOutput, Duration, Stack, StackProps, Validations } from 'aws-cdk-lib';
import * as athena from 'aws-cdk-lib/aws-athena';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { wildcardResourceFinding } from '../acknowledgements';
import type { FactoryConfig } from '../config';
import { SecureBucket } from '../constructs/secure-bucket';
import {
  ATHENA_TABLES_PREFIX,
  athenaTablePrefix,
  CURATED_TABLES,
  GLUE_TYPE,
  OPENX_JSON_SERDE,
  openxSerdeProperties,
} from '../../lambda/core/curated-tables';
import { namedQueries } from '../../lambda/core/named-queries';

export interface QueryStackProps extends StackProps {
  readonly config: FactoryConfig;
  /** The platform key: the curated objects Athena reads and the query results it writes. */
  readonly key: kms.IKey;
  /** Holds Athena's copy of the curated tables under `athena/<table>/`. */
  readonly curated: s3.IBucket;
  /** Where the results bucket's server access logs go (the data lake's log bucket). */
  readonly accessLogs: s3.IBucket;
}

/** Where the workgroup writes query results in the results bucket. */
export const RESULTS_PREFIX = 'results/';
/** The results bucket's server access logs, in the data lake's log bucket. */
const RESULTS_ACCESS_LOGS_PREFIX = 'QueryResults/';

/**
 * The Glue database of a deployment: lower case and `_` only. Named explicitly: "If you use an
 * AWS::Glue::Database AWS CloudFormation template ... and do not specify a database name, AWS Glue
 * automatically generates a database name in the format resource_name–random_string that is not
 * compatible with Athena" (Athena user guide, "Name databases, tables, and columns").
 */
export function glueDatabaseName(config: Pick<FactoryConfig, 'prefix' | 'stage'>): string {
  return `${config.prefix}_${config.stage}`.toLowerCase().replace(/[^a-z0-9_]/g, '_');
}

/** The Athena workgroup of a deployment (what an analyst picks in the console). */
export function workGroupName(config: Pick<FactoryConfig, 'prefix' | 'stage'>): string {
  return `${config.prefix}-${config.stage}-analysts`;
}

/**
 * SQL in the Athena console over the curated data: a Glue database with one table per curated
 * output (lambda/core/curated-tables.ts: its columns from the configured schema, read from
 * Athena's JSON Lines copy with the OpenX JSON SerDe), an Athena workgroup that enforces its
 * settings (results encrypted with the platform key in a bucket of their own that expires them, a
 * bytes-scanned cutoff per query), the named queries `factory query --named` runs locally, and an
 * analyst role with only what the console needs for these.
 *
 * Its own stack, not part of the data lake: it holds no data but query results that expire, and
 * its tables change with the configured schema, so it can be replaced without touching the
 * stateful stack.
 */
export class QueryStack extends Stack {
  public readonly database: glue.CfnDatabase;
  public readonly tables: glue.CfnTable[] = [];
  public readonly workGroup: athena.CfnWorkGroup;
  public readonly namedQueries: athena.CfnNamedQuery[] = [];
  public readonly results: s3.Bucket;
  public readonly analystRole: iam.Role;
  public readonly databaseName: string;
  public readonly workGroupName: string;

  constructor(scope: Construct, id: string, props: QueryStackProps) {
    super(scope, id, props);
    const { config, key, curated } = props;
    const { query } = config;
    this.databaseName = glueDatabaseName(config);
    this.workGroupName = workGroupName(config);

    // --- results ------------------------------------------------------------------------------
    // The data lake's log bucket, as a reference: handed the bucket itself, CDK would add a
    // logging.s3.amazonaws.com statement without any source condition (it conditions it only
    // within one stack); this one names the account (confused deputy, IAM user guide).
    const accessLogs = s3.Bucket.fromBucketName(this, 'AccessLogs', props.accessLogs.bucketName);
    props.accessLogs.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'QueryResultsAccessLogs',
        principals: [new iam.ServicePrincipal('logging.s3.amazonaws.com')],
        actions: ['s3:PutObject'],
        resources: [props.accessLogs.arnForObjects(`${RESULTS_ACCESS_LOGS_PREFIX}*`)],
        conditions: { StringEquals: { 'aws:SourceAccount': this.account } },
      }),
    );
    this.results = new SecureBucket(this, 'Results', {
      encryptionKey: key,
      accessLogs,
      accessLogsPrefix: RESULTS_ACCESS_LOGS_PREFIX,
      stage: config.stage,
      noncurrentVersionDays: config.retention.noncurrentVersionDays,
      lifecycleRules: [{ id: 'expire-query-results', expiration: Duration.days(query.resultsDays) }],
    }).bucket;
    Validations.of(this.results).acknowledge(
      {
        id: 'NIST.800.53.R5-S3BucketReplicationEnabled',
        reason:
          'Query results are transient copies (expired after query.resultsDays) of data that is itself durable in the curated bucket; replicating them protects nothing.',
      },
      {
        id: 'cdk-validator-cfnguard::s3_bucket_logging_enabled_check',
        reason:
          "Server access logs go to the data lake's log bucket (LoggingConfiguration with a cross-stack bucket name the guard rule cannot resolve); the query-stack test asserts it.",
      },
      {
        id: 'Annotation::@aws-cdk/aws-s3:accessLogsPolicyNotAdded',
        reason:
          "The log bucket's policy statement for these logs is added above, conditioned on the account (QueryResultsAccessLogs).",
      },
    );

    // --- catalog ------------------------------------------------------------------------------
    this.database = new glue.CfnDatabase(this, 'Database', {
      catalogId: this.account,
      databaseInput: {
        name: this.databaseName,
        description: `${config.prefix} ${config.stage}: curated production data (clean, train, quarantine, group statistics, reports)`,
      },
    });
    for (const table of CURATED_TABLES) {
      const columns = table.columns(config.dataset);
      const cfn = new glue.CfnTable(this, `Table${pascal(table.name)}`, {
        catalogId: this.account,
        databaseName: this.databaseName,
        tableInput: {
          name: table.name,
          description: table.description,
          tableType: 'EXTERNAL_TABLE',
          parameters: { classification: 'json', EXTERNAL: 'TRUE' },
          storageDescriptor: {
            // The written name goes in the comment: what a person sees in the export.
            columns: columns.map((c) => ({ name: c.name, type: GLUE_TYPE[c.type], comment: c.source })),
            location: `s3://${curated.bucketName}/${athenaTablePrefix(table)}`,
            inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
            outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
            serdeInfo: {
              serializationLibrary: OPENX_JSON_SERDE,
              parameters: openxSerdeProperties(columns),
            },
          },
        },
      });
      cfn.node.addDependency(this.database);
      this.tables.push(cfn);
    }

    // --- workgroup ------------------------------------------------------------------------------
    this.workGroup = new athena.CfnWorkGroup(this, 'WorkGroup', {
      name: this.workGroupName,
      description: 'Quality engineers query the curated tables here; settings enforced',
      state: 'ENABLED',
      // Deleting the stack deletes the workgroup with its saved queries and history.
      recursiveDeleteOption: true,
      workGroupConfiguration: {
        // "Workgroup settings override client-side settings" (Athena user guide, "Override
        // client-side settings"): no query can write unencrypted results elsewhere.
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        // "The per-query control limit specifies the total amount of data scanned per query. If
        // any query that runs in the workgroup exceeds the limit, it is canceled." (Athena user
        // guide, "Configure per-query and per-workgroup data usage controls"); 10 MB minimum.
        bytesScannedCutoffPerQuery: query.bytesScannedCutoffMB * 1_000_000,
        engineVersion: { selectedEngineVersion: 'Athena engine version 3' },
        resultConfiguration: {
          outputLocation: `s3://${this.results.bucketName}/${RESULTS_PREFIX}`,
          expectedBucketOwner: this.account,
          encryptionConfiguration: { encryptionOption: 'SSE_KMS', kmsKey: key.keyArn },
        },
      },
    });
    Validations.of(this.workGroup).acknowledge({
      id: 'cdk-validator-cfnguard::athena_workgroup_results_encrypted_at_rest_kms_check',
      reason:
        'Results are SSE_KMS with the platform key from the data-lake stack (a cross-stack reference the guard rule cannot resolve); the query-stack test asserts EncryptionOption and KmsKey.',
    });

    for (const named of namedQueries(config.dataset, config.serving.anomalyZ)) {
      const cfn = new athena.CfnNamedQuery(this, `Query${pascal(named.name)}`, {
        name: named.name,
        description: named.description.slice(0, 1024),
        database: this.databaseName,
        workGroup: this.workGroupName,
        queryString: named.sql,
      });
      cfn.node.addDependency(this.workGroup);
      cfn.node.addDependency(this.database);
      this.namedQueries.push(cfn);
    }

    // --- analyst role ---------------------------------------------------------------------------
    this.analystRole = new iam.Role(this, 'AnalystRole', {
      description: `Query the ${this.databaseName} tables in the ${this.workGroupName} Athena workgroup`,
      assumedBy: analystPrincipal(query.analystPrincipals),
      maxSessionDuration: Duration.hours(1),
    });
    this.grantAnalyst(this.analystRole, key, curated);

    new CfnOutput(this, 'WorkGroupName', {
      value: this.workGroupName,
      description: 'Athena console: pick this workgroup',
    });
    new CfnOutput(this, 'DatabaseName', { value: this.databaseName, description: 'Glue database' });
    new CfnOutput(this, 'AnalystRoleArn', {
      value: this.analystRole.roleArn,
      description: 'Switch to this role in the console to query',
    });
  }

  /**
   * What the Athena console needs to run queries on these tables in this workgroup, and nothing
   * else ("Identity-based policies for Athena", "Fine-grained access to databases and tables in
   * the AWS Glue Data Catalog", Athena user guide): Athena on the workgroup and the catalog, Glue
   * reads of the database and its tables, S3 reads of Athena's copy of the tables and writes of
   * the results (Athena calls S3 with the caller's credentials), and the key through S3 only.
   */
  private grantAnalyst(role: iam.Role, key: kms.IKey, curated: s3.IBucket): void {
    const workGroupArn = this.formatArn({
      service: 'athena',
      resource: 'workgroup',
      resourceName: this.workGroupName,
    });
    const catalogArn = this.formatArn({
      service: 'athena',
      resource: 'datacatalog',
      resourceName: 'AwsDataCatalog',
    });
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'RunQueriesInTheWorkGroup',
        actions: [
          'athena:GetWorkGroup',
          'athena:StartQueryExecution',
          'athena:StopQueryExecution',
          'athena:GetQueryExecution',
          'athena:BatchGetQueryExecution',
          'athena:ListQueryExecutions',
          'athena:GetQueryResults',
          'athena:GetQueryResultsStream',
          'athena:GetQueryRuntimeStatistics',
          'athena:ListNamedQueries',
          'athena:GetNamedQuery',
          'athena:BatchGetNamedQuery',
          // Saving a query of one's own; not Update or DeleteNamedQuery, which would reach the
          // stack's named queries too (Athena cannot tell them apart by resource).
          'athena:CreateNamedQuery',
        ],
        resources: [workGroupArn],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'BrowseTheCatalog',
        actions: [
          'athena:GetDataCatalog',
          'athena:ListDatabases',
          'athena:GetDatabase',
          'athena:ListTableMetadata',
          'athena:GetTableMetadata',
        ],
        resources: [catalogArn],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        // The console lists workgroups and catalogs to offer a choice; neither call takes a resource.
        sid: 'ListForTheConsole',
        actions: ['athena:ListWorkGroups', 'athena:ListDataCatalogs', 'athena:ListEngineVersions'],
        resources: ['*'],
      }),
    );
    const glueArn = (resource: string, resourceName?: string) =>
      this.formatArn({ service: 'glue', resource, resourceName });
    const tablesArn = glueArn('table', `${this.databaseName}/*`);
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ReadTheTables',
        actions: [
          'glue:GetDatabase',
          'glue:GetDatabases',
          'glue:GetTable',
          'glue:GetTables',
          'glue:GetPartition',
          'glue:GetPartitions',
          'glue:BatchGetPartition',
        ],
        resources: [glueArn('catalog'), glueArn('database', this.databaseName), tablesArn],
      }),
    );
    // The console opens on the catalog's `default` database and describes it; without this the
    // query editor shows a permission error before the analyst picks ours ("Configure access to
    // databases and tables in the AWS Glue Data Catalog": its per-Region example grants
    // glue:GetDatabase on database/default). Describe only: no table in it is readable.
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'DescribeDefaultDatabase',
        actions: ['glue:GetDatabase'],
        resources: [glueArn('database', 'default')],
      }),
    );
    const tableObjects = curated.arnForObjects(`${ATHENA_TABLES_PREFIX}*`);
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ReadAthenaCopy',
        actions: ['s3:GetObject'],
        resources: [tableObjects],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ListAthenaCopy',
        actions: ['s3:ListBucket'],
        resources: [curated.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${ATHENA_TABLES_PREFIX}*`] } },
      }),
    );
    const resultObjects = this.results.arnForObjects(`${RESULTS_PREFIX}*`);
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'WriteAndReadResults',
        actions: ['s3:PutObject', 's3:GetObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
        resources: [resultObjects],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ResultsBucket',
        actions: ['s3:GetBucketLocation', 's3:ListBucket', 's3:ListBucketMultipartUploads'],
        resources: [this.results.bucketArn],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'CuratedBucketLocation',
        actions: ['s3:GetBucketLocation'],
        resources: [curated.bucketArn],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        // Reading the tables decrypts; writing results generates data keys: through S3 only.
        sid: 'PlatformKeyThroughS3',
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: [key.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `s3.${this.region}.amazonaws.com` } },
      }),
    );
    for (const [arn, reason] of [
      [tablesArn, 'Every table of this one database (the curated tables); no other database.'],
      [tableObjects, "Athena's copy of the curated tables: one object per source object, named at run time."],
      [resultObjects, 'Athena names each result object after the query id.'],
      [
        '*',
        'ListWorkGroups, ListDataCatalogs and ListEngineVersions take no resource (Service Authorization Reference).',
      ],
    ] as const) {
      Validations.of(role).acknowledge({ id: wildcardResourceFinding(this, arn), reason });
    }
  }
}

/**
 * Who may assume the analyst role: the configured principals; or else the account's own
 * principals that signed in with MFA (the console's "Switch role" from an IAM user with MFA),
 * each of which also needs sts:AssumeRole in its own policy ("How to use trust policies with IAM
 * roles", IAM user guide).
 */
function analystPrincipal(arns: readonly string[]): iam.IPrincipal {
  if (arns.length > 0) return new iam.CompositePrincipal(...arns.map((arn) => new iam.ArnPrincipal(arn)));
  return new iam.AccountRootPrincipal().withConditions({
    Bool: { 'aws:MultiFactorAuthPresent': 'true' },
  });
}

function pascal(text: string): string {
  return text
    .split(/[_-]/)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}
