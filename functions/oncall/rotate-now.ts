import type { Logger } from '@aws-lambda-powertools/logger';
import type { AwsClients } from '../commons/clients.js';
import { KeyrotError } from '../commons/errors.js';
import { tagApiKey } from '../aws/api-keys.js';
import { publishEvents } from '../aws/events-publisher.js';
import { disableKey } from '../aws/key-state.js';
import { readInventory } from '../aws/inventory.js';
import type { Config } from '../core/config.js';
import { scheduleDays } from '../core/credentials.js';
import { DETAIL_TYPE, type KeyrotEvent } from '../core/events.js';
import { TAG, formatInstant, tagName } from '../core/tags.js';
import { markRecorded } from '../aws/rotation-record.js';
import type { RotationDriver } from '../rotation/starter.js';
import { waitForRotation } from '../rotation/watch.js';
import { findCredential } from './find-credential.js';

export interface OnCallDeps {
  clients: AwsClients;
  config: Config;
  now: Date;
  log: Logger;
  rotation: RotationDriver;
  sleep?: (ms: number) => Promise<void>;
}

export interface RotateNowResult {
  credential: string;
  previousKeyId: string;
  version: string;
  revoked: boolean;
  graceUntil: string | null;
}

/**
 * Emergency rotation (a leaked key): rotate now whatever the schedule, then revoke the old key at once
 * (grace 0: disabled, a revocation event emitted) or give it a shorter grace than its policy.
 */
export async function rotateNow(
  deps: OnCallDeps,
  input: { credential: string; graceMs?: number | undefined; waitMs?: number },
): Promise<RotateNowResult> {
  const { clients, config, now } = deps;
  const inventory = await readInventory(clients, config, now, { hygiene: false });
  const state = findCredential(inventory, config, input.credential);
  const previousKeyId = state.current.key.id;
  const request = { secretId: state.secret.arn, scheduleDays: scheduleDays(state.policy) };
  // RotateSecret refuses while a rotation is pending: that one is carried on by invoking its steps.
  let version: string;
  if (state.pendingVersion !== undefined) {
    version = state.pendingVersion;
    await deps.rotation.resume({ secretId: request.secretId, token: version });
  } else {
    version = await deps.rotation.start({ ...request, rotationLambdaArn: config.rotationLambdaArn });
  }
  const waitMs = input.waitMs ?? 10 * 60_000;
  const progress = await waitForRotation(clients.secrets, request.secretId, version, {
    timeoutMs: waitMs,
    intervalMs: 2_000,
    ...(deps.sleep !== undefined && { sleep: deps.sleep }),
  });
  if (progress !== 'done') {
    throw new KeyrotError(
      progress === 'abandoned'
        ? `rotation to version ${version} of ${state.secret.name} was abandoned (its new value was refused); the old key was left as it is. Run keyrot rotate again: it starts from a fresh value`
        : `rotation to version ${version} of ${state.secret.name} did not finish within ${Math.round(waitMs / 1000)} s; the old key was left as it is. Check the rotation function's logs, then run keyrot rotate again: it resumes the same version`,
    );
  }
  await markRecorded(clients.secrets, request.secretId, version, config.tagPrefix);
  const base = {
    credential: input.credential,
    secretId: state.secret.arn,
    time: now.toISOString(),
    trigger: 'emergency',
  };
  const events: KeyrotEvent[] = [
    { detailType: DETAIL_TYPE.rotated, detail: { ...base, version, previousKeyId } },
  ];
  let graceUntil: string | null = null;
  const revoked = input.graceMs === 0;
  if (revoked) {
    await disableKey(clients.apigw, previousKeyId, config.tagPrefix, now);
    events.push({
      detailType: DETAIL_TYPE.revoked,
      detail: { ...base, keyId: previousKeyId, reason: 'emergency rotation with zero grace' },
    });
  } else if (input.graceMs !== undefined) {
    graceUntil = formatInstant(new Date(now.getTime() + input.graceMs));
    await tagApiKey(clients.apigw, previousKeyId, {
      [tagName(config.tagPrefix, TAG.graceUntil)]: graceUntil,
    });
  }
  if (config.eventBusName !== null)
    await publishEvents(clients.eventbridge, config.eventBusName, events, now, deps.log);
  deps.log.info('emergency rotation', {
    credential: input.credential,
    previousKeyId,
    version,
    revoked,
    graceUntil,
  });
  return { credential: input.credential, previousKeyId, version, revoked, graceUntil };
}
