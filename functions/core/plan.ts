import type { Config, Policy } from './config.js';
import {
  indexCredentials,
  resolvePolicy,
  versionWithStage,
  type Credential,
  type ManagedKey,
} from './credentials.js';
import { addDays, day } from './time.js';
import type { Action, Finding, Inventory, Plan, PlanStats } from './types.js';

const CURRENT = 'AWSCURRENT';
const PENDING = 'AWSPENDING';

/**
 * The reconciler's decision: from what was observed, the policy and the time, what to do and why.
 * Pure: no I/O, no clock. Re-running it on the state its actions leave behind converges.
 */
export function plan(inventory: Inventory, config: Config, now: Date): Plan {
  const index = indexCredentials(inventory, config);
  const actions: Action[] = [];
  const findings: Finding[] = [...index.findings];
  const stats: PlanStats = {
    totalKeys: inventory.keys.length,
    managedKeys: inventory.keys.length - index.unmanagedKeys.length,
    unmanagedKeys: index.unmanagedKeys.length,
    credentials: index.credentials.length,
    overdueKeys: 0,
    keysInGrace: 0,
  };
  for (const credential of index.credentials) {
    planCredential(credential, config, now, { actions, findings, stats });
  }
  return { actions, findings, stats };
}

interface Sink {
  actions: Action[];
  findings: Finding[];
  stats: PlanStats;
}

function planCredential(c: Credential, config: Config, now: Date, sink: Sink): void {
  const { actions, findings } = sink;
  const { secret } = c;
  if (secret === undefined) {
    findings.push({
      kind: 'secret-missing',
      credential: c.name,
      message: `credential ${c.name}: no secret ${config.secretPrefix}${c.name}; its keys are left as they are`,
    });
    return;
  }
  if (secret.deletedDate !== undefined) {
    findings.push({
      kind: 'secret-deleted',
      credential: c.name,
      message: `credential ${c.name}: secret ${secret.name} is scheduled for deletion on ${day(secret.deletedDate)}; restore it (RestoreSecret) to resume rotation`,
    });
    return;
  }
  if (c.keys.length === 0 && c.unreadable.length === 0) {
    findings.push({
      kind: 'credential-without-keys',
      credential: c.name,
      message: `credential ${c.name}: secret ${secret.name} exists but no API key is tagged with this credential`,
    });
    return;
  }
  const currentVersion = versionWithStage(secret, CURRENT);
  const pendingVersion = versionWithStage(secret, PENDING);
  const rotating = pendingVersion !== undefined && pendingVersion !== currentVersion;
  const current = c.keys.find((k) => k.version !== undefined && k.version === currentVersion);
  if (current === undefined) {
    const unreadable = c.unreadable.length > 0 ? ` (${c.unreadable.length} key(s) have malformed tags)` : '';
    findings.push({
      kind: 'current-key-missing',
      credential: c.name,
      message: `credential ${c.name}: no readable API key carries the AWSCURRENT version ${currentVersion ?? '(none)'} of ${secret.name}${unreadable}; nothing is rotated or retired until that is repaired`,
    });
    return;
  }
  if (!current.key.enabled) {
    findings.push({
      kind: 'current-key-disabled',
      credential: c.name,
      keyId: current.key.id,
      message: `credential ${c.name}: current key ${current.key.id} is disabled; consumers get 403 until it is re-enabled (keyrot rollback) or rotated`,
    });
    return;
  }
  const choice = resolvePolicy(current, config);
  if (!choice.ok) {
    findings.push(choice.finding);
    return;
  }
  const { policy } = choice;

  if (rotating) {
    actions.push({
      kind: 'resume-rotation',
      credential: c.name,
      secretId: secret.arn,
      token: pendingVersion,
      periodDays: policy.periodDays,
      reason: `rotation to version ${pendingVersion} was started and did not finish`,
    });
  } else {
    const activeSince = current.activatedAt ?? current.createdAt;
    const dueAt = activeSince === undefined ? now : addDays(activeSince, policy.periodDays);
    if (activeSince !== undefined && now >= addDays(activeSince, policy.periodDays + policy.graceDays)) {
      sink.stats.overdueKeys++;
    }
    if (now.getTime() >= dueAt.getTime()) {
      actions.push({
        kind: 'rotate',
        credential: c.name,
        secretId: secret.arn,
        currentKeyId: current.key.id,
        periodDays: policy.periodDays,
        reason: `key ${current.key.id} (generation ${current.generation ?? '?'}) active since ${activeSince ? day(activeSince) : 'an unknown date'}; policy ${choice.name} rotates every ${policy.periodDays} days (due ${day(dueAt)})`,
      });
    } else if (
      !secret.rotationEnabled ||
      secret.rotationPeriodDays !== policy.periodDays ||
      (config.rotationLambdaArn !== undefined && secret.rotationLambdaArn !== config.rotationLambdaArn)
    ) {
      actions.push({
        kind: 'configure-rotation',
        credential: c.name,
        secretId: secret.arn,
        periodDays: policy.periodDays,
        reason: `secret ${secret.name} rotation is ${secret.rotationEnabled ? `every ${secret.rotationPeriodDays ?? '?'} days` : 'off'}; policy ${choice.name} wants every ${policy.periodDays} days`,
      });
    }
  }

  const pendingKey = rotating ? c.keys.find((k) => k.version === pendingVersion) : undefined;
  const others = c.keys.filter((k) => k !== current && k !== pendingKey);
  planPlanSync(c, current, others, actions);
  for (const key of others) planRetirement(key, current, c.keys, policy, now, sink);
}

