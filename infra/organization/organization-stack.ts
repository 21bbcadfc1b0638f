import { DefaultStackSynthesizer, Names, Stack, Token, Validations, type StackProps } from 'aws-cdk-lib/core';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { BucketDeployment } from 'aws-cdk-lib/aws-s3-deployment';
import {
  Capability,
  DeploymentType,
  RegionConcurrencyType,
  StackSet,
  StackSetStack,
  StackSetTarget,
  StackSetTemplate,
} from 'cdk-stacksets';
import type { Construct } from 'constructs';
import {
  ApiKeyRotation,
  type ApiKeyRotationProps,
  type ReportReplicationOptions,
} from '../api-key-rotation.js';
import { addKeyrotOutputs } from '../keyrot-stack.js';
import { ACCOUNT_ID } from '../props.js';
import { assetBucketName } from './asset-bucket-stack.js';

/** How CloudFormation rolls a StackSet operation through accounts and regions. */
export interface OrganizationOperationPreferences {
  /** Accounts per region that may fail before the operation stops in that region (0-100 %). @default 10 */
  readonly failureTolerancePercentage?: number;
  /** Accounts per region deployed at once (1-100 %). @default 25 */
  readonly maxConcurrentPercentage?: number;
  /** Regions one after another or at once. @default PARALLEL */
  readonly regionConcurrency?: 'SEQUENTIAL' | 'PARALLEL';
  /** The order of the regions when SEQUENTIAL. */
  readonly regionOrder?: string[];
}

/** One StackSet: the keyrot stack, with one configuration, in every account and region of some OUs. */
export interface OrganizationDeployment {
  /** Names the StackSet keyrot-<name>: letters, digits, hyphens. */
  readonly name: string;
  /** The OUs (ou-xxxx-xxxxxxxx) or the root (r-xxxx); accounts moved in later are deployed automatically. */
  readonly organizationalUnits: string[];
  readonly regions: string[];
  /** Accounts of those OUs to leave out. */
  readonly excludeAccounts?: string[];
  /** The same typed props as a stack of one account (ApiKeyRotationProps), but for an alarm topic object. */
  readonly rotation?: Omit<ApiKeyRotationProps, 'alarmTopic'>;
  readonly operationPreferences?: OrganizationOperationPreferences;
}

export interface KeyrotOrganizationStackProps extends StackProps {
  /** Per-region buckets `<prefix>-<region>` (KeyrotAssetBucketStack) the functions' code is staged into. */
  readonly assetBucketPrefix: string;
  readonly deployments: OrganizationDeployment[];
  /** This stack is deployed in a delegated administrator account for StackSets, not the management account. @default false */
  readonly delegatedAdmin?: boolean;
  /**
   * Keep an account's stack instance when the account leaves the targeted OUs (moved or closed).
   * @default false: the instance is deleted; its stateful resources (secrets key, report bucket, log groups) are retained by their own policy
   */
  readonly retainStacksOnAccountRemoval?: boolean;
  /** Every account's reports replicated to the central history bucket (KeyrotHistoryStack). @default none */
  readonly history?: ReportReplicationOptions;
}

const NAME = /^[A-Za-z][A-Za-z0-9-]{0,40}$/;
const OU = /^(ou-[a-z0-9]{4,32}-[a-z0-9]{8,32}|r-[a-z0-9]{4,32})$/;
const REGION = /^[a-z]{2}(-gov)?-[a-z]+-\d$/;

/**
 * keyrot in every account and region of chosen OUs, through CloudFormation StackSets with
 * service-managed permissions and automatic deployment to accounts that join them. Deployed with
 * `cdk deploy` in the management account (or a delegated administrator for StackSets).
 *
 * The stack instances' template needs nothing from the member accounts (no CDK bootstrap): the
 * functions' code is staged into a bucket per region (`<assetBucketPrefix>-<region>`, see
 * KeyrotAssetBucketStack) readable by the organization, by cdk-stacksets' StackSetStack (one
 * BucketDeployment per region copies this app's assets there before the StackSet is updated).
 */
