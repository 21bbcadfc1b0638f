import { Duration, FeatureFlags, RemovalPolicy } from 'aws-cdk-lib/core';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY } from 'aws-cdk-lib/cx-api';
import type { Construct } from 'constructs';

/** With the feature flag, S3 log delivery is authorized by bucket policy and ACLs can stay off. */
export function logOwnership(scope: Construct): s3.ObjectOwnership {
  return FeatureFlags.of(scope).isEnabled(S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY) === true
    ? s3.ObjectOwnership.BUCKET_OWNER_ENFORCED
    : s3.ObjectOwnership.BUCKET_OWNER_PREFERRED;
}

/**
 * A bucket of server access logs, as every keyrot bucket has: SSE-S3, no public access, TLS only, kept
 * when the stack goes, objects expiring after `retentionDays`. Ownership is BUCKET_OWNER_ENFORCED unless
 * S3 log delivery still needs ACLs (the serverAccessLogsUseBucketPolicy feature flag off).
 */
export function accessLogsBucket(
  scope: Construct,
  id: string,
  retentionDays: number,
  objectOwnership: s3.ObjectOwnership = s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
): s3.Bucket {
  return new s3.Bucket(scope, id, {
    encryption: s3.BucketEncryption.S3_MANAGED,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    enforceSSL: true,
    objectOwnership,
    lifecycleRules: [{ expiration: Duration.days(retentionDays) }],
    removalPolicy: RemovalPolicy.RETAIN,
  });
}

/** The default Object Lock retention of a report bucket (GOVERNANCE or COMPLIANCE, in days). */
export function lockRetention(mode: 'GOVERNANCE' | 'COMPLIANCE', days: number): s3.ObjectLockRetention {
  const retention = Duration.days(days);
  return mode === 'COMPLIANCE'
    ? s3.ObjectLockRetention.compliance(retention)
    : s3.ObjectLockRetention.governance(retention);
}
