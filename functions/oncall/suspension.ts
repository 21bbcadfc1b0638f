import { InputError, KeyrotError } from '../commons/errors.js';
import type { Config } from '../core/config.js';
import { REQUEST_TAG } from '../core/emergency.js';
import {
  reasonProblem,
  standingSuspension as standingOn,
  suspensionTagKeys,
  type Suspension,
} from '../core/suspension.js';
import { addDays, day } from '../core/time.js';
import type { Action, Inventory } from '../core/types.js';
import { findCredential, type CredentialState } from './find-credential.js';
import { versionWithStage } from '../core/credentials.js';
import { STAGE } from '../core/stages.js';

export type SuspendAction = Extract<Action, { kind: 'suspend' }>;
export type ResumeAction = Extract<Action, { kind: 'resume' }>;

/** The suspension standing on a credential, if any. */
export function standingSuspension(state: CredentialState, config: Config): Suspension | undefined {
  const { secret, credential, currentVersion } = state;
  return standingOn(config.tagPrefix, secret, credential.name, currentVersion);
}

const refuseWhileRotating = (state: CredentialState, verb: string) => {
  if (state.pendingVersion !== undefined) {
    throw new KeyrotError(
      `credential ${state.credential.name}: a rotation to version ${state.pendingVersion} is in progress; let it finish (keyrot status ${state.credential.name}), then ${verb}`,
    );
  }
};

/**
 * keyrot suspend, the plan: the suspension recorded on the secret, then every enabled key of the
 * credential disabled (the current one, and older ones in their grace). Run again, it finishes one a
 * failure left half done. Pure: the run's executor applies it (events, metrics, report rows).
 */
export function planSuspend(
  inventory: Inventory,
  config: Config,
  input: { credential: string; reason: string },
): SuspendAction {
  const reason = input.reason.trim();
  const problem = reasonProblem(reason);
  if (problem !== undefined) throw new InputError(problem);
  const state = findCredential(inventory, config, input.credential);
  refuseWhileRotating(state, 'suspend');
  const name = state.credential.name;
  const enabled = state.credential.keys.filter((k) => k.key.enabled).map((k) => k.key.id);
  const standing = standingSuspension(state, config);
  if (standing !== undefined && enabled.length === 0) {
    throw new InputError(
      `credential ${name} is already suspended since ${standing.since.toISOString()} (${standing.reason}); keyrot resume ${name} ends it`,
    );
  }
  const requestTag = `${config.tagPrefix}${REQUEST_TAG}`;
  return {
    kind: 'suspend',
    credential: name,
    secretId: state.secret.arn,
    version: state.currentVersion,
    suspendReason: reason,
    disableKeyIds: enabled.sort(),
    ...(state.secret.tags[requestTag] !== undefined && { clearRequestTag: requestTag }),
    reason: `keyrot suspend: ${name} cut off (${reason}); ${enabled.length === 0 ? 'no key was enabled' : `key(s) ${enabled.join(', ')} disabled`}; nothing rotates it or enables a key until keyrot resume ${name} (or keyrot rotate ${name})`,
  };
}

/**
 * keyrot resume, the plan: the current key enabled again and the suspension's record removed, for a
 * credential suspended by keyrot or whose current key was disabled by hand. One suspended past its
 * policy's period is rotated instead (`rotate`: the CLI runs keyrot rotate, which ends the suspension):
 * its consumer gets a fresh key, never the stale one back.
 */
export function planResume(
  inventory: Inventory,
  config: Config,
  input: { credential: string; now: Date },
): ResumeAction | { rotate: string } {
  const state = findCredential(inventory, config, input.credential);
  refuseWhileRotating(state, 'resume');
  const name = state.credential.name;
  const { current, policy } = state;
  const suspension = standingSuspension(state, config);
  if (suspension === undefined && current.key.enabled) {
    throw new InputError(
      `credential ${name} is not suspended: its current key ${current.key.id} is enabled and no suspension is recorded on ${state.secret.name}`,
    );
  }
  const since = current.activatedAt ?? current.createdAt;
  const dueAt = since === undefined ? undefined : addDays(since, policy.periodDays);
  const how =
    suspension === undefined
      ? `its current key ${current.key.id} was disabled outside keyrot`
      : `suspended since ${day(suspension.since)} (${suspension.reason})`;
  if (dueAt === undefined || dueAt <= input.now) {
    return {
      rotate: `${name} was ${how}, and its key is past its ${policy.periodDays}-day period (due ${dueAt === undefined ? 'at an unknown date' : day(dueAt)}): it is rotated, not re-enabled`,
    };
  }
  return {
    kind: 'resume',
    credential: name,
    secretId: state.secret.arn,
    keyId: current.key.id,
    version: versionWithStage(state.secret, STAGE.current),
    enable: !current.key.enabled,
    clearTags: suspension === undefined ? [] : suspensionTagKeys(config.tagPrefix),
    reason: `keyrot resume: ${name} was ${how}; key ${current.key.id} ${current.key.enabled ? 'is enabled' : 'enabled again'}, next rotation due ${day(dueAt)}`,
  };
}
