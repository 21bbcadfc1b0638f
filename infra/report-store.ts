import { Aws, CfnElement, Duration, Stack, Validations } from 'aws-cdk-lib/core';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { RUNS_PREFIX } from '../functions/core/report.js';
import { accessLogsBucket, lockRetention, logOwnership } from './buckets.js';
import { resolveReportBucket, type ReportBucketOptions, type ReportReplicationOptions } from './props.js';

export { RUNS_PREFIX };

/**
 * The rotation reports auditors read: an Object Lock bucket (every run's JSON, CSV and HTML kept for
 * the retention, GOVERNANCE or COMPLIANCE), with server access logs in a bucket of their own. Usable
 * alone: grant a writer with `grantWriteRuns`, point it at `bucket.bucketName`.
 */
export class ReportStore extends Construct {
  readonly bucket: s3.Bucket;
  readonly accessLogsBucket: s3.Bucket;
  /** The role S3 replicates `runs/` with, when a replication target is configured. */
  readonly replicationRole?: iam.Role;

  constructor(scope: Construct, id: string, props: ReportBucketOptions = {}) {
    super(scope, id);
    const options = resolveReportBucket(props, `${scope.node.path}/${id} props`);
    this.accessLogsBucket = accessLogsBucket(
      this,
      'AccessLogs',
      options.accessLogRetentionDays,
      logOwnership(this),
    );
    const replication =
      options.replication === undefined ? undefined : this.replicationTo(options.replication);
    this.replicationRole = replication?.role;
    // The default child: the store's own id names the bucket (its logical id stays <id>XXXXXXXX).
    this.bucket = new s3.Bucket(this, 'Default', {
      versioned: true,
      objectLockEnabled: true,
      objectLockDefaultRetention: lockRetention(options.lockMode, options.retentionDays),
      encryption: s3.BucketEncryption.S3_MANAGED,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: 'reports/',
      lifecycleRules: [{ abortIncompleteMultipartUploadAfter: Duration.days(1) }],
      removalPolicy: options.removalPolicy,
      ...(replication !== undefined && {
        replicationRole: replication.role,
        replicationRules: [replication.rule],
      }),
    });
    if (replication !== undefined) this.grantReplication(replication.role, options.replication!);
    this.protectReports(options.lockMode, options.breakGlassRoleArn);
  }

  /**
   * What an auditor relies on: a report's key never gets a second version (every write to runs/ must
   * be conditional, If-None-Match: *, so S3 refuses an object that exists: the s3:if-none-match
   * condition key), and under GOVERNANCE only the break-glass role may lift a retention.
   */
  private protectReports(lockMode: 'GOVERNANCE' | 'COMPLIANCE', breakGlassRoleArn: string | undefined): void {
    this.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'ReportsAreNeverOverwritten',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:PutObject'],
        resources: [this.runsArn],
        conditions: { Null: { 's3:if-none-match': 'true' } },
      }),
    );
    if (lockMode !== 'GOVERNANCE') return;
    this.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'OnlyBreakGlassBypassesRetention',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:BypassGovernanceRetention'],
        resources: [this.bucket.arnForObjects('*')],
        ...(breakGlassRoleArn !== undefined && {
          conditions: { ArnNotEquals: { 'aws:PrincipalArn': breakGlassRoleArn } },
        }),
      }),
    );
  }

  /**
   * The role and rule that replicate every report (all of runs/) to the central history bucket: the
   * replicas keep their Object Lock retention (S3 copies mode and retain-until date; the destination must
   * have Object Lock), are owned by the destination account (owner override), and deletions are not
   * replicated (delete markers stay in this account: the central copy is the auditors').
   */
  private replicationTo(target: ReportReplicationOptions): { role: iam.Role; rule: s3.ReplicationRule } {
    const role = new iam.Role(this, 'ReplicationRole', {
      assumedBy: new iam.ServicePrincipal('s3.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
      description: 'keyrot: S3 replicates the run reports to the central history bucket',
    });
    const destination = s3.Bucket.fromBucketAttributes(this, 'ReplicaDestination', {
      bucketArn: target.destinationBucketArn,
      account: target.destinationAccount,
    });
    const rule: s3.ReplicationRule = {
      id: 'keyrot-runs-to-central-history',
      priority: 1,
      destination,
      filter: { prefix: RUNS_PREFIX },
      accessControlTransition: true,
      deleteMarkerReplication: false,
      ...(target.destinationKmsKeyArn !== undefined && {
        kmsKey: kms.Key.fromKeyArn(this, 'ReplicaKey', target.destinationKmsKeyArn),
      }),
    };
    return { role, rule };
  }

  /** What the replication role may do: read this bucket's reports with their lock, write replicas there. */
  private grantReplication(role: iam.Role, target: ReportReplicationOptions): void {
    const source = this.bucket;
    const destinationObjects = `${target.destinationBucketArn}/${RUNS_PREFIX}*`;
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ReadReplicationConfiguration',
        actions: ['s3:GetReplicationConfiguration', 's3:ListBucket'],
        resources: [source.bucketArn],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ReadReportsWithTheirLock',
        actions: [
          's3:GetObjectVersionForReplication',
          's3:GetObjectVersionAcl',
          's3:GetObjectVersionTagging',
          's3:GetObjectRetention',
          's3:GetObjectLegalHold',
        ],
        resources: [this.runsArn],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'WriteReplicasOwnedByTheDestination',
        actions: ['s3:ReplicateObject', 's3:ReplicateTags', 's3:ObjectOwnerOverrideToBucketOwner'],
        resources: [destinationObjects],
      }),
    );
    if (target.destinationKmsKeyArn !== undefined) {
      role.addToPolicy(
        new iam.PolicyStatement({
          sid: 'EncryptReplicas',
          actions: ['kms:Encrypt', 'kms:GenerateDataKey'],
          resources: [target.destinationKmsKeyArn],
        }),
      );
    }
    const stack = Stack.of(this);
    const bucketId = `<${stack.getLogicalId(source.node.defaultChild as CfnElement)}.Arn>`;
    for (const [finding, reason] of [
      [
        `Resource::${bucketId}/${RUNS_PREFIX}*`,
        'Replication reads every report object under runs/ (new objects each run); the prefix is as narrow as the reports are.',
      ],
      [
        `Resource::${target.destinationBucketArn}/${RUNS_PREFIX}*`,
        'Replication writes every report object under runs/ of the central bucket; object keys are only known at run time.',
      ],
    ] as const) {
      Validations.of(role).acknowledge({ id: `AwsSolutions-IAM5[${finding}]`, reason });
    }
  }

  /** The objects a run writes: `runs/...`. */
  get runsArn(): string {
    return this.bucket.arnForObjects(`${RUNS_PREFIX}*`);
  }

  /** Lets `grantee` write new report objects, and nothing else (no read, no delete). */
  grantWriteRuns(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({ grantee, actions: ['s3:PutObject'], resourceArns: [this.runsArn] });
  }
}
