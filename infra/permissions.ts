import * as iam from 'aws-cdk-lib/aws-iam';
import { RUN_LEASE_KEY } from '../functions/core/run-lease.js';
import { RUNS_PREFIX } from './report-store.js';
import { secretsKeyAlias } from '../functions/core/secrets-key-alias.js';

/**
 * The IAM statements of the two functions, one per kind of call they make, and why each wildcard in
 * them is as narrow as AWS allows: one table gives both the policies and their cdk-nag
 * acknowledgements (AwsSolutions-IAM5), so a resource can't change in one and not the other. API
 * Gateway authorizes its control plane by HTTP verb on a resource path, so each statement names the
 * verb and the paths of the operations that use it:
 *
 * | operation | IAM action and resource |
 * |---|---|
 * | GetApiKeys, GetApiKey | GET /apikeys, /apikeys/{id} |
 * | GetUsagePlans, GetUsagePlanKeys, GetUsage | GET /usageplans, /usageplans/{id}/keys, /usageplans/{id}/usage |
 * | GetRestApis, GetResources (posture, read-only) | GET /restapis, /restapis/{id}/resources |
 * | CreateApiKey | POST /apikeys |
 * | CreateUsagePlanKey | POST /usageplans/{id}/keys |
 * | UpdateApiKey, DeleteApiKey | PATCH, DELETE /apikeys/{id} |
 * | TagResource (on arn:...::/apikeys/{id}), tags given to CreateApiKey | PUT /tags/{url-encoded key ARN} |
 * | UntagResource (a re-enabled key's disable record) | DELETE /tags/{url-encoded key ARN} |
 *
 * Security Hub (securityHub.enabled only), after the Service Authorization Reference: BatchImportFindings
 * is authorized on the product it imports into (the account's default product,
 * product/ACCOUNT/default), GetFindings on the account's hub (hub/default).
 */

/**
 * Where the statements point. Rendered twice: with CloudFormation tokens for the policies, and with
 * cdk-nag's names (`<AWS::Region>`, `<LogicalId.Arn>`) for the acknowledgements.
 */
export interface Targets {
  partition: string;
  region: string;
  /** The other regions the stack's multi-region credentials live in (config.replicaRegions). */
  replicaRegions: readonly string[];
  account: string;
  secretPrefix: string;
  /** The customer-managed key of the credentials' secrets. */
  secretsKeyArn: string;
  rotationFunctionArn: string;
  reconcilerArn: string;
  metricNamespace: string;
  /** The bus's ARN, or undefined when events are off. */
  eventBusArn: string | undefined;
  /** The report bucket's ARN, or undefined when the reconciler writes no reports. */
  reportBucketArn: string | undefined;
  /** The bucket of the run lease (one run at a time spends API Gateway's share). */
  leaseBucketArn: string;
  /** config.securityHub.enabled: the reconciler imports its findings into Security Hub. */
  securityHub: boolean;
}

export interface Resource {
  arn: (t: Targets) => string;
  /** Why a wildcard in this ARN is as narrow as AWS allows. Required for an ARN with a `*`. */
  wildcard?: string;
  /**
   * Named in the stack's region and in each replica region: a multi-region credential's keys there are
   * created, attached, retired by the home region's functions (docs/multi-region.md).
   */
  everyRegion?: true;
  /** Named in each replica region only (their stacks' own resources, such as their secrets keys). */
  replicaRegionsOnly?: true;
}

/** The ARNs of a resource: one, or one per region the stack drives. */
export function arnsOf(resource: Resource, t: Targets): string[] {
  if (resource.replicaRegionsOnly === true)
    return t.replicaRegions.map((region) => resource.arn({ ...t, region }));
  if (resource.everyRegion !== true) return [resource.arn(t)];
  return [t.region, ...t.replicaRegions].map((region) => resource.arn({ ...t, region }));
}

export interface Grant {
  sid: string;
  actions: string[];
  resources: Resource[];
  conditions?: (t: Targets) => iam.Conditions;
  /** Left out when its target is (events off, no report bucket). */
  when?: (t: Targets) => boolean;
  /**
   * Names the role's own function: a policy of its own (the function depends on its role's default
   * policy, so a default-policy statement naming the function would be a dependency cycle).
   */
  ownPolicy?: true;
}

