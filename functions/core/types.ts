/** What the reconciler observed of the account: plain data, no SDK types. */
export interface ObservedKey {
  id: string;
  name: string;
  enabled: boolean;
  createdDate?: Date | undefined;
  tags: Record<string, string>;
  /** Usage plans the key is attached to. */
  planIds: string[];
}

export interface ObservedPlan {
  id: string;
  name: string;
  apiStages: { apiId: string; stage: string }[];
}

export interface ObservedSecret {
  arn: string;
  name: string;
  tags: Record<string, string>;
  /** Version id to its staging labels (AWSCURRENT, AWSPENDING, AWSPREVIOUS, ...). */
  versions: Record<string, string[]>;
  rotationEnabled: boolean;
  rotationPeriodDays?: number | undefined;
  rotationLambdaArn?: string | undefined;
  deletedDate?: Date | undefined;
}

export interface Inventory {
  keys: ObservedKey[];
  plans: ObservedPlan[];
  secrets: ObservedSecret[];
}

export type Trigger = 'schedule' | 'manual' | 'emergency';

/** A change the planner wants; every action says why. */
export type Action =
  | {
      kind: 'rotate';
      credential: string;
      secretId: string;
      currentKeyId: string;
      periodDays: number;
      reason: string;
    }
  | {
      kind: 'resume-rotation';
      credential: string;
      secretId: string;
      token: string;
      periodDays: number;
      reason: string;
    }
  | {
      kind: 'configure-rotation';
      credential: string;
      secretId: string;
      periodDays: number;
      reason: string;
    }
  | { kind: 'attach-key'; credential: string; keyId: string; usagePlanId: string; reason: string }
  | { kind: 'record-disabled'; credential: string; keyId: string; reason: string }
  | { kind: 'disable-key'; credential: string; keyId: string; reason: string }
  | { kind: 'delete-key'; credential: string; keyId: string; reason: string };

export type ActionKind = Action['kind'];

export type FindingKind =
  | 'malformed-tag'
  | 'unknown-policy'
  | 'secret-missing'
  | 'secret-deleted'
  | 'current-key-missing'
  | 'current-key-disabled'
  | 'credential-without-keys'
  | 'key-reenabled';

/** Something wrong that the planner will not (or cannot) fix by itself. */
export interface Finding {
  kind: FindingKind;
  message: string;
  credential?: string | undefined;
  keyId?: string | undefined;
  tag?: string | undefined;
}

/** Counts the run reports as metrics, taken from the same observation the plan was made from. */
export interface PlanStats {
  totalKeys: number;
  managedKeys: number;
  unmanagedKeys: number;
  credentials: number;
  /** Current keys older than their policy's period plus grace. */
  overdueKeys: number;
  /** Superseded keys still enabled within their grace period. */
  keysInGrace: number;
}

export interface Plan {
  actions: Action[];
  findings: Finding[];
  stats: PlanStats;
}
