import { DescribeSecretCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { UpdateApiKeyCommand } from '@aws-sdk/client-api-gateway';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { AwsClients } from '../commons/clients.js';
import { KeyrotError } from '../commons/errors.js';
import { tagKey } from '../aws/api-keys.js';
import { publishEvents } from '../aws/events-publisher.js';
import { readInventory } from '../aws/inventory.js';
import type { Config } from '../core/config.js';
import { DETAIL_TYPE, type KeyrotEvent } from '../core/events.js';
import { TAG, formatInstant, tagKey as tagName } from '../core/tags.js';
import type { RotationStarter } from '../rotation/starter.js';
import { findCredential } from './find-credential.js';

export interface OnCallDeps {
  clients: AwsClients;
  config: Config;
  now: Date;
  log: Logger;
  startRotation: RotationStarter;
  sleep?: (ms: number) => Promise<void>;
}

export interface RotateNowResult {
  credential: string;
  previousKeyId: string;
  version: string;
  revoked: boolean;
  graceUntil: string | null;
}

/** In AWS the rotation function runs after RotateSecret returns: wait until AWSCURRENT moves. */
async function waitUntilCurrent(
  secrets: SecretsManagerClient,
  secretId: string,
  version: string,
  timeoutMs: number,
  sleep: (ms: number) => Promise<void>,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const out = await secrets.send(new DescribeSecretCommand({ SecretId: secretId }));
    if (out.VersionIdsToStages?.[version]?.includes('AWSCURRENT')) return;
    if (Date.now() >= deadline) {
      throw new KeyrotError(
        `rotation to version ${version} of ${secretId} did not finish within ${Math.round(timeoutMs / 1000)} s; the old key was left as it is. Check the rotation function's logs, then run keyrot rotate again: it resumes the same version`,
      );
    }
    await sleep(5_000);
  }
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
  const version = await deps.startRotation({
    secretId: state.secret.arn,
    periodDays: state.policy.periodDays,
    token: state.pendingVersion,
    rotationLambdaArn: config.rotationLambdaArn,
  });
  await waitUntilCurrent(
    clients.secrets,
    state.secret.arn,
    version,
    input.waitMs ?? 10 * 60_000,
    deps.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms))),
  );
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
    await clients.apigw.send(
      new UpdateApiKeyCommand({
        apiKey: previousKeyId,
        patchOperations: [{ op: 'replace', path: '/enabled', value: 'false' }],
      }),
    );
    await tagKey(clients.apigw, previousKeyId, {
      [tagName(config.tagPrefix, TAG.disabledAt)]: formatInstant(now),
    });
    events.push({
      detailType: DETAIL_TYPE.revoked,
      detail: { ...base, keyId: previousKeyId, reason: 'emergency rotation with zero grace' },
    });
  } else if (input.graceMs !== undefined) {
    graceUntil = formatInstant(new Date(now.getTime() + input.graceMs));
    await tagKey(clients.apigw, previousKeyId, { [tagName(config.tagPrefix, TAG.graceUntil)]: graceUntil });
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