export const apigateway = (path: string, wildcard?: string): Resource => ({
  arn: (t) => `arn:${t.partition}:apigateway:${t.region}::${path}`,
  everyRegion: true,
  ...(wildcard !== undefined && { wildcard }),
});
export const secrets: Resource = {
  arn: (t) => `arn:${t.partition}:secretsmanager:${t.region}:${t.account}:secret:${t.secretPrefix}*`,
  wildcard: "Credentials are onboarded at run time; the name prefix limits the role to keyrot's secrets.",
};
export const API_KEYS = apigateway(
  '/apikeys/*',
  'API key ids are created at run time by rotations; the path limits the role to API keys.',
);
/**
 * Tags of API keys only: TagResource and UntagResource are authorized on /tags/<url-encoded resource
 * ARN>, so the path names the API keys' ARN prefix (arn:...::/apikeys/, URL-encoded). /tags/* would let
 * the roles tag any API Gateway resource of the region, which defeats tag-based access control.
 */
export const TAGS: Resource = {
  arn: (t) =>
    `arn:${t.partition}:apigateway:${t.region}::/tags/arn%3A${t.partition}%3Aapigateway%3A${t.region}%3A%3A%2Fapikeys%2F*`,
  everyRegion: true,
  wildcard:
    'TagResource and UntagResource on an API key are authorized on /tags/<url-encoded key ARN>; key ids are created at run time, and the path is limited to API keys.',
};
export const ANY = (why: string): Resource => ({ arn: () => '*', wildcard: why });

export const readKeysAndPlans: Grant = {
  sid: 'ReadApiKeysAndUsagePlans',
  actions: ['apigateway:GET'],
  resources: [
    apigateway('/apikeys'),
    API_KEYS,
    apigateway('/usageplans'),
    apigateway(
      '/usageplans/*',
      'Read-only: the usage plans, their keys and usage; plan ids are only known at run time.',
    ),
  ],
};
export const attachKeysToPlans: Grant = {
  sid: 'AttachApiKeysToUsagePlans',
  actions: ['apigateway:POST'],
  resources: [
    apigateway(
      '/usageplans/*/keys',
      'A new key joins the usage plans of the key it replaces, known only at run time; the path allows only attaching keys.',
    ),
  ],
};
export const tagKeys: Grant = { sid: 'TagApiKeys', actions: ['apigateway:PUT'], resources: [TAGS] };
/** KMS use only through Secrets Manager, and only for the managed secrets (their ARN is the encryption context). */
export const secretsKey: Grant = {
  sid: 'UseSecretsKeyThroughSecretsManager',
  actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
  resources: [{ arn: (t) => t.secretsKeyArn }],
  conditions: (t) => ({
    StringEquals: { 'kms:ViaService': `secretsmanager.${t.region}.amazonaws.com` },
    StringLike: { 'kms:EncryptionContext:SecretARN': secrets.arn(t) },
  }),
};

/**
 * Each replica region's stack key, the one its replica is encrypted with: Secrets Manager encrypts a
 * replica with a customer managed key with its caller's kms:GenerateDataKey and kms:Encrypt on that key
 * (ReplicateSecretToRegions, API reference), and onboarding first checks the key is there (DescribeKey
 * on its alias). Keys of the replica regions only, and only the one with keyrot's alias
 * (core/secrets-key-alias.ts): key ids are only known in their region, the alias is the name.
 */
const replicaKey = {
  arn: (t: Targets) => `arn:${t.partition}:kms:${t.region}:${t.account}:key/*`,
  replicaRegionsOnly: true as const,
  wildcard:
    "Each replica region's stack key is named by its alias (kms:ResourceAliases), its id being known only in its region.",
};
export const findReplicaKeys: Grant = {
  sid: 'FindReplicaRegionKeys',
  actions: ['kms:DescribeKey'],
  resources: [replicaKey],
  conditions: (t) => ({
    'ForAnyValue:StringEquals': { 'kms:ResourceAliases': secretsKeyAlias(t.secretPrefix) },
  }),
  when: (t) => t.replicaRegions.length > 0,
};
export const encryptReplicas: Grant = {
  sid: 'EncryptReplicasWithRegionKeys',
  actions: ['kms:Encrypt', 'kms:GenerateDataKey'],
  resources: [replicaKey],
  conditions: (t) => ({
    StringEquals: { 'kms:ViaService': t.replicaRegions.map((r) => `secretsmanager.${r}.amazonaws.com`) },
    'ForAnyValue:StringEquals': { 'kms:ResourceAliases': secretsKeyAlias(t.secretPrefix) },
  }),
  when: (t) => t.replicaRegions.length > 0,
};

