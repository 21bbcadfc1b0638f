import { App, Validations, type AppProps } from 'aws-cdk-lib/core';
import { AwsSolutionsChecks } from 'cdk-nag';
import { KeyrotAssetBucketStack } from './asset-bucket-stack.js';
import { KeyrotHistoryStack } from './history-stack.js';
import { KeyrotOrganizationStack, type OrganizationDeployment } from './organization-stack.js';

/** Everything the organization app needs, typed: edit infra/organization/example-config.ts or pass your own. */
export interface OrganizationConfig {
  readonly organizationId: string;
  /** Where the StackSets are administered: the management account, or a delegated administrator for StackSets. */
  readonly administration: {
    readonly account: string;
    readonly region: string;
    /** The account is a delegated administrator for StackSets, not the management account. @default false */
    readonly delegatedAdmin?: boolean;
  };
  /** Per-region code buckets <prefix>-<region> in the administration account (globally unique names). */
  readonly assetBucketPrefix: string;
  /** Keep an account's stack when it leaves the OUs. @default false (see docs/organization.md) */
  readonly retainStacksOnAccountRemoval?: boolean;
  /** The central history in a log-archive account; every account's reports replicate to it. */
  readonly history?: {
    readonly account: string;
    readonly region: string;
    readonly bucketName: string;
    /** @default 2026/01/01 */
    readonly firstDay?: string;
  };
  readonly deployments: OrganizationDeployment[];
}

export interface OrganizationApp {
  app: App;
  organization: KeyrotOrganizationStack;
  assetBuckets: KeyrotAssetBucketStack[];
  history: KeyrotHistoryStack | undefined;
}

/**
 * The organization app: the per-region code buckets and the StackSets in the administration account,
 * the central history in the log-archive account; checked by cdk-nag like the one-account app.
 */
export function createOrganizationApp(
  config: OrganizationConfig,
  options: AppProps & { nag?: boolean } = {},
): OrganizationApp {
  // Server access logs delivered by bucket policy (no ACLs), as cdk.json sets it for the one-account app.
  const app = new App({
    ...options,
    context: { '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy': true, ...options.context },
  });
  const admin = { account: config.administration.account, region: config.administration.region };
  const regions = [...new Set(config.deployments.flatMap((d) => d.regions))].sort();
  const assetBuckets = regions.map(
    (region) =>
      new KeyrotAssetBucketStack(app, `KeyrotAssets-${region}`, {
        env: { account: admin.account, region },
        description: `keyrot: the functions' code for the organization's StackSets in ${region}`,
        organizationId: config.organizationId,
        assetBucketPrefix: config.assetBucketPrefix,
      }),
  );
  const history =
    config.history === undefined
      ? undefined
      : new KeyrotHistoryStack(app, 'KeyrotHistory', {
          env: { account: config.history.account, region: config.history.region },
          description: "keyrot: the organization's history of run reports, for auditors",
          organizationId: config.organizationId,
          bucketName: config.history.bucketName,
          ...(config.history.firstDay !== undefined && { firstDay: config.history.firstDay }),
        });
  const organization = new KeyrotOrganizationStack(app, 'KeyrotOrganization', {
    env: admin,
    description: 'keyrot: StackSets deploying keyrot to the organization',
    assetBucketPrefix: config.assetBucketPrefix,
    deployments: config.deployments,
    ...(config.administration.delegatedAdmin !== undefined && {
      delegatedAdmin: config.administration.delegatedAdmin,
    }),
    ...(config.retainStacksOnAccountRemoval !== undefined && {
      retainStacksOnAccountRemoval: config.retainStacksOnAccountRemoval,
    }),
    ...(config.history !== undefined && {
      history: {
        destinationBucketArn: `arn:aws:s3:::${config.history.bucketName}`,
        destinationAccount: config.history.account,
      },
    }),
  });
  // The code must be staged before the StackSets read it.
  for (const bucket of assetBuckets) organization.addStackDependency(bucket);
  if (options.nag !== false) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, organization, assetBuckets, history };
}
