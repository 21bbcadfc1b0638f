import type { RotationFacts } from './rotation-record.js';
import type { CheckKind, Counts } from './checks/registry.js';
import type { SharedValues } from './region-adoption.js';

/** What the reconciler observed of the account: plain data, no SDK types. */
export interface ObservedKey {
  id: string;
  name: string;
  enabled: boolean;
  createdDate?: Date | undefined;
  /** API Gateway's last change of the key: for a disabled key, an upper bound of when it was disabled. */
  lastUpdatedDate?: Date | undefined;
  tags: Record<string, string>;
  /** Usage plans the key is attached to. */
  planIds: string[];
  /** Who the key was issued to (developer portal, AWS Marketplace): carried onto each new generation. */
  customerId?: string | undefined;
  description?: string | undefined;
}

export interface ObservedPlan {
  id: string;
  name: string;
  apiStages: { apiId: string; stage: string }[];
  throttle?: { rateLimit?: number | undefined; burstLimit?: number | undefined } | undefined;
  quota?: { limit?: number | undefined; period?: string | undefined } | undefined;
}

/** Requests per key over the hygiene window, merged across every usage plan (GetUsage). */
export interface UsageWindow {
  /** First and last day read, YYYY-MM-DD, inclusive. */
  from: string;
  to: string;
  /** Requests per key over the window; a key that is absent had none. */
  requests: Record<string, number>;
  /** The last day with a request, per key. */
  lastUsed: Record<string, string>;
}

/** A REST API that some usage plan opens, with what matters for key posture. */
export interface ObservedApi {
  id: string;
  name: string;
  apiKeySource: string;
  /** Methods that don't require a key, as "GET /path". */
  methodsWithoutKey: string[];
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
  /** When a rotation last completed (LastRotatedDate); absent: the secret was never rotated. */
  lastRotatedDate?: Date | undefined;
  deletedDate?: Date | undefined;
  /**
   * The region it is primary in (PrimaryRegion), when Secrets Manager names one. A region other than its
   * ARN's makes it a replica: the credential is owned by that region's stack (core/home-region.ts).
   */
  primaryRegion?: string | undefined;
  /**
   * Its replicas, as a replicated primary's DescribeSecret answers (ReplicationStatus); absent: not read
   * (a secret never replicated, or a replica here).
   */
  replication?: { region: string; status: string; message?: string | undefined }[] | undefined;
  /** The roles its resource policy lets read it (keyrot's statement); absent: the policy was not read. */
  consumers?: string[] | undefined;
}

export interface Inventory {
  keys: ObservedKey[];
  plans: ObservedPlan[];
  secrets: ObservedSecret[];
  /** Absent when usage was not read (hygiene off, or a read failed): no unused finding then. */
  usage?: UsageWindow | undefined;
  /** Absent when posture was not read. */
  apis?: ObservedApi[] | undefined;
  /** Reads that failed without stopping the run. */
  problems?: string[] | undefined;
  /**
   * The stack's other regions (config.replicaRegions) as read there, for multi-region credentials
   * (docs/multi-region.md); a region that could not be read is absent. Absent: not read.
   */
  otherRegions?: RegionKeys[] | undefined;
  /**
   * Which unmanaged keys here share their value (or only their name) with unmanaged keys of the other
   * regions, read only while `unmanaged.action` is `adopt` (core/region-adoption.ts). Absent: not read.
   */
  sharedValues?: SharedValues | undefined;
}

/** The keys of another region a multi-region credential lives in, as read there. */
export interface RegionKeys {
  region: string;
  keys: ObservedKey[];
  /** Requests per key there over the hygiene window; absent when not read (or unreadable): unknown. */
  usage?: UsageWindow | undefined;
}

export type Trigger = 'schedule' | 'manual' | 'emergency';

