import { InputError, KeyrotError } from '../commons/errors.js';
import type { Config } from '../core/config.js';
import { REQUEST_TAG } from '../core/emergency.js';
import { STAGE } from '../core/stages.js';
import { formatInstant } from '../core/tags.js';
import { addDays, day } from '../core/time.js';
import { nextRotationAt } from '../core/credentials.js';
import { DUE_SLACK_MS } from '../core/plan.js';
import type { Action, Inventory } from '../core/types.js';
import { findCredential } from './find-credential.js';
import { standingSuspension } from './suspension.js';

export type RollbackAction = Extract<Action, { kind: 'rollback' }>;

export interface RollbackInput {
  credential: string;
  /** Bring back a key that was revoked because it leaked (keyrot rotate --grace 0). */
  force?: boolean;
  /** Pause the credential's rotation until then: the restored key keeps its age, so it may be due. */
  pauseUntil?: Date | undefined;
  now: Date;
}

/**
 * keyrot rollback, the plan: the previous key (AWSPREVIOUS) made current again, enabled and in every
 * plan of the key rolled back from. Refused while a rotation is in progress, and for a key revoked
 * because it leaked unless forced. Pure: the run's executor applies it, so a rollback gets the events,
 * metrics and report rows of any run.
 */
export function planRollback(inventory: Inventory, config: Config, input: RollbackInput): RollbackAction {
  const name = input.credential;
  const state = findCredential(inventory, config, name);
  const previous = state.previous;
  if (previous === undefined || previous.version === undefined) {
    throw new KeyrotError(
      `credential ${name}: there is no previous key to roll back to (AWSPREVIOUS names no existing key; it may have been deleted after its disable window)`,
    );
  }
  if (state.pendingVersion !== undefined) {
    throw new KeyrotError(
      `credential ${name}: a rotation to version ${state.pendingVersion} is in progress; let it finish (keyrot status ${name}), then roll back`,
    );
  }
  const suspension = standingSuspension(state, config);
  if (suspension !== undefined) {
    // A rollback enables a key: it would let a consumer cut off on purpose back in.
    throw new KeyrotError(
      `credential ${name} is suspended since ${suspension.since.toISOString()} (${suspension.reason}); a rollback would give its consumer a working key. keyrot resume ${name} first`,
    );
  }
  if (!state.current.key.enabled) {
    throw new KeyrotError(
      `credential ${name}: its current key ${state.current.key.id} is disabled (its consumer is cut off); a rollback would give it a working key. keyrot resume ${name} re-enables it, keyrot rotate ${name} gives it a new one`,
    );
  }
  const keyId = previous.key.id;
  const revokedAt = previous.revokedAt;
  if (revokedAt !== undefined && input.force !== true) {
    throw new InputError(
      `credential ${name}: key ${keyId} (version ${previous.version}) was revoked on ${day(revokedAt)} because it leaked (an emergency rotation); rolling back would make a leaked key work again. If the current key is broken and the leak is contained, run keyrot rollback ${name} --force`,
    );
  }
  const current = state.current;
  const requestTag = `${config.tagPrefix}${REQUEST_TAG}`;
  const forced = revokedAt === undefined ? undefined : { revokedAt: formatInstant(revokedAt) };
  const activeSince = previous.activatedAt ?? previous.createdAt;
  // The restored key keeps its age: usually it was due (that is why it was rotated), and the next run
  // would rotate it again at once, breaking the consumer the rollback was for. Held by default.
  const dueAt = nextRotationAt(previous, state.secret, state.policy, config);
  const dueSoon = dueAt === undefined || dueAt.getTime() <= input.now.getTime() + DUE_SLACK_MS;
  const heldDays = Math.max(1, state.policy.graceDays);
  const pauseUntil = input.pauseUntil ?? (dueSoon ? addDays(input.now, heldDays) : undefined);
  const pauseReason =
    input.pauseUntil !== undefined
      ? `rolled back from key ${current.key.id} on ${day(input.now)}`
      : `rolled back from key ${current.key.id} on ${day(input.now)}; the restored key was due ${dueAt === undefined ? 'at an unknown date' : day(dueAt)}, held ${heldDays} days by default`;
  return {
    kind: 'rollback',
    credential: name,
    secretId: state.secret.arn,
    keyId,
    version: previous.version,
    fromKeyId: current.key.id,
    fromVersion: state.currentVersion,
    enable: !previous.key.enabled,
    attachPlanIds: current.key.planIds.filter((p) => !previous.key.planIds.includes(p)).sort(),
    clearPending: state.secret.versions[state.currentVersion]?.includes(STAGE.pending) === true,
    ...(forced !== undefined && { forced }),
    ...(state.secret.tags[requestTag] !== undefined && { clearRequestTag: requestTag }),
    ...(pauseUntil !== undefined && { pauseUntil: formatInstant(pauseUntil), pauseReason }),
    reason: [
      `keyrot rollback: key ${keyId} (version ${previous.version}) current again in place of key ${current.key.id} (version ${state.currentVersion})`,
      forced === undefined ? undefined : `FORCED past its revocation on ${day(revokedAt!)} (it had leaked)`,
      `its age counts from ${activeSince === undefined ? 'its creation' : day(activeSince)}`,
      pauseUntil === undefined
        ? undefined
        : input.pauseUntil !== undefined
          ? `rotation paused until ${day(pauseUntil)}`
          : `the restored key was due ${dueAt === undefined ? 'at an unknown date' : day(dueAt)}: rotation held until ${day(pauseUntil)} by default (keyrot rollback --pause to choose, keyrot rotate to rotate now)`,
    ]
      .filter((part) => part !== undefined)
      .join('; '),
  };
}
