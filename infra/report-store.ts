import { Duration, FeatureFlags, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY } from 'aws-cdk-lib/cx-api';
import { Construct } from 'constructs';
import { resolveReportBucket, type ReportBucketOptions } from './props.js';

/** Where the reconciler writes each run's report objects, under the report bucket. */
export const RUNS_PREFIX = 'runs/';

/**
 * The rotation reports auditors read: an Object Lock bucket (every run's JSON, CSV and HTML kept for
 * the retention, GOVERNANCE or COMPLIANCE), with server access logs in a bucket of their own. Usable
 * alone: grant a writer with `grantWriteRuns`, point it at `bucket.bucketName`.
 */
export class ReportStore extends Construct {
  readonly bucket: s3.Bucket;
  readonly accessLogsBucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: ReportBucketOptions = {}) {
    super(scope, id);
    const options = resolveReportBucket(props, `${scope.node.path}/${id} props`);
    // With the feature flag, S3 log delivery is authorized by bucket policy and ACLs can stay off.
    const policyDelivery = FeatureFlags.of(this).isEnabled(S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY) === true;
    this.accessLogsBucket = new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: policyDelivery
        ? s3.ObjectOwnership.BUCKET_OWNER_ENFORCED
        : s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [{ expiration: Duration.days(options.accessLogRetentionDays) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const retention = Duration.days(options.retentionDays);
    // The default child: the store's own id names the bucket (its logical id stays <id>XXXXXXXX).
    this.bucket = new s3.Bucket(this, 'Default', {
      versioned: true,
      objectLockEnabled: true,
      objectLockDefaultRetention:
        options.lockMode === 'COMPLIANCE'
          ? s3.ObjectLockRetention.compliance(retention)
          : s3.ObjectLockRetention.governance(retention),
      encryption: s3.BucketEncryption.S3_MANAGED,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: 'reports/',
      lifecycleRules: [{ abortIncompleteMultipartUploadAfter: Duration.days(1) }],
      removalPolicy: options.removalPolicy,
    });
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
