import { CreateUsagePlanKeyCommand } from '@aws-sdk/client-api-gateway';
import { UpdateSecretVersionStageCommand } from '@aws-sdk/client-secrets-manager';
import { isAwsError, KeyrotError } from '../commons/errors.js';
import { tagApiKey } from '../aws/api-keys.js';
import { publishEvents } from '../aws/events-publisher.js';
import { enableKey } from '../aws/key-state.js';
import { readInventory } from '../aws/inventory.js';
import { markRecorded } from '../aws/rotation-record.js';
import { DETAIL_TYPE } from '../core/events.js';
import { TAG, formatInstant, tagName } from '../core/tags.js';
import { findCredential } from './find-credential.js';
import type { OnCallDeps } from './rotate-now.js';
import { STAGE } from '../core/stages.js';

export interface RollbackResult {
  credential: string;
  restoredKeyId: string;
  restoredVersion: string;
  supersededKeyId: string;
}

/**
 * Makes the previous key current again (inside its disable window): re-enabled, back in every plan,
 * then AWSCURRENT moved to its version. The key rolled back from retires by its policy's grace.
 */
export async function rollback(
  deps: Omit<OnCallDeps, 'rotation'>,
  credentialName: string,
): Promise<RollbackResult> {
  const { clients, config, now } = deps;
  const inventory = await readInventory(clients, config, now, { hygiene: false });
  const state = findCredential(inventory, config, credentialName);
  const previous = state.previous;
  if (previous === undefined || previous.version === undefined) {
    throw new KeyrotError(
      `credential ${credentialName}: there is no previous key to roll back to (AWSPREVIOUS names no existing key; it may have been deleted after its disable window)`,
    );
  }
  const keyId = previous.key.id;
  const prefix = config.tagPrefix;
  await enableKey(clients.apigw, keyId, prefix, previous.key.enabled);
  for (const usagePlanId of state.current.key.planIds) {
    if (previous.key.planIds.includes(usagePlanId)) continue;
    try {
      await clients.apigw.send(new CreateUsagePlanKeyCommand({ usagePlanId, keyId, keyType: 'API_KEY' }));
    } catch (error) {
      if (!isAwsError(error, 'ConflictException')) throw error;
    }
  }
  // Current again from now: its next rotation is a full period away.
  await tagApiKey(clients.apigw, keyId, { [tagName(prefix, TAG.activatedAt)]: formatInstant(now) });
  await clients.secrets.send(
    new UpdateSecretVersionStageCommand({
      SecretId: state.secret.arn,
      VersionStage: STAGE.current,
      MoveToVersionId: previous.version,
      RemoveFromVersionId: state.currentVersion,
    }),
  );
  // A label left by a rotation interrupted after its last step would read as a rotation in progress.
  if (state.secret.versions[state.currentVersion]?.includes(STAGE.pending)) {
    await clients.secrets.send(
      new UpdateSecretVersionStageCommand({
        SecretId: state.secret.arn,
        VersionStage: STAGE.pending,
        RemoveFromVersionId: state.currentVersion,
      }),
    );
  }
  // A rollback is no rotation: the next one recorded starts from the restored version.
  await markRecorded(clients.secrets, state.secret.arn, previous.version, prefix);
  const result = {
    credential: credentialName,
    restoredKeyId: keyId,
    restoredVersion: previous.version,
    supersededKeyId: state.current.key.id,
  };
  if (config.eventBusName !== null) {
    await publishEvents(
      clients.eventbridge,
      config.eventBusName,
      [
        {
          detailType: DETAIL_TYPE.rolledBack,
          detail: { ...result, time: now.toISOString(), trigger: 'manual' },
        },
      ],
      now,
      deps.log,
    );
  }
  return result;
}