export class KeyrotOrganizationStack extends Stack {
  readonly stackSets: Record<string, StackSet> = {};
  readonly templates: Record<string, StackSetStack> = {};
  readonly rotations: Record<string, ApiKeyRotation> = {};

  constructor(scope: Construct, id: string, props: KeyrotOrganizationStackProps) {
    super(scope, id, props);
    const problems = organizationProblems(props);
    if (problems.length > 0) throw new Error(`${this.node.path} props are invalid: ${problems.join('; ')}`);
    const buckets = new Map<string, s3.IBucket>();
    const bucketOf = (region: string) => {
      let bucket = buckets.get(region);
      if (bucket === undefined) {
        bucket = s3.Bucket.fromBucketAttributes(this, `AssetBucket-${region}`, {
          bucketName: assetBucketName(props.assetBucketPrefix, region),
          region,
        });
        buckets.set(region, bucket);
      }
      return bucket;
    };

    for (const d of props.deployments) {
      const template = new StackSetStack(this, `Keyrot-${d.name}`, {
        assetBuckets: d.regions.map(bucketOf),
        assetBucketPrefix: props.assetBucketPrefix,
      });
      const replication = d.rotation?.reportBucket?.replication ?? props.history;
      const rotation = new ApiKeyRotation(template, 'ApiKeyRotation', {
        ...d.rotation,
        ...(replication !== undefined && { reportBucket: { ...d.rotation?.reportBucket, replication } }),
      });
      addKeyrotOutputs(template, rotation);
      const prefs = d.operationPreferences ?? {};
      const stackSet = new StackSet(this, `StackSet-${d.name}`, {
        stackSetName: `keyrot-${d.name}`,
        description: `keyrot: scheduled rotation and hygiene of API Gateway API keys (${d.name})`,
        template: StackSetTemplate.fromStackSetStack(template),
        deploymentType: DeploymentType.serviceManaged({
          autoDeployEnabled: true,
          autoDeployRetainStacks: props.retainStacksOnAccountRemoval ?? false,
          delegatedAdmin: props.delegatedAdmin ?? false,
        }),
        target: StackSetTarget.fromOrganizationalUnits({
          organizationalUnits: d.organizationalUnits,
          regions: d.regions,
          ...(d.excludeAccounts !== undefined && { excludeAccounts: d.excludeAccounts }),
        }),
        capabilities: [Capability.IAM],
        managedExecution: true,
        operationPreferences: {
          failureTolerancePercentage: prefs.failureTolerancePercentage ?? 10,
          maxConcurrentPercentage: prefs.maxConcurrentPercentage ?? 25,
          regionConcurrencyType:
            prefs.regionConcurrency === 'SEQUENTIAL'
              ? RegionConcurrencyType.SEQUENTIAL
              : RegionConcurrencyType.PARALLEL,
          ...(prefs.regionOrder !== undefined && { regionOrder: prefs.regionOrder }),
        },
      });
      // The code must be in every region's bucket before CloudFormation creates or updates an instance.
      const stem = `${Names.uniqueId(template)}-AssetBucketDeployment-`;
      for (const child of this.node.children) {
        if (child instanceof BucketDeployment && child.node.id.startsWith(stem))
          stackSet.node.addDependency(child);
      }
      this.templates[d.name] = template;
      this.stackSets[d.name] = stackSet;
      this.rotations[d.name] = rotation;
    }
    acknowledgeBucketDeployment(
      this,
      [...buckets.values()].map((b) => b.bucketName),
    );
  }
}

