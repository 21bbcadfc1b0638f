import { Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib/core';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { accessLogsBucket } from '../buckets.js';
import { ORGANIZATION_ID } from '../props.js';

export interface KeyrotAssetBucketStackProps extends StackProps {
  /** The organization whose accounts' StackSet instances read the functions' code (o-xxxxxxxxxx). */
  readonly organizationId: string;
  /** The bucket is `<prefix>-<region>`: KeyrotOrganizationStack's assetBucketPrefix. */
  readonly assetBucketPrefix: string;
}

/** The bucket of a region's function code, `<prefix>-<region>`. */
export const assetBucketName = (prefix: string, region: string) => `${prefix}-${region}`;

/**
 * Bootstrap of one region for the organization's StackSets (deployed in the management or delegated
 * administrator account, one stack per target region): the bucket the StackSet stages the functions'
 * code into (Lambda reads code only from a bucket in the function's region), readable by the accounts
 * of the organization (aws:PrincipalOrgID), nothing else. Without it a stack instance would need the CDK
 * bootstrap in every member account and region.
 */
export class KeyrotAssetBucketStack extends Stack {
  readonly bucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: KeyrotAssetBucketStackProps) {
    super(scope, id, props);
    if (!ORGANIZATION_ID.test(props.organizationId))
      throw new Error(`${this.node.path}: organizationId must be an organization id such as o-a1b2c3d4e5`);
    const logs = accessLogsBucket(this, 'AccessLogs', 400);
    this.bucket = new s3.Bucket(this, 'Assets', {
      bucketName: assetBucketName(props.assetBucketPrefix, this.region),
      // SSE-S3: readers in other accounts need no key grant.
      encryption: s3.BucketEncryption.S3_MANAGED,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      versioned: true,
      serverAccessLogsBucket: logs,
      serverAccessLogsPrefix: 'assets/',
      // Stack instances keep reading an old version's code until they are updated: keep a year of them.
      lifecycleRules: [{ noncurrentVersionExpiration: Duration.days(365) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // CloudFormation creates each function with the StackSet execution role of the member account:
    // Lambda fetches the code with its credentials.
    this.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'OrganizationReadsFunctionCode',
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:GetObject', 's3:GetObjectVersion'],
        resources: [this.bucket.arnForObjects('*')],
        conditions: { StringEquals: { 'aws:PrincipalOrgID': props.organizationId } },
      }),
    );
  }
}