/** CreateSecret with AddReplicaRegions, ReplicateSecretToRegions: a multi-region credential's secret (docs/multi-region.md). */
export const replicateSecrets: Grant = {
  sid: 'ReplicateManagedSecrets',
  actions: ['secretsmanager:ReplicateSecretToRegions'],
  resources: [secrets],
  when: (t) => t.replicaRegions.length > 0,
};

/** The scheduled reconciler: reads everything, retires keys, starts rotations, adopts keys, reports. */
export const RECONCILER: readonly Grant[] = [
  readKeysAndPlans,
  {
    sid: 'ReadApisForPosture',
    actions: ['apigateway:GET'],
    resources: [
      apigateway('/restapis'),
      apigateway('/restapis/*', 'Read-only (GET) posture checks of the REST APIs that usage plans open.'),
    ],
  },
  {
    sid: 'DisableAndDeleteApiKeys',
    actions: ['apigateway:PATCH', 'apigateway:DELETE'],
    resources: [API_KEYS],
  },
  attachKeysToPlans,
  tagKeys,
  // forget-disabled: a key re-enabled by hand loses its disable record, so a later disable starts afresh.
  { sid: 'UntagApiKeys', actions: ['apigateway:DELETE'], resources: [TAGS] },
  {
    sid: 'ListSecrets',
    actions: ['secretsmanager:ListSecrets'],
    resources: [ANY('ListSecrets has no resource-level permission.')],
  },
  {
    sid: 'ManagedSecrets',
    actions: [
      'secretsmanager:DescribeSecret',
      'secretsmanager:RotateSecret',
      // The consumers' grant on each secret (keyrot:consumers), kept at run time: the secret is made later.
      'secretsmanager:GetResourcePolicy',
      'secretsmanager:PutResourcePolicy',
      'secretsmanager:DeleteResourcePolicy',
      'secretsmanager:UntagResource',
      'secretsmanager:CreateSecret',
      // CreateSecret with tags; the record of the last rotation counted (rotation:recorded-version).
      'secretsmanager:TagResource',
      // How long a pending rotation has waited, before the run resumes it as stuck.
      'secretsmanager:ListSecretVersionIds',
    ],
    resources: [secrets],
  },
  // RotateSecret requires its caller to be allowed to invoke the rotation function; a stuck rotation is
  // resumed by invoking it with the pending version.
  {
    sid: 'InvokeRotationFunction',
    actions: ['lambda:InvokeFunction'],
    resources: [{ arn: (t) => t.rotationFunctionArn }],
  },
  // A run its deadline cuts short goes on in a new invocation of the reconciler (asynchronous), by the
  // ARN it was invoked with: a version, an alias or $LATEST is a qualified ARN (the :* resource).
  {
    sid: 'ContinueRun',
    actions: ['lambda:InvokeFunction'],
    resources: [
      { arn: (t) => t.reconcilerArn },
      {
        arn: (t) => `${t.reconcilerArn}:*`,
        wildcard:
          'The reconciler continues a run by the ARN it was invoked with: a version, an alias or $LATEST qualifies it.',
      },
    ],
    ownPolicy: true,
  },
  secretsKey,
  // Adopting keys that share a value across regions makes one secret with a replica in each region,
  // encrypted with that region's stack key (core/region-adoption.ts).
  replicateSecrets,
  encryptReplicas,
  {
    sid: 'PutMetricsInNamespace',
    actions: ['cloudwatch:PutMetricData'],
    resources: [ANY('PutMetricData has no resource-level permission; it is conditioned on the namespace.')],
    conditions: (t) => ({ StringEquals: { 'cloudwatch:namespace': t.metricNamespace } }),
  },
  {
    sid: 'PutEvents',
    actions: ['events:PutEvents'],
    resources: [{ arn: (t) => t.eventBusArn! }],
    when: (t) => t.eventBusArn !== undefined,
  },
  {
    sid: 'ImportSecurityHubFindings',
    actions: ['securityhub:BatchImportFindings'],
    resources: [
      {
        arn: (t) => `arn:${t.partition}:securityhub:${t.region}:${t.account}:product/${t.account}/default`,
      },
    ],
    when: (t) => t.securityHub,
  },
  {
    sid: 'ReadSecurityHubFindings',
    actions: ['securityhub:GetFindings'],
    resources: [{ arn: (t) => `arn:${t.partition}:securityhub:${t.region}:${t.account}:hub/default` }],
    when: (t) => t.securityHub,
  },
  {
    sid: 'WriteRunReports',
    actions: ['s3:PutObject'],
    resources: [
      {
        arn: (t) => `${t.reportBucketArn}/${RUNS_PREFIX}*`,
        wildcard: 'Each run writes its own report objects under runs/.',
      },
    ],
    when: (t) => t.reportBucketArn !== undefined,
  },
  {
    // Conditional puts only (functions/aws/run-lease-store.ts). ListBucket makes a missing lease 404
    // (NoSuchKey), not 403: S3 hides whether an object exists from a reader without it.
    sid: 'HoldRunLease',
    actions: ['s3:GetObject', 's3:PutObject'],
    resources: [{ arn: (t) => `${t.leaseBucketArn}/${RUN_LEASE_KEY}` }],
  },
  { sid: 'FindRunLease', actions: ['s3:ListBucket'], resources: [{ arn: (t) => t.leaseBucketArn }] },
];

