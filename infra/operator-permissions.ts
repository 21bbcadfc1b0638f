import {
  ANY,
  attachKeysToPlans,
  encryptReplicas,
  findReplicaKeys,
  grantOf,
  readKeysAndPlans,
  replicateSecrets,
  RECONCILER,
  ROTATION,
  secrets,
  secretsKey,
  tagKeys,
  type Grant,
} from './permissions.js';
import { RUNS_PREFIX } from './report-store.js';

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
  // keyrot apply of a run that adopts keys sharing a value across regions, as the reconciler does.
  replicateSecrets,
  encryptReplicas,
  ...A_RUN,
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
  replicateSecrets,
  findReplicaKeys,
  encryptReplicas,
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