/** A change the planner wants; every action says why. */
export type Action =
  | {
      kind: 'rotate';
      credential: string;
      secretId: string;
      currentKeyId: string;
      /** The AWSCURRENT version this rotation replaces. */
      fromVersion: string;
      /**
       * The new version's id (RotateSecret's ClientRequestToken), derived from the secret and
       * `fromVersion` so two runs can't do it twice, and never a version the secret already has.
       */
      token: string;
      /** Days Secrets Manager's own schedule waits: a backstop behind the reconciler (scheduleDays). */
      scheduleDays: number;
      /** What the rotation function needs, from the inventory: recorded on the secret before RotateSecret. */
      facts: RotationFacts;
      /** An emergency request with zero grace: the old key is disabled as soon as the rotation is done. */
      revoke?: true;
      /** A suspended credential rotated because an operator asked after suspending it: that ends the suspension. */
      endsSuspension?: true;
      reason: string;
    }
  | {
      kind: 'resume-rotation';
      credential: string;
      secretId: string;
      token: string;
      /** Days Secrets Manager's own schedule waits: a backstop behind the reconciler (scheduleDays). */
      scheduleDays: number;
      /** The usage plans of the current key: what carrying the rotation on may still attach. */
      planIds: string[];
      reason: string;
    }
  | {
      kind: 'configure-rotation';
      credential: string;
      secretId: string;
      /** Days Secrets Manager's own schedule waits: a backstop behind the reconciler (scheduleDays). */
      scheduleDays: number;
      reason: string;
    }
  | { kind: 'attach-key'; credential: string; keyId: string; usagePlanId: string; reason: string }
  /** Key actions name the credential of a managed key; hygiene on an unmanaged key has none. */
  | { kind: 'record-disabled'; credential: string | undefined; keyId: string; reason: string }
  | {
      kind: 'disable-key';
      credential: string | undefined;
      keyId: string;
      /** Retired by an emergency request (it leaked): recorded as revoked. */
      revoke?: true;
      /** Another region's key of a multi-region credential (core/regional-retirement.ts); absent: this region. */
      region?: string;
      reason: string;
    }
  | {
      kind: 'delete-key';
      credential: string | undefined;
      keyId: string;
      /** Another region's key of a multi-region credential; absent: this region. */
      region?: string;
      reason: string;
    }
  /** A secret made before ownership records: the keys it proves are recorded on it (core/ownership.ts). */
  | { kind: 'record-ownership'; credential: string; secretId: string; keyIds: string[]; reason: string }
  /** A key re-enabled by hand: its disabled-at (and grace-until) tags go, so a later disable starts afresh. */
  | { kind: 'forget-disabled'; credential: string | undefined; keyId: string; reason: string }
  | {
      /**
       * A rotation finished that no run has recorded yet (it ended after the run that started it, or
       * Secrets Manager's own schedule started it): counted, announced and reported now, once.
       */
      kind: 'record-rotation';
      credential: string;
      secretId: string;
      /** The version now AWSCURRENT, and the one the secret's record names. */
      version: string;
      previousVersion: string;
      keyId: string;
      reason: string;
    }
  | {
      kind: 'adopt-key';
      credential: string;
      keyId: string;
      policy: string;
      reason: string;
      /** Its value's copies in other regions, adopted with it into one credential (core/region-adoption.ts). */
      regions?: { region: string; keyId: string }[] | undefined;
    }
  | {
      /** The secret's resource policy made to grant exactly these roles of other accounts ([]: none). */
      kind: 'grant-consumers';
      credential: string;
      secretId: string;
      principals: string[];
      reason: string;
    }
  | {
      /** keyrot onboard: a new credential, or one a failure left half done finished. Never planned by a run. */
      kind: 'onboard';
      credential: string;
      secretName: string;
      /** The secret, when an earlier attempt made it (finishing); absent: it is created. */
      secretId: string | undefined;
      /** Its first version: the one the secret is created with, or the one it has. */
      version: string;
      /** Generation 1's key, when an earlier attempt made it. */
      keyId: string | undefined;
      policy: string | undefined;
      scheduleDays: number;
      usagePlanIds: string[];
      /** Plans the key still needs (all of them for a new key). */
      attachPlanIds: string[];
      /** The credential's other regions (its secret's replicas) and its plans in each (docs/multi-region.md). */
      regions: { region: string; usagePlanIds: string[] }[];
      reason: string;
    }
  | {
      /**
       * keyrot add-region: an existing credential comes to live in one more region (docs/multi-region.md):
       * its secret replicated there, the key of its current version made there with the current value
       * (the home key's name and tags), in the region's plans, and recorded. Never planned by a run.
       */
      kind: 'add-region';
      credential: string;
      secretId: string;
      secretName: string;
      region: string;
      /** AWSCURRENT's version: the key made there is this version's. */
      version: string;
      /** The home key of that version (its twin): name and tags copied. */
      homeKeyId: string;
      keyName: string;
      keyTags: Record<string, string>;
      keyDescription: string | undefined;
      usagePlanIds: string[];
      reason: string;
    }
  | {
      /**
       * keyrot suspend: the consumer cut off on purpose (an on-call action, never planned by a run). The
       * suspension is recorded on the secret first, then every enabled key of the credential is disabled.
       */
      kind: 'suspend';
      credential: string;
      secretId: string;
      /** The AWSCURRENT version the suspension holds. */
      version: string;
      suspendReason: string;
      /** The credential's enabled keys: the current one, and older ones still in their grace. */
      disableKeyIds: string[];
      /** An emergency request standing on the secret: it would rotate the credential once resumed. */
      clearRequestTag?: string;
      reason: string;
    }
  | {
      /**
       * keyrot resume: the current key enabled again, then the suspension's record removed (an on-call
       * action, never planned by a run). One suspended past its policy's period is rotated instead
       * (keyrot rotate, by the CLI), which ends the suspension.
       */
      kind: 'resume';
      credential: string;
      secretId: string;
      keyId: string;
      /** AWSCURRENT's version: a multi-region credential's key of it is enabled in every region too. */
      version?: string | undefined;
      /** The current key is disabled (by keyrot suspend, or by hand): enabled again. */
      enable: boolean;
      /** The suspension's tags on the secret; none for a key disabled by hand. */
      clearTags: string[];
      reason: string;
    }
  | {
      /** The record of a suspension an operator's rotation ended (AWSCURRENT moved past its version). */
      kind: 'end-suspension';
      credential: string;
      secretId: string;
      reason: string;
    }
  | {
      /** keyrot rollback: the previous key made current again (an on-call action, never planned by a run). */
      kind: 'rollback';
      credential: string;
      secretId: string;
      /** The key made current again, and its version (AWSPREVIOUS). */
      keyId: string;
      version: string;
      /** The key and version rolled back from (AWSCURRENT). */
      fromKeyId: string;
      fromVersion: string;
      /** The restored key is disabled (its disable window): enabled again. */
      enable: boolean;
      /** Usage plans of the key rolled back from that the restored one is not in. */
      attachPlanIds: string[];
      /** AWSPENDING left on the current version by a rotation interrupted after its last step. */
      clearPending: boolean;
      /**
       * The secret's emergency request tag (keyrot rotate): answered by the rotation rolled back, it would
       * stand again once its version is current and rotate the restored key at once.
       */
      clearRequestTag?: string;
      /** The restored key had been revoked (it leaked): brought back only because the engineer forced it. */
      forced?: { revokedAt: string };
      /** Rotation paused until then (keyrot rollback --pause): the restored key keeps its age. */
      pauseUntil?: string;
      pauseReason?: string;
      reason: string;
    };