/** The rotation function: the four steps of one credential's rotation. */
export const ROTATION: readonly Grant[] = [
  readKeysAndPlans,
  { sid: 'CreateApiKeys', actions: ['apigateway:POST'], resources: [apigateway('/apikeys')] },
  attachKeysToPlans,
  tagKeys,
  // finishSecret of an emergency with zero grace disables the leaked key (UpdateApiKey); never deletes.
  { sid: 'RevokeLeakedApiKeys', actions: ['apigateway:PATCH'], resources: [API_KEYS] },
  {
    sid: 'RotateManagedSecrets',
    actions: [
      'secretsmanager:DescribeSecret',
      'secretsmanager:GetSecretValue',
      'secretsmanager:PutSecretValue',
      'secretsmanager:UpdateSecretVersionStage',
      // The rotation's records on its secret (functions/core/rotation-record.ts): its new key, activations.
      'secretsmanager:TagResource',
    ],
    resources: [secrets],
  },
  secretsKey,
];

/** The policy statements of `grants`, pointing at `targets`. */
export function statementsOf(grants: readonly Grant[], targets: Targets): iam.PolicyStatement[] {
  return grants
    .filter((g) => g.when?.(targets) ?? true)
    .map(
      (g) =>
        new iam.PolicyStatement({
          sid: g.sid,
          actions: g.actions,
          resources: g.resources.flatMap((r) => arnsOf(r, targets)),
          ...(g.conditions !== undefined && { conditions: g.conditions(targets) }),
        }),
    );
}

/**
 * The AwsSolutions-IAM5 findings the statements raise, as cdk-nag names them (`targets` in its
 * notation), each with its reason: one per distinct wildcard resource.
 */
export function wildcardAcknowledgements(grants: readonly Grant[], targets: Targets): [string, string][] {
  const reasons = new Map<string, string[]>();
  for (const grant of grants.filter((g) => g.when?.(targets) ?? true)) {
    for (const resource of grant.resources) {
      for (const arn of arnsOf(resource, targets)) {
        if (!arn.includes('*')) continue;
        if (resource.wildcard === undefined)
          throw new Error(`${grant.sid}: ${arn} has a wildcard without a reason`);
        const known = reasons.get(arn) ?? [];
        if (!known.includes(resource.wildcard)) known.push(resource.wildcard);
        reasons.set(arn, known);
      }
    }
  }
  return [...reasons].map(([arn, why]) => [`Resource::${arn}`, why.join(' ')]);
}

/** One grant of a table by its statement id (the operator policies reuse the functions' grants). */
export function grantOf(grants: readonly Grant[], sid: string): Grant {
  const grant = grants.find((g) => g.sid === sid);
  if (grant === undefined) throw new Error(`no grant ${sid}`);
  return grant;
}
