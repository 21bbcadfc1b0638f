import { Aws, CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib/core';
import * as athena from 'aws-cdk-lib/aws-athena';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { RUNS_PREFIX } from '../report-store.js';
import { accessLogsBucket, lockRetention } from '../buckets.js';
import { ORGANIZATION_ID } from '../props.js';
import { HISTORY_QUERIES } from './history-queries.js';
import { DAY_FORMAT, DAY_PARTITION, HISTORY_COLUMNS } from './history-table.js';

export interface KeyrotHistoryStackProps extends StackProps {
  /** The organization whose accounts replicate their reports here (o-xxxxxxxxxx). */
  readonly organizationId: string;
  /**
   * The central bucket's name: each account's ReportStore replicates to arn:aws:s3:::<name>.
   * @default a name CloudFormation generates (read it from the HistoryBucketArn output)
   */
  readonly bucketName?: string;
  /** Object Lock default retention of what is written here other than replicas (replicas keep theirs). @default 400 */
  readonly retentionDays?: number;
  /** @default GOVERNANCE */
  readonly lockMode?: 'GOVERNANCE' | 'COMPLIANCE';
  /** The first day partition projection offers, YYYY/MM/DD. @default 2026/01/01 */
  readonly firstDay?: string;
  /** The Glue database. @default keyrot_history */
  readonly databaseName?: string;
  /** The Athena workgroup. @default keyrot-audit */
  readonly workGroupName?: string;
  /** Days Athena's query results are kept. @default 30 */
  readonly resultRetentionDays?: number;
}

/** The Glue table of the run reports. */
export const HISTORY_TABLE = 'run_reports';

/**
 * One history for auditors, in a log-archive account: the central bucket every account's report store
 * replicates into (versioning, Object Lock, TLS only, replicas owned by this account; the bucket policy
 * lets the replication roles of the organization's accounts write replicas under runs/ and nothing
 * else), a Glue table over the JSON reports with partition projection on runs/YYYY/MM/DD/json/, an
 * Athena workgroup with an encrypted results location, and the auditor's named queries.
 */
export class KeyrotHistoryStack extends Stack {
  readonly bucket: s3.Bucket;
  readonly resultsBucket: s3.Bucket;
  readonly accessLogsBucket: s3.Bucket;
  readonly database: glue.CfnDatabase;
  readonly table: glue.CfnTable;
  readonly workGroup: athena.CfnWorkGroup;
  readonly namedQueries: Record<keyof typeof HISTORY_QUERIES, athena.CfnNamedQuery>;

  constructor(scope: Construct, id: string, props: KeyrotHistoryStackProps) {
    super(scope, id, props);
    const problems: string[] = [];
    if (!ORGANIZATION_ID.test(props.organizationId))
      problems.push(`organizationId: an organization id such as o-a1b2c3d4e5 (got ${props.organizationId})`);
    const firstDay = props.firstDay ?? '2026/01/01';
    if (!/^\d{4}\/\d{2}\/\d{2}$/.test(firstDay)) problems.push(`firstDay: YYYY/MM/DD (got ${firstDay})`);
    const retentionDays = props.retentionDays ?? 400;
    if (!Number.isInteger(retentionDays) || retentionDays < 1 || retentionDays > 36_500)
      problems.push(`retentionDays: whole days from 1 to 36500 (got ${retentionDays})`);
    if (problems.length > 0) throw new Error(`${this.node.path} props are invalid: ${problems.join('; ')}`);
    const org = { StringEquals: { 'aws:PrincipalOrgID': props.organizationId } };

    this.accessLogsBucket = accessLogsBucket(this, 'AccessLogs', 400);

    this.bucket = new s3.Bucket(this, 'History', {
      ...(props.bucketName !== undefined && { bucketName: props.bucketName }),
      versioned: true,
      objectLockEnabled: true,
      objectLockDefaultRetention: lockRetention(props.lockMode ?? 'GOVERNANCE', retentionDays),
      encryption: s3.BucketEncryption.S3_MANAGED,
      // Replicas are owned by this account (the sources ask for owner override too).
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: 'history/',
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // The replication roles of the organization's accounts (ReportStore's ReplicationRole): S3 assumes
    // them to write replicas; these actions are only used by replication.
    this.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'ReplicasFromTheOrganization',
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:ReplicateObject', 's3:ReplicateTags', 's3:ObjectOwnerOverrideToBucketOwner'],
        resources: [this.bucket.arnForObjects(`${RUNS_PREFIX}*`)],
        conditions: org,
      }),
    );
    this.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'ReplicationChecksTheDestination',
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:GetBucketVersioning', 's3:GetBucketObjectLockConfiguration', 's3:ListBucket'],
        resources: [this.bucket.bucketArn],
        conditions: org,
      }),
    );

    this.resultsBucket = new s3.Bucket(this, 'QueryResults', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: 'results/',
      lifecycleRules: [{ expiration: Duration.days(props.resultRetentionDays ?? 30) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const databaseName = props.databaseName ?? 'keyrot_history';
    this.database = new glue.CfnDatabase(this, 'Database', {
      catalogId: Aws.ACCOUNT_ID,
      databaseInput: {
        name: databaseName,
        description: 'keyrot: the run reports of every account and region of the organization',
      },
    });
    const location = `s3://${this.bucket.bucketName}/${RUNS_PREFIX}`;
    this.table = new glue.CfnTable(this, 'RunReports', {
      catalogId: Aws.ACCOUNT_ID,
      databaseName,
      tableInput: {
        name: HISTORY_TABLE,
        description: 'keyrot run reports (keyrot/run-report@1, docs/reports.md), one row per run',
        tableType: 'EXTERNAL_TABLE',
        parameters: {
          classification: 'json',
          EXTERNAL: 'TRUE',
          // Partition projection: Athena computes the day folders; nothing to crawl or add.
          'projection.enabled': 'true',
          [`projection.${DAY_PARTITION}.type`]: 'date',
          [`projection.${DAY_PARTITION}.format`]: DAY_FORMAT,
          [`projection.${DAY_PARTITION}.range`]: `${firstDay},NOW`,
          [`projection.${DAY_PARTITION}.interval`]: '1',
          [`projection.${DAY_PARTITION}.interval.unit`]: 'DAYS',
          // Only the json/ folder of each day: Athena reads every file under a location.
          'storage.location.template': `${location}\${${DAY_PARTITION}}/json/`,
        },
        partitionKeys: [{ name: DAY_PARTITION, type: 'string', comment: 'the day folder, YYYY/MM/DD (UTC)' }],
        storageDescriptor: {
          location,
          columns: HISTORY_COLUMNS.map((c) => ({
            name: c.name.toLowerCase(),
            type: c.type.toLowerCase(),
            comment: c.comment,
          })),
          inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
          outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
          serdeInfo: {
            serializationLibrary: 'org.openx.data.jsonserde.JsonSerDe',
            parameters: { 'case.insensitive': 'TRUE', 'ignore.malformed.json': 'FALSE' },
          },
        },
      },
    });
    this.table.node.addDependency(this.database);

    this.workGroup = new athena.CfnWorkGroup(this, 'WorkGroup', {
      name: props.workGroupName ?? 'keyrot-audit',
      description: "keyrot: the auditor's queries over the organization's run reports",
      state: 'ENABLED',
      recursiveDeleteOption: false,
      workGroupConfiguration: {
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        resultConfiguration: {
          outputLocation: `s3://${this.resultsBucket.bucketName}/athena/`,
          encryptionConfiguration: { encryptionOption: 'SSE_S3' },
        },
      },
    });

    this.namedQueries = Object.fromEntries(
      Object.entries(HISTORY_QUERIES).map(([key, q]) => {
        const named = new athena.CfnNamedQuery(this, `Query${key[0]!.toUpperCase()}${key.slice(1)}`, {
          name: q.name,
          description: q.description.slice(0, 1024),
          database: databaseName,
          queryString: q.sql,
          workGroup: this.workGroup.ref,
        });
        named.node.addDependency(this.table);
        return [key, named];
      }),
    ) as Record<keyof typeof HISTORY_QUERIES, athena.CfnNamedQuery>;

    new CfnOutput(this, 'HistoryBucketArn', {
      value: this.bucket.bucketArn,
      description: "replication.destinationBucketArn of every account's report store",
    });
    new CfnOutput(this, 'HistoryAccount', {
      value: Aws.ACCOUNT_ID,
      description: 'replication.destinationAccount of every account report store',
    });
    new CfnOutput(this, 'WorkGroupName', { value: this.workGroup.ref, description: 'the Athena workgroup' });
  }
}
