import {
  CreateUsagePlanKeyCommand,
  DeleteApiKeyCommand,
  UpdateApiKeyCommand,
  type APIGatewayClient,
} from '@aws-sdk/client-api-gateway';
import { DescribeSecretCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DeferredError, errorMessage, isAwsError, KeyrotError } from '../commons/errors.js';
import type { Config } from '../core/config.js';
import { TAG, formatInstant, tagKey as tagName } from '../core/tags.js';
import { day } from '../core/time.js';
import type { Effects } from '../reconcile/apply.js';
import { rotationToken } from '../rotation/secret-value.js';
import { configureRotation, type RotationStarter } from '../rotation/starter.js';
import { adoptKey } from './adopt.js';
import { tagKey } from './api-keys.js';

export interface EffectDeps {
  apigw: APIGatewayClient;
  secrets: SecretsManagerClient;
  config: Config;
  now: Date;
  startRotation: RotationStarter;
}

/** The writes the reconciler makes, one per action kind. */
export function awsEffects(deps: EffectDeps): Effects {
  const { apigw, config } = deps;
  const disabledAt = { [tagName(config.tagPrefix, TAG.disabledAt)]: formatInstant(deps.now) };
  return {
    rotate: async (a) => {
      const token = rotationToken(a.secretId, a.fromVersion);
      const request = {
        secretId: a.secretId,
        periodDays: a.periodDays,
        rotationLambdaArn: config.rotationLambdaArn,
      };
      try {
        return await deps.startRotation({ ...request, token });
      } catch (error) {
        if (!isAwsError(error, 'InvalidRequestException')) throw error;
        // A version left without labels was abandoned (its value was refused): start afresh.
        const secret = await deps.secrets.send(new DescribeSecretCommand({ SecretId: a.secretId }));
        if (secret.DeletedDate !== undefined) {
          throw new KeyrotError(
            `credential ${a.credential}: secret ${secret.Name ?? a.secretId} was scheduled for deletion (on ${day(secret.DeletedDate)}) during this run; restore it (RestoreSecret) to resume rotation`,
            { cause: error },
          );
        }
        const versions = secret.VersionIdsToStages ?? {};
        const stages = versions[token];
        if (stages !== undefined && stages.length === 0) return deps.startRotation(request);
        // Another run got there first: this very rotation is done, or one is in progress.
        if (stages !== undefined || Object.values(versions).some((s) => s.includes('AWSPENDING'))) {
          throw new DeferredError(
            `${a.credential} was rotated or is rotating by another run (${errorMessage(error)}); the next run checks it`,
          );
        }
        throw error;
      }
    },
    'resume-rotation': (a) =>
      deps.startRotation({
        secretId: a.secretId,
        periodDays: a.periodDays,
        token: a.token,
        rotationLambdaArn: config.rotationLambdaArn,
      }),
    'configure-rotation': (a) =>
      configureRotation(deps.secrets, {
        secretId: a.secretId,
        periodDays: a.periodDays,
        rotationLambdaArn: config.rotationLambdaArn,
      }),
    'attach-key': async (a) => {
      try {
        await apigw.send(
          new CreateUsagePlanKeyCommand({ usagePlanId: a.usagePlanId, keyId: a.keyId, keyType: 'API_KEY' }),
        );
      } catch (error) {
        if (!isAwsError(error, 'ConflictException')) throw error;
        return 'already attached';
      }
    },
    'record-disabled': (a) => tagKey(apigw, a.keyId, disabledAt),
    // Disable first, then record when: a crash between the two is repaired by record-disabled,
    // which starts the window later, never sooner (I3).
    'disable-key': async (a) => {
      await apigw.send(
        new UpdateApiKeyCommand({
          apiKey: a.keyId,
          patchOperations: [{ op: 'replace', path: '/enabled', value: 'false' }],
        }),
      );
      await tagKey(apigw, a.keyId, disabledAt);
    },
    'adopt-key': (a) =>
      adoptKey(
        { apigw, secrets: deps.secrets, config, now: deps.now },
        { keyId: a.keyId, credential: a.credential, policy: a.policy },
      ),
    'delete-key': async (a) => {
      try {
        await apigw.send(new DeleteApiKeyCommand({ apiKey: a.keyId }));
      } catch (error) {
        if (!isAwsError(error, 'NotFoundException')) throw error;
        return 'already deleted';
      }
    },
  };
}