/** The current key must be in every plan an enabled older key of the credential is in (I1). */
function planPlanSync(c: Credential, current: ManagedKey, others: ManagedKey[], actions: Action[]): void {
  const missing = new Set<string>();
  for (const other of others) {
    if (!other.key.enabled) continue;
    for (const planId of other.key.planIds) if (!current.key.planIds.includes(planId)) missing.add(planId);
  }
  for (const usagePlanId of [...missing].sort()) {
    actions.push({
      kind: 'attach-key',
      credential: c.name,
      keyId: current.key.id,
      usagePlanId,
      reason: `an older key of ${c.name} is in usage plan ${usagePlanId} and the current key ${current.key.id} is not`,
    });
  }
}

/** When an older key became superseded: the activation of the first generation after it. */
function supersededAt(key: ManagedKey, current: ManagedKey, all: ManagedKey[]): Date | undefined {
  const generation = key.generation ?? Infinity;
  const successors = all
    .filter((k) => k.activatedAt !== undefined && (k.generation ?? -Infinity) > generation)
    .sort((a, b) => a.generation! - b.generation!);
  return successors[0]?.activatedAt ?? current.activatedAt ?? current.createdAt;
}

function planRetirement(
  key: ManagedKey,
  current: ManagedKey,
  all: ManagedKey[],
  policy: Policy,
  now: Date,
  { actions, findings, stats }: Sink,
): void {
  const { id } = key.key;
  const base = { credential: key.credential, keyId: id };
  if (!key.key.enabled) {
    if (key.disabledAt === undefined) {
      actions.push({
        ...base,
        kind: 'record-disabled',
        reason: `key ${id} is disabled with no record of when; its ${policy.disableWindowDays}-day disable window starts now`,
      });
      return;
    }
    const deleteAt = addDays(key.disabledAt, policy.disableWindowDays);
    if (now.getTime() >= deleteAt.getTime()) {
      actions.push({
        ...base,
        kind: 'delete-key',
        reason: `key ${id} disabled since ${day(key.disabledAt)}; the ${policy.disableWindowDays}-day disable window ended ${day(deleteAt)}`,
      });
    }
    return;
  }
  if (key.disabledAt !== undefined) {
    findings.push({
      ...base,
      kind: 'key-reenabled',
      message: `key ${id} of ${key.credential} was disabled on ${day(key.disabledAt)} and re-enabled by hand; it is left enabled until it is made current (keyrot rollback) or disabled again`,
    });
    return;
  }
  const neverActive =
    key.activatedAt === undefined &&
    key.generation !== undefined &&
    current.generation !== undefined &&
    key.generation > current.generation;
  if (neverActive) {
    actions.push({
      ...base,
      kind: 'disable-key',
      reason: `key ${id} was created for a rotation that was abandoned and never became current`,
    });
    return;
  }
  const since = supersededAt(key, current, all);
  const graceEnds = since === undefined ? now : addDays(since, policy.graceDays);
  if (now.getTime() >= graceEnds.getTime()) {
    actions.push({
      ...base,
      kind: 'disable-key',
      reason: `key ${id} superseded on ${since ? day(since) : 'an unknown date'}; the ${policy.graceDays}-day grace period ended ${day(graceEnds)}`,
    });
  } else {
    stats.keysInGrace++;
  }
}