/** What is wrong with the organization's props, every problem at once. */
export function organizationProblems(props: KeyrotOrganizationStackProps): string[] {
  const problems: string[] = [];
  if (!/^[a-z0-9][a-z0-9.-]{2,40}$/.test(props.assetBucketPrefix))
    problems.push(
      `assetBucketPrefix: lowercase letters, digits, . and - (got ${JSON.stringify(props.assetBucketPrefix)})`,
    );
  if (props.deployments.length === 0) problems.push('deployments: at least one');
  const names = new Set<string>();
  props.deployments.forEach((d, i) => {
    const at = `deployments.${i}`;
    if (!NAME.test(d.name))
      problems.push(`${at}.name: letters, digits and - (got ${JSON.stringify(d.name)})`);
    if (names.has(d.name)) problems.push(`${at}.name: ${d.name} is used twice`);
    names.add(d.name);
    if (d.organizationalUnits.length === 0) problems.push(`${at}.organizationalUnits: at least one`);
    for (const ou of d.organizationalUnits)
      if (!OU.test(ou))
        problems.push(`${at}.organizationalUnits: ${JSON.stringify(ou)} is not an OU or root id`);
    if (d.regions.length === 0) problems.push(`${at}.regions: at least one`);
    for (const r of d.regions)
      if (!REGION.test(r)) problems.push(`${at}.regions: ${JSON.stringify(r)} is not a region`);
    for (const a of d.excludeAccounts ?? [])
      if (!ACCOUNT_ID.test(a))
        problems.push(`${at}.excludeAccounts: ${JSON.stringify(a)} is not an account id`);
    const p = d.operationPreferences ?? {};
    const percent = (v: number | undefined, min: number, label: string) => {
      if (v !== undefined && (!Number.isInteger(v) || v < min || v > 100))
        problems.push(`${at}.operationPreferences.${label}: an integer from ${min} to 100 (got ${v})`);
    };
    percent(p.failureTolerancePercentage, 0, 'failureTolerancePercentage');
    percent(p.maxConcurrentPercentage, 1, 'maxConcurrentPercentage');
  });
  return problems;
}

/**
 * cdk-nag's findings on the BucketDeployment that aws-cdk-lib makes (one Lambda for the stack, a
 * singleton): acknowledged with their reasons, as they are the library's, not keyrot's.
 */
function acknowledgeBucketDeployment(stack: Stack, assetBuckets: string[]): void {
  const synthesizer = stack.synthesizer;
  const staging =
    synthesizer instanceof DefaultStackSynthesizer
      ? // The staging bucket's name (private in aws-cdk-lib's typings; resolved for the stack's environment).
        (synthesizer as unknown as { bucketName: string }).bucketName.replace(
          /\$\{(AWS::[A-Za-z]+)\}/g,
          '<$1>',
        )
      : undefined;
  // A literal partition when the stack's region is known and partition literals are on (cdk.json), else the token.
  const partition = Token.isUnresolved(stack.partition) ? '<AWS::Partition>' : stack.partition;
  const copying =
    'BucketDeployment copies the staged code objects, whose keys are content hashes known only at synth, with the library-chosen actions';
  for (const child of stack.node.children) {
    if (!child.node.id.startsWith('Custom::CDKBucketDeployment')) continue;
    Validations.of(child).acknowledge(
      ...['s3:GetObject*', 's3:GetBucket*', 's3:List*', 's3:DeleteObject*', 's3:Abort*'].map((action) => ({
        id: `AwsSolutions-IAM5[Action::${action}]`,
        reason: `${copying}: ${action} is aws-cdk-lib's grant for reading the staging bucket and writing the destination.`,
      })),
      ...[...(staging === undefined ? [] : [staging]), ...assetBuckets].map((bucket) => ({
        id: `AwsSolutions-IAM5[Resource::arn:${partition}:s3:::${bucket}/*]`,
        reason: `${copying}: every object of ${bucket} it stages or writes.`,
      })),
    );
    Validations.of(child).acknowledge(
      {
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason:
          "aws-cdk-lib's BucketDeployment function logs through the AWS managed basic execution policy; it runs only when this stack is deployed.",
      },
      {
        id: 'AwsSolutions-L1',
        reason:
          "aws-cdk-lib's BucketDeployment function runs the Python runtime the library pins, not one this stack chooses.",
      },
    );
  }
}
