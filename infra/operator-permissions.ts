import {
  ANY,
  attachKeysToPlans,
  grantOf,
  readKeysAndPlans,
  RECONCILER,
  ROTATION,
  secrets,
  secretsKey,
  tagKeys,
  type Grant,
  type Targets,
} from './permissions.js';
import { RUNS_PREFIX } from './report-store.js';
import { secretsKeyAlias } from '../functions/core/secrets-key-alias.js';

/**
 * The least-privilege IAM policies of the people who run `keyrot`, one per on-call use. The stack
 * publishes each as a customer managed policy (outputs `Operator*PolicyArn`) to attach to a role or an
 * IAM Identity Center permission set. Each verb runs the same code as the functions, with the
 * operator's credentials, so the writes reuse the functions' statements (infra/permissions.ts).
 */
export interface OperatorUse {
  /** The policy's construct id and its output's name stem. */
  id: 'OperatorReadOnly' | 'OperatorOnCall' | 'OperatorOnboard';
  verbs: string[];
  description: string;
  grants: readonly Grant[];
}

const readSecretMetadata: Grant = {
  sid: 'ReadManagedSecretsMetadata',
  actions: [
    'secretsmanager:DescribeSecret',
    'secretsmanager:ListSecretVersionIds',
    'secretsmanager:GetResourcePolicy',
  ],
  resources: [secrets],
};

/** plan, status, report, preflight: reads only; never a secret's value. */
const READ_ONLY: readonly Grant[] = [
  readKeysAndPlans,
  grantOf(RECONCILER, 'ReadApisForPosture'),
  grantOf(RECONCILER, 'ListSecrets'),
  readSecretMetadata,
  {
    sid: 'ListRunReports',
    actions: ['s3:ListBucket'],
    resources: [{ arn: (t) => t.reportBucketArn! }],
    conditions: () => ({ StringLike: { 's3:prefix': `${RUNS_PREFIX}*` } }),
    when: (t) => t.reportBucketArn !== undefined,
  },
  {
    sid: 'ReadRunReports',
    actions: ['s3:GetObject'],
    resources: [
      {
        arn: (t) => `${t.reportBucketArn}/${RUNS_PREFIX}*`,
        wildcard: 'keyrot report reads the run reports of a period, one object per run and form.',
      },
    ],
    when: (t) => t.reportBucketArn !== undefined,
  },
  {
    sid: 'PreflightLambdaConcurrency',
    actions: ['lambda:GetAccountSettings'],
    resources: [ANY('GetAccountSettings has no resource-level permission.')],
  },
  {
    sid: 'PreflightConsumerRoles',
    actions: ['iam:GetRole'],
    resources: [
      {
        arn: (t) => `arn:${t.partition}:iam::${t.account}:role/*`,
        wildcard:
          'keyrot preflight --consumer checks that each named role exists; the names are given at run time.',
      },
    ],
  },
];

/** What every run that writes does besides its actions: its metrics and events, the run lease. */
const A_RUN: readonly Grant[] = [
  grantOf(RECONCILER, 'PutMetricsInNamespace'),
  grantOf(RECONCILER, 'PutEvents'),
  grantOf(RECONCILER, 'HoldRunLease'),
  grantOf(RECONCILER, 'FindRunLease'),
];

/** The writes of a run (apply, rotate, rollback, suspend, resume): the reconciler's, and a rollback's label move. */
const RUN_WRITES: readonly Grant[] = [
  grantOf(RECONCILER, 'DisableAndDeleteApiKeys'),
  attachKeysToPlans,
  tagKeys,
  grantOf(RECONCILER, 'UntagApiKeys'),
  {
    ...grantOf(RECONCILER, 'ManagedSecrets'),
    actions: [
      ...grantOf(RECONCILER, 'ManagedSecrets').actions,
      // keyrot rollback moves AWSCURRENT back to the previous version.
      'secretsmanager:UpdateSecretVersionStage',
    ],
  },
  grantOf(RECONCILER, 'InvokeRotationFunction'),
  secretsKey,
  ...A_RUN,
];

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
const REPLICA_KEYS: readonly Grant[] = [
  {
    sid: 'FindReplicaRegionKeys',
    actions: ['kms:DescribeKey'],
    resources: [replicaKey],
    conditions: (t) => ({
      'ForAnyValue:StringEquals': { 'kms:ResourceAliases': secretsKeyAlias(t.secretPrefix) },
    }),
    when: (t) => t.replicaRegions.length > 0,
  },
  {
    sid: 'EncryptReplicasWithRegionKeys',
    actions: ['kms:Encrypt', 'kms:GenerateDataKey'],
    resources: [replicaKey],
    conditions: (t) => ({
      StringEquals: { 'kms:ViaService': t.replicaRegions.map((r) => `secretsmanager.${r}.amazonaws.com`) },
      'ForAnyValue:StringEquals': { 'kms:ResourceAliases': secretsKeyAlias(t.secretPrefix) },
    }),
    when: (t) => t.replicaRegions.length > 0,
  },
];

/** onboard: a new key in its plans, and its secret (created with the stack's key), rotation configured. */
const ONBOARD_WRITES: readonly Grant[] = [
  grantOf(ROTATION, 'CreateApiKeys'),
  attachKeysToPlans,
  tagKeys,
  {
    sid: 'CreateManagedSecrets',
    actions: [
      'secretsmanager:CreateSecret',
      'secretsmanager:TagResource',
      // The key is made with the value the new secret holds: read back once, never printed.
      'secretsmanager:GetSecretValue',
      'secretsmanager:RotateSecret',
    ],
    resources: [secrets],
  },
  {
    // CreateSecret with AddReplicaRegions: a multi-region credential's secret (docs/multi-region.md).
    sid: 'ReplicateManagedSecrets',
    actions: ['secretsmanager:ReplicateSecretToRegions'],
    resources: [secrets],
    when: (t) => t.replicaRegions.length > 0,
  },
  ...REPLICA_KEYS,
  grantOf(RECONCILER, 'InvokeRotationFunction'),
  secretsKey,
  // An onboarding is a run too.
  ...A_RUN,
];

export const OPERATOR_USES: readonly OperatorUse[] = [
  {
    id: 'OperatorReadOnly',
    verbs: ['plan', 'status', 'report', 'preflight'],
    description: 'keyrot plan, status, report and preflight: read-only, no secret value',
    grants: READ_ONLY,
  },
  {
    id: 'OperatorOnCall',
    verbs: ['apply', 'rotate', 'rollback', 'suspend', 'resume'],
    description: 'keyrot apply, rotate, rollback, suspend and resume (with the read-only verbs)',
    grants: [...READ_ONLY, ...RUN_WRITES],
  },
  {
    id: 'OperatorOnboard',
    verbs: ['onboard', 'add-region'],
    // Unchanged since add-region: a new description replaces the managed policy (a new ARN, its attachments lost).
    description: 'keyrot onboard (with the read-only verbs)',
    grants: [...READ_ONLY, ...ONBOARD_WRITES],
  },
];
