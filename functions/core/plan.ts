import type { Config, Policy } from './config.js';
import {
  indexCredentials,
  MAX_SCHEDULE_DAYS,
  nextRotationAt,
  nextRotationToken,
  resolvePolicy,
  scheduleDays,
  currentSince,
  overdueSince,
  successorOf,
  versionWithStage,
  type Credential,
  type ManagedKey,
} from './credentials.js';
import { TAG, parseGenerationTag, tagName } from './tags.js';
import { addDays, day } from './time.js';
import { planHygiene, type HygieneInput } from './hygiene.js';
import { noCounts } from './checks/registry.js';
import type { Action, Finding, Inventory, ObservedSecret, Plan, PlanStats, UsageWindow } from './types.js';
import { identityOf } from './rotation-record.js';
import { STAGE } from './stages.js';
import { graceEnd, isRequest, readRequest, requestOutstanding, type RotationRequest } from './emergency.js';
import { readSuspension, suspensionStands } from './suspension.js';
import { ownedInRegion } from './home-region.js';
import { replicationFindings } from './replication.js';
import { lastUse, lastUseText, usageElsewhere, type LastUse } from './regional-usage.js';

/**
 * A rotation due within this much of the run counts as due now. The daily run starts at about the same
 * hour each day (inside its flexible window), and the last rotation finished a few seconds after that
 * run began: without slack each rotation would slip to the next day's run. Rotating up to an hour early
 * is harmless; grace and disable windows get no slack (a key retires at the first run after they end).
 */
export const DUE_SLACK_MS = 60 * 60_000;

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
    keyQuota: config.hygiene.quota.limit,
    managedKeys: inventory.keys.length - index.unmanagedKeys.length,
    unmanagedKeys: index.unmanagedKeys.length,
    credentials: index.credentials.length,
    overdueKeys: 0,
    keysInGrace: 0,
    suspendedCredentials: 0,
    postponedRetirements: 0,
    checks: noCounts(),
    exemptions: 0,
  };
  const sink: Sink = {
    actions,
    findings,
    stats,
    usage: inventory.usage,
    usedElsewhere: usageElsewhere(inventory, config.tagPrefix),
    current: [],
    dueAt: new Map(),
    consumers: config.consumers,
  };
  for (const credential of index.credentials) planCredential(credential, config, now, sink);
  planHygiene(
    {
      inventory,
      unmanaged: index.unmanagedKeys,
      current: sink.current,
      credentialNames: new Set(index.credentials.map((c) => c.name)),
    },
    config,
    now,
    sink,
  );
  findings.push(...replicationFindings(inventory, config));
  for (const message of inventory.problems ?? []) findings.push({ kind: 'read-failed', message });
  const overdue = sink.current
    .filter((c) => c.overdueSince !== undefined)
    .map((c) => ({ credential: c.key.credential, keyId: c.key.key.id }));
  return { actions: limitToQuota(sink, config), findings, stats, overdue };
}

interface Sink {
  actions: Action[];
  findings: Finding[];
  stats: PlanStats;
  usage: UsageWindow | undefined;
  /** Home keys whose twins in the stack's other regions took requests (multi-region credentials). */
  usedElsewhere: Map<string, LastUse>;
  current: HygieneInput['current'];
  dueAt: Map<Action, Date>;
  /** The consumer roles of each credential (config.consumers): named when an old key is cut off. */
  consumers: Record<string, string[]>;
}

/**
 * A rotation holds two keys of a credential for a while: refuse the ones that would leave less than
 * the configured headroom under the account's key quota, most overdue first in line. The quota check
 * (checks/quota.ts) reports the account nearing it.
 */