export type ActionKind = Action['kind'];

/** What applying one action did. */
export interface Outcome {
  action: Action;
  /**
   * deferred: not started (the run stopped in time for its deadline, or another run has it); the next
   * run does it. started: a rotation Secrets Manager is still running when the run stopped watching;
   * the run that sees it finished records it (record-rotation).
   */
  status: 'done' | 'failed' | 'deferred' | 'started';
  /** What the effect reported, such as the version a rotation moved to. */
  detail?: string | undefined;
  error?: { name: string; message: string } | undefined;
}

/** The action kinds that complete a rotation when done. */
export const ROTATION_KINDS: readonly ActionKind[] = ['rotate', 'resume-rotation', 'record-rotation'];

/** Findings the planner raises itself; the hygiene and posture checks add theirs (checks/registry.ts). */
export type FindingKind =
  | 'malformed-tag'
  | 'unknown-policy'
  | 'secret-missing'
  | 'secret-deleted'
  | 'current-key-missing'
  | 'current-key-ambiguous'
  | 'ownership-mismatch'
  | 'current-key-disabled'
  | 'credential-suspended'
  | 'owned-in-region'
  | 'replication-failed'
  | 'credential-without-keys'
  | 'key-reenabled'
  | 'read-failed'
  | 'rotation-paused'
  | 'retiring-key-in-use'
  | 'exemption-expired'
  | CheckKind;

/** Something wrong that the planner will not (or cannot) fix by itself. */
export interface Finding extends FindingDetail {
  kind: FindingKind;
}

/** A finding but its kind. */
export interface FindingDetail {
  message: string;
  credential?: string | undefined;
  keyId?: string | undefined;
  /** Another region of a multi-region credential the finding is about (its key, its replica); absent: the run's own. */
  region?: string | undefined;
  tag?: string | undefined;
  usagePlanId?: string | undefined;
  apiId?: string | undefined;
  /** What the run does about it: only report it, or the action it plans. */
  action?: 'report' | 'disable' | 'delete' | 'adopt' | 'refuse' | 'wait' | undefined;
  /** An exemption tag silenced this finding until the given day. */
  exemptUntil?: string | undefined;
  /** Answered by the run that raised it (its report says so): the key was rotated, disabled or deleted. */
  resolvedByRun?: string | undefined;
}

/** Counts the run reports as metrics, taken from the same observation the plan was made from. */
export interface PlanStats {
  totalKeys: number;
  /** The API key quota the run measures against (config.hygiene.quota.limit: AWS's is 10,000). */
  keyQuota: number;
  managedKeys: number;
  unmanagedKeys: number;
  credentials: number;
  /** Current keys older than their policy's period plus grace. */
  overdueKeys: number;
  /** Superseded keys still enabled within their grace period. */
  keysInGrace: number;
  /** Credentials held because their consumer is cut off: suspended, or current key disabled by hand. */
  suspendedCredentials: number;
  /** Superseded keys past their grace whose retirement waits because they still take requests. */
  postponedRetirements: number;
  /**
   * Of those, the ones held by requests in another region of a multi-region credential, per that region
   * (the region of the last request, as the finding names it). Absent: none.
   */
  postponedByRegion?: Record<string, number> | undefined;
  /** Keys each hygiene check found (not counting exempt keys or checks set to ignore). */
  checks: Counts;
  exemptions: number;
}

export interface Plan {
  actions: Action[];
  findings: Finding[];
  stats: PlanStats;
  /** The current keys past their policy's period plus grace (stats.overdueKeys of them), by credential. */
  overdue?: { credential: string; keyId: string }[];
}