function limitToQuota(sink: Sink, config: Config): Action[] {
  const { limit, headroom } = config.hygiene.quota;
  const available = Math.max(0, limit - headroom - sink.stats.totalKeys);
  const rotations = sink.actions
    .filter((a) => a.kind === 'rotate')
    .sort((a, b) => sink.dueAt.get(a)!.getTime() - sink.dueAt.get(b)!.getTime());
  if (rotations.length <= available) return sink.actions;
  const refused = new Set<Action>(rotations.slice(available));
  for (const action of refused) {
    sink.findings.push({
      kind: 'quota',
      credential: action.credential,
      action: 'refuse',
      message: `credential ${action.credential}: rotation refused: ${sink.stats.totalKeys} of ${limit} API keys in use and ${available} may be created above the ${headroom}-key headroom`,
    });
  }
  return sink.actions.filter((a) => !refused.has(a));
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
  if (c.homeRegion !== undefined) {
    // Its home region's stack rotates and retires it in every region: nothing here, whatever is due.
    findings.push(ownedInRegion(c, secret, c.homeRegion));
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
  planConsumers(c.name, secret, config, actions);
  if (c.ownershipToRecord !== undefined && c.ownershipToRecord.length > 0) {
    actions.push({
      kind: 'record-ownership',
      credential: c.name,
      secretId: secret.arn,
      keyIds: c.ownershipToRecord,
      reason: `secret ${secret.name} has no record of its keys (made before keyrot kept one): key(s) ${c.ownershipToRecord.join(', ')}, which it proves, are recorded; from then on only recorded keys are acted on`,
    });
  }
  if (c.keys.length === 0 && c.unreadable.length === 0) {
    findings.push({
      kind: 'credential-without-keys',
      credential: c.name,
      message:
        c.foreign.length === 0
          ? `credential ${c.name}: secret ${secret.name} exists but no API key is tagged with this credential`
          : `credential ${c.name}: secret ${secret.name} exists but records none of the API keys tagged with this credential (${c.foreign.map((k) => k.key.id).join(', ')})`,
    });
    return;
  }
  const currentVersion = versionWithStage(secret, STAGE.current);
  const pendingVersion = versionWithStage(secret, STAGE.pending);
  const rotating = pendingVersion !== undefined && pendingVersion !== currentVersion;
  const claimants = c.keys.filter((k) => k.version !== undefined && k.version === currentVersion);
  if (claimants.length > 1) {
    // A copy made by hand with the same tags: acting on the wrong one would cut consumers off.
    findings.push({
      kind: 'current-key-ambiguous',
      credential: c.name,
      message: `credential ${c.name}: keys ${claimants.map((k) => k.key.id).join(', ')} all carry the AWSCURRENT version ${currentVersion} of ${secret.name}; remove the ${config.tagPrefix} tags from the keys that do not hold the secret's value; nothing is rotated or retired until then`,
    });
    return;
  }
  const current = claimants[0];
  if (current === undefined) {
    const unreadable = c.unreadable.length > 0 ? ` (${c.unreadable.length} key(s) have malformed tags)` : '';
    const carried = c.keys
      .map((k) => k.version)
      .filter((v): v is string => v !== undefined && v in secret.versions);
    const hint =
      carried.length > 0
        ? `; if the secret was edited by hand, move AWSCURRENT back to ${carried.join(' or ')}, the version a key carries`
        : '';
    findings.push({
      kind: 'current-key-missing',
      credential: c.name,
      message: `credential ${c.name}: no readable API key carries the AWSCURRENT version ${currentVersion ?? '(none)'} of ${secret.name}${unreadable}${hint}; nothing is rotated or retired until that is repaired`,
    });
    return;
  }
  // A rotation that finished after the run that started it (or one Secrets Manager's schedule ran) is
  // recorded once: counted, announced and reported by the first run that sees it.
  const recorded = secret.tags[tagName(config.tagPrefix, TAG.recordedVersion)];
  if (recorded !== undefined && current.version !== undefined && recorded !== current.version) {
    actions.push({
      kind: 'record-rotation',
      credential: c.name,
      secretId: secret.arn,
      version: current.version,
      previousVersion: recorded,
      keyId: current.key.id,
      reason: `AWSCURRENT of ${secret.name} moved from version ${recorded} to ${current.version} (key ${current.key.id}) after the last recorded rotation`,
    });
  }
  // An emergency request (keyrot rotate) makes the credential due now: pause, suspension or not, when
  // it came after them (an operator's decision).
  const asked = readRequest(config.tagPrefix, secret.tags, secret.name, c.name);
  if (asked !== undefined && !isRequest(asked)) findings.push(asked);
  const request = isRequest(asked) ? asked : undefined;
  const requested = request !== undefined && requestOutstanding(request, current);
  const hold = holdSuspended(c, secret, current, requested ? request : undefined, config, sink);
  const choice = resolvePolicy(current, config);
  if (!choice.ok) {
    findings.push(choice.finding);
    return;
  }
  const { policy } = choice;
  if (hold === 'held') {
    // Cut off: older keys still retire on schedule (a key in its grace is not left working for good).
    const others = c.keys.filter((k) => k !== current && k.version !== pendingVersion);
    for (const key of others) planRetirement(key, current, c.keys, policy, undefined, now, sink);
    return;
  }

  const activeSince = current.activatedAt ?? current.createdAt;
  const overdue = overdueSince(current, policy, now);
  if (overdue !== undefined) sink.stats.overdueKeys++;
  sink.current.push({ key: current, overdueSince: overdue });

  const paused = current.pausedUntil !== undefined && now < current.pausedUntil;
  // Secrets Manager's own schedule is a backstop that counts from its LastRotatedDate.
  const schedule = scheduleDays(policy, {
    until: current.pausedUntil,
    since: secret.lastRotatedDate ?? activeSince,
    now,
  });
  if (rotating) {
    actions.push({
      kind: 'resume-rotation',
      credential: c.name,
      secretId: secret.arn,
      token: pendingVersion,
      scheduleDays: schedule,
      planIds: [...current.key.planIds].sort(),
      reason: `rotation to version ${pendingVersion} was started and did not finish`,
    });
  } else {
    // Only a first rotation is staggered: after it, each rotation is a full period after the last.
    const scheduled = nextRotationAt(current, secret, policy, config) ?? now;
    // Requested ones first in line (the key quota's headroom goes to them first).
    const dueAt = requested && request.requestedAt < scheduled ? request.requestedAt : scheduled;
    const due = requested || now.getTime() + DUE_SLACK_MS >= dueAt.getTime();
    if (due && paused && !requested) {
      findings.push({
        kind: 'rotation-paused',
        credential: c.name,
        keyId: current.key.id,
        action: 'wait',
        message: `credential ${c.name}: rotation was due ${day(dueAt)} but is paused until ${day(current.pausedUntil!)} (${current.key.tags[`${config.tagPrefix}pause-reason`] ?? 'no reason given'})`,
      });
    }
    if (due && (!paused || requested)) {
      const keyAge = `key ${current.key.id} (generation ${current.generation ?? '?'}) active since ${activeSince ? day(activeSince) : 'an unknown date'}`;
      const revokes = requested && request.graceMs === 0;
      const token = nextRotationToken(secret, current.version!, [
        ...c.keys.map((k) => k.version),
        ...c.unreadable.map((k) => k.tags[tagName(config.tagPrefix, TAG.version)]),
      ]);
      const action: Action = {
        kind: 'rotate',
        credential: c.name,
        secretId: secret.arn,
        currentKeyId: current.key.id,
        fromVersion: current.version!,
        token,
        scheduleDays: schedule,
        facts: {
          token,
          generation: highestGeneration(c, config.tagPrefix) + 1,
          currentKeyId: current.key.id,
          policy: current.policyName,
          planIds: [...current.key.planIds].sort(),
          // A portal's or Marketplace's customer stays the customer of every generation.
          ...(identityOf(current.key) !== undefined && { identity: identityOf(current.key) }),
          // Zero grace: the rotation function revokes the old key as soon as AWSCURRENT moves.
          ...(revokes && { revoke: true }),
        },
        ...(revokes && { revoke: true as const }),
        ...(hold === 'rotate-suspended' && { endsSuspension: true as const }),
        reason: requested
          ? `emergency rotation requested at ${request.requestedAt.toISOString()} (keyrot rotate --all); ${keyAge}`
          : `${keyAge}; policy ${choice.name} rotates every ${policy.periodDays} days (due ${day(dueAt)})`,
      };
      actions.push(action);
      sink.dueAt.set(action, dueAt);
    } else if (
      !secret.rotationEnabled ||
      secret.rotationPeriodDays !== schedule ||
      (config.rotationLambdaArn !== undefined && secret.rotationLambdaArn !== config.rotationLambdaArn)
    ) {
      actions.push({
        kind: 'configure-rotation',
        credential: c.name,
        secretId: secret.arn,
        scheduleDays: schedule,
        reason: `secret ${secret.name} rotation is ${secret.rotationEnabled ? `every ${secret.rotationPeriodDays ?? '?'} days` : 'off'}; Secrets Manager's own schedule should be ${schedule} days (${paused ? `past the pause until ${day(current.pausedUntil!)}` : `policy ${choice.name}: ${policy.periodDays} days plus ${policy.graceDays} of grace`}), a backstop behind the reconciler`,
      });
    }
  }

  const pendingKey = rotating ? c.keys.find((k) => k.version === pendingVersion) : undefined;
  const others = c.keys.filter((k) => k !== current && k !== pendingKey);
  planPlanSync(c, current, others, actions);
  for (const key of others) planRetirement(key, current, c.keys, policy, request, now, sink);
}

/**
 * A suspended credential (keyrot suspend), or one whose current key was disabled outside keyrot (an
 * unplanned suspension), is held: nothing rotates it and nothing re-enables a key, and Secrets Manager's
 * schedule is moved as far as it goes (the rotation function refuses a rotation that comes anyway).
 * Only an operator's request made after the suspension (keyrot rotate <credential>) goes through; once
 * it moved AWSCURRENT, the suspension's record is removed. `held`: nothing more is planned for it;
 * `rotate-suspended`: the operator's rotation goes through and ends the suspension.
 */
function holdSuspended(
  c: Credential,
  secret: ObservedSecret,
  current: ManagedKey,
  request: RotationRequest | undefined,
  config: Config,
  { actions, findings, stats }: Sink,
): 'held' | 'rotate-suspended' | 'free' {
  const recorded = readSuspension(config.tagPrefix, secret.tags, secret.name, c.name);
  if (recorded?.finding !== undefined) findings.push(recorded.finding);
  const suspension =
    recorded !== undefined && suspensionStands(recorded.suspension, current.version)
      ? recorded.suspension
      : undefined;
  // A record that no longer stands names its version (one without stands until removed).
  if (recorded !== undefined && suspension === undefined) {
    actions.push({
      kind: 'end-suspension',
      credential: c.name,
      secretId: secret.arn,
      reason: `${c.name} was suspended on ${day(recorded.suspension.since)} at version ${recorded.suspension.version!}; version ${current.version!} is current since (keyrot rotate), so the suspension's record goes`,
    });
  }
  // When it was cut off: the suspension's time, or when the current key was found disabled (recorded
  // below; keyrot rotate records it before its request). A request older than that stays unanswered.
  const cutOffAt = suspension?.since ?? (current.key.enabled ? undefined : (current.disabledAt ?? 'unknown'));
  const operatorRotates =
    request !== undefined &&
    (cutOffAt === undefined || (cutOffAt !== 'unknown' && request.requestedAt >= cutOffAt));
  if (operatorRotates) return suspension === undefined ? 'free' : 'rotate-suspended';
  if (suspension === undefined && current.key.enabled) return 'free';
  stats.suspendedCredentials++;
  if (suspension !== undefined) {
    findings.push({
      kind: 'credential-suspended',
      credential: c.name,
      keyId: current.key.id,
      action: 'wait',
      message: `credential ${c.name}: suspended since ${suspension.since.toISOString()} (${suspension.reason}); its keys stay disabled and nothing scheduled rotates it, until keyrot resume ${c.name} (or keyrot rotate ${c.name})`,
    });
  } else {
    if (current.disabledAt === undefined) {
      actions.push({
        kind: 'record-disabled',
        credential: c.name,
        keyId: current.key.id,
        reason: `current key ${current.key.id} of ${c.name} found disabled outside keyrot; recorded, so that only a keyrot rotate asked after it gives the consumer a new key`,
      });
    }
    findings.push({
      kind: 'current-key-disabled',
      credential: c.name,
      keyId: current.key.id,
      action: 'wait',
      message: `credential ${c.name}: current key ${current.key.id} was disabled outside keyrot; consumers get 403, and nothing scheduled gives them a key again (not the reconciler, not Secrets Manager's schedule): keyrot resume ${c.name} re-enables it (or rotates it, past its period), keyrot rotate ${c.name} gives them a new key`,
    });
  }
  if (secret.rotationEnabled && secret.rotationPeriodDays !== MAX_SCHEDULE_DAYS) {
    actions.push({
      kind: 'configure-rotation',
      credential: c.name,
      secretId: secret.arn,
      scheduleDays: MAX_SCHEDULE_DAYS,
      reason: `${c.name} is ${suspension !== undefined ? 'suspended' : 'cut off (its current key is disabled)'}: Secrets Manager's own schedule is moved to ${MAX_SCHEDULE_DAYS} days, as far as it goes (the rotation function refuses a rotation that comes anyway)`,
    });
  }
  return 'held';
}

/** The secret's resource policy grants exactly the configured consumer roles (config.consumers). */
function planConsumers(name: string, secret: ObservedSecret, config: Config, actions: Action[]): void {
  const wanted = [...new Set(config.consumers[name] ?? [])].sort();
  // Not read: no consumer configured and none granted by keyrot before (its tag): nothing to keep.
  if (secret.consumers === undefined && wanted.length === 0) return;
  const granted = secret.consumers ?? [];
  if (granted.join(' ') === wanted.join(' ')) return;
  actions.push({
    kind: 'grant-consumers',
    credential: name,
    secretId: secret.arn,
    principals: wanted,
    reason:
      wanted.length === 0
        ? `secret ${secret.name} lets ${granted.join(', ')} read it; no consumer is configured any more: the grant is removed`
        : `secret ${secret.name} should be readable by ${wanted.join(', ')} (keyrot:consumers)${granted.length > 0 ? `, not ${granted.join(', ')}` : ''}`,
  });
}

/** The highest generation of a credential's keys (a rollback can leave one above the current key's). */
function highestGeneration(c: Credential, prefix: string): number {
  const tag = tagName(prefix, TAG.generation);
  const unreadable = c.unreadable.map((k) => {
    const parsed = parseGenerationTag(k.tags, tag, k.id);
    return (parsed.ok ? parsed.value : undefined) ?? 1;
  });
  return Math.max(1, ...c.keys.map((k) => k.generation ?? 1), ...unreadable);
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
  const successor = successorOf(key, all);
  return (successor && currentSince(successor)) ?? currentSince(current) ?? current.createdAt;
}

function planRetirement(
  key: ManagedKey,
  current: ManagedKey,
  all: ManagedKey[],
  policy: Policy,
  request: RotationRequest | undefined,
  now: Date,
  { actions, findings, stats, usage, usedElsewhere, consumers }: Sink,
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
    // Its old disable record must go: disabled again later, it gets a fresh window (I3).
    findings.push({
      ...base,
      kind: 'key-reenabled',
      message: `key ${id} of ${key.credential} was disabled on ${day(key.disabledAt)} and re-enabled by hand; its disable record is removed and from the next run it retires like any superseded key (disabled once it takes no requests, or ${policy.retirementDelayDays} days past its grace at the latest; deleted a full ${policy.disableWindowDays}-day window later), unless it is made current again (keyrot rollback)`,
    });
    actions.push({
      ...base,
      kind: 'forget-disabled',
      reason: `key ${id} was disabled on ${day(key.disabledAt)} and re-enabled by hand; its disable record is removed, so a later disable starts a fresh ${policy.disableWindowDays}-day window`,
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
  // An emergency rotation may shorten the grace, never lengthen it.
  const grace = since === undefined ? { ends: now, emergency: false } : graceEnd(key, since, policy, request);
  const graceEnds = key.graceUntil !== undefined && key.graceUntil < grace.ends ? key.graceUntil : grace.ends;
  // A consumer of a multi-region credential may still use the old value in another region only.
  const last = lastUse(id, usage, usedElsewhere);
  const lastUsed = last === undefined ? undefined : lastUseText(last);
  // A key retired by an emergency request is cut off whoever still uses it: that is the point.
  const inUse =
    !grace.emergency &&
    now.getTime() >= graceEnds.getTime() &&
    last !== undefined &&
    last.day >= day(graceEnds);
  const postponedUntil = addDays(graceEnds, policy.retirementDelayDays);
  if (inUse && now.getTime() < postponedUntil.getTime()) {
    // A consumer still on the old key must not be cut off silently, nor keep it alive for good.
    stats.postponedRetirements++;
    if (last.region !== undefined)
      stats.postponedByRegion = {
        ...stats.postponedByRegion,
        [last.region]: (stats.postponedByRegion?.[last.region] ?? 0) + 1,
      };
    findings.push({
      ...base,
      kind: 'retiring-key-in-use',
      action: 'wait',
      message: `key ${id} of ${key.credential}: grace ended ${day(graceEnds)} but it took requests on ${lastUsed}; its retirement waits for a consumer still using it to move to the current key, until ${day(postponedUntil)} at the latest (the policy's ${policy.retirementDelayDays}-day limit)`,
    });
    return;
  }
  if (inUse) {
    const roles = consumers[key.credential] ?? [];
    const who = roles.length > 0 ? `its consumers (${roles.join(', ')})` : 'whoever uses it';
    findings.push({
      ...base,
      kind: 'retiring-key-in-use',
      action: 'disable',
      message: `key ${id} of ${key.credential}: still took requests on ${lastUsed}, ${policy.retirementDelayDays} days past its grace (ended ${day(graceEnds)}): disabled anyway; ${who} must read the current key from the secret`,
    });
    actions.push({
      ...base,
      kind: 'disable-key',
      reason: `key ${id} superseded; its grace ended ${day(graceEnds)} and its retirement waited ${policy.retirementDelayDays} days, the policy's limit, for consumers still using it (last request ${lastUsed})`,
    });
    return;
  }
  if (now.getTime() >= graceEnds.getTime()) {
    const superseded = since ? day(since) : 'an unknown date';
    actions.push({
      ...base,
      kind: 'disable-key',
      // Retired by an emergency request: it leaked, so a rollback won't bring it back unforced.
      ...(grace.emergency && { revoke: true as const }),
      reason: grace.emergency
        ? `key ${id} superseded on ${superseded} by an emergency rotation (requested ${request!.requestedAt.toISOString()}); its grace ended ${graceEnds.toISOString()}`
        : `key ${id} superseded on ${superseded}; the ${policy.graceDays}-day grace period ended ${day(graceEnds)}`,
    });
  } else {
    stats.keysInGrace++;
  }
}
