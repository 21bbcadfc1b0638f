import { DeleteApiKeyCommand, type APIGatewayClient } from '@aws-sdk/client-api-gateway';
import {
  DescribeSecretCommand,
  DeleteResourcePolicyCommand,
  GetResourcePolicyCommand,
  PutResourcePolicyCommand,
  UntagResourceCommand,
  UpdateSecretVersionStageCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import {
  DeferredError,
  errorMessage,
  isAwsError,
  KeyrotError,
  RotationStartedError,
} from '../commons/errors.js';
import type { Config } from '../core/config.js';
import { day } from '../core/time.js';
import type { Effects } from './apply.js';
import { configureRotation, type RotationDriver } from '../rotation/starter.js';
import { versionStages, waitForRotation } from '../rotation/watch.js';
import { adoptKey } from '../onboarding/adopt.js';
import { writeOnboarding } from '../onboarding/onboard.js';
import { writeAddRegion } from '../onboarding/add-region.js';
import type { RegionalApis } from '../rotation/regions.js';
import { disableKey, enableKey, forgetDisabled, recordDisabled } from '../aws/key-state.js';
import { restoreInRegions, resumeInRegions, suspendInRegions } from './region-twins.js';
import { attachKey, tagApiKey } from '../aws/api-keys.js';
import { TAG, formatInstant, tagName } from '../core/tags.js';
import { markRecorded, recordFacts, tagSecret, versionCreated } from '../aws/rotation-record.js';
import { mergeConsumerPolicy } from '../core/consumers.js';
import { labelledVersions, STAGE } from '../core/stages.js';
import { factsTags } from '../core/rotation-record.js';
import { rotationCost } from '../commons/pacing.js';
import { suspensionTagKeys, suspensionTags } from '../core/suspension.js';
import { ownedKeysTag } from '../core/ownership.js';

export interface EffectDeps {
  apigw: APIGatewayClient;
  secrets: SecretsManagerClient;
  config: Config;
  now: Date;
  rotation: RotationDriver;
  /** How long a rotation may still be watched now (Secrets Manager runs it asynchronously). */
  rotationWaitMs: () => number;
  /** A rotation pending longer than this is taken as stuck and resumed; younger, Secrets Manager has it. */
  resumeStuckAfterMs: number;
  /** Wall clock for watching rotations (the simulated `now` does not move). */
  clock?: () => number;
  /** Waits until the run's API Gateway share has room for the calls a rotation will make, and takes it. */
  admit?: (calls: Record<string, number>) => Promise<unknown>;
  /** API Gateway of the other regions multi-region credentials live in. */
  regionalApis?: RegionalApis | undefined;
}

/** The writes the reconciler makes, one per action kind. */
export function awsEffects(deps: EffectDeps): Effects {
  const { apigw, secrets, config } = deps;
  // A key action names its region when the key is another region's (a multi-region credential's).
  const apiIn = (region: string | undefined): APIGatewayClient => {
    if (region === undefined) return apigw;
    if (deps.regionalApis === undefined) throw new KeyrotError(`no API Gateway client for ${region}`);
    return deps.regionalApis(region);
  };
  const watch = (secretId: string, token: string) =>
    waitForRotation(secrets, secretId, token, {
      timeoutMs: Math.max(0, deps.rotationWaitMs()),
      ...(deps.clock !== undefined && { clock: deps.clock }),
    });

  /** Watches a started rotation: done once finishSecret moved AWSCURRENT (then recorded), else why not. */
  const settle = async (
    credential: string,
    secretId: string,
    token: string,
    resuming = false,
  ): Promise<string> => {
    const progress = await watch(secretId, token);
    if (progress === 'done') {
      await markRecorded(secrets, secretId, token, config.tagPrefix);
      return token;
    }
    if (progress === 'abandoned' && resuming) {
      // What looked pending is gone: a configuration test's temporary version (RotateImmediately=false),
      // or a rotation another run abandoned. Nothing to carry on; the next run plans afresh.
      throw new DeferredError(
        `the pending version ${token} of ${credential}'s secret went away (a rotation configuration test, or abandoned); the next run plans afresh`,
      );
    }
    if (progress === 'abandoned') {
      throw new KeyrotError(
        `credential ${credential}: the rotation to version ${token} was abandoned (its new value was refused, see the rotation function's log); the next run starts another`,
      );
    }
    throw new RotationStartedError(
      `rotation of ${credential} to version ${token} started; Secrets Manager had not finished it when this run stopped watching; the run that sees it finished records it`,
      token,
    );
  };

  return {
    rotate: async (a) => {
      const request = {
        secretId: a.secretId,
        scheduleDays: a.scheduleDays,
        rotationLambdaArn: config.rotationLambdaArn,
      };
      let token = a.token;
      const recorded = factsTags(config.tagPrefix, a.facts) !== undefined;
      await deps.admit?.(rotationCost(a.facts.planIds.length, recorded, a.facts.revoke === true));
      await recordFacts(secrets, a.secretId, a.facts, config.tagPrefix);
      try {
        token = await deps.rotation.start({ ...request, token });
      } catch (error) {
        if (!isAwsError(error, 'InvalidRequestException')) throw error;
        const secret = await secrets.send(new DescribeSecretCommand({ SecretId: a.secretId }));
        if (secret.DeletedDate !== undefined) {
          throw new KeyrotError(
            `credential ${a.credential}: secret ${secret.Name ?? a.secretId} was scheduled for deletion (on ${day(secret.DeletedDate)}) during this run; restore it (RestoreSecret) to resume rotation`,
            { cause: error },
          );
        }
        const { current, pending } = labelledVersions(secret.VersionIdsToStages);
        // Another run started this very rotation, or one is in progress (Secrets Manager's schedule),
        // or one was and finished between its refusal and this look (AWSCURRENT moved off fromVersion).
        if (
          secret.VersionIdsToStages?.[a.token] !== undefined ||
          pending !== undefined ||
          (current !== undefined && current !== a.fromVersion)
        ) {
          throw new DeferredError(
            `${a.credential} was rotated or is rotating elsewhere: another run, or Secrets Manager's own schedule (${errorMessage(error)}); the next run checks it`,
          );
        }
        // The token names a version that carries no label (DescribeSecret hides those): a rotation
        // to it was abandoned after its value was refused. Start afresh under a new version id.
        if (/already in use/i.test(errorMessage(error))) {
          token = await deps.rotation.start(request);
        } else throw error;
      }
      const done = await settle(a.credential, a.secretId, token);
      // The consumer has a working key again: the suspension is over (else the next run ends it).
      if (a.endsSuspension === true)
        await secrets.send(
          new UntagResourceCommand({ SecretId: a.secretId, TagKeys: suspensionTagKeys(config.tagPrefix) }),
        );
      // Revoked at once (an emergency with zero grace). The rotation function's finishSecret did it when
      // it ran under the recorded facts; else (facts too long to record, or a fresh token) it is done
      // here. If this fails, the next run disables it.
      if (a.revoke === true && !(recorded && token === a.token)) {
        try {
          await disableKey(apigw, a.currentKeyId, config.tagPrefix, deps.now, true);
        } catch (error) {
          throw new KeyrotError(
            `credential ${a.credential}: rotated to version ${done}, but revoking the old key ${a.currentKeyId} failed (${errorMessage(error)}); the next run disables it`,
            { cause: error },
          );
        }
      }
      return done;
    },
    'resume-rotation': async (a) => {
      const stages = await versionStages(secrets, a.secretId, a.token);
      if (stages.includes(STAGE.current) || !stages.includes(STAGE.pending))
        return settle(a.credential, a.secretId, a.token, true);
      if (deps.resumeStuckAfterMs > 0) {
        const created = await versionCreated(secrets, a.secretId, a.token);
        const age = created === undefined ? Infinity : deps.now.getTime() - created.getTime();
        // Younger: Secrets Manager is still running or retrying it; carrying it on now would only race.
        if (age < deps.resumeStuckAfterMs) return settle(a.credential, a.secretId, a.token, true);
      }
      // Its facts may be recorded (a run started it) or not (Secrets Manager's schedule): the most.
      await deps.admit?.(rotationCost(a.planIds.length, false));
      await deps.rotation.resume({ secretId: a.secretId, token: a.token });
      return settle(a.credential, a.secretId, a.token, true);
    },
    'record-ownership': async (a) => {
      await tagSecret(secrets, a.secretId, ownedKeysTag(config.tagPrefix, [], a.keyIds));
      return `${a.keyIds.length} key(s) recorded`;
    },
    'record-rotation': async (a) => {
      await markRecorded(secrets, a.secretId, a.version, config.tagPrefix);
      return a.version;
    },
    'configure-rotation': async (a) => {
      try {
        await configureRotation(deps.secrets, {
          secretId: a.secretId,
          scheduleDays: a.scheduleDays,
          rotationLambdaArn: config.rotationLambdaArn,
        });
      } catch (error) {
        // RotateSecret refuses while a rotation is under way: Secrets Manager's own schedule came due
        // after the run read the secret. Its rotation goes on; the next run sets the schedule.
        if (!isAwsError(error, 'InvalidRequestException')) throw error;
        const secret = await secrets.send(new DescribeSecretCommand({ SecretId: a.secretId }));
        if (labelledVersions(secret.VersionIdsToStages).pending === undefined) throw error;
        throw new DeferredError(
          `${a.credential} is rotating (Secrets Manager's own schedule, or another run) (${errorMessage(error)}); the next run sets its schedule`,
        );
      }
    },
    'attach-key': async (a) =>
      (await attachKey(apigw, a.usagePlanId, a.keyId)) ? undefined : 'already attached',
    'record-disabled': (a) => recordDisabled(apigw, a.keyId, config.tagPrefix, deps.now),
    'disable-key': (a) => disableKey(apiIn(a.region), a.keyId, config.tagPrefix, deps.now, a.revoke === true),
    // Re-enabled by hand: the old disable record goes, so a later disable starts a fresh window (I3).
    'forget-disabled': (a) => forgetDisabled(apigw, a.keyId, config.tagPrefix),
    'adopt-key': (a) =>
      adoptKey(
        { apigw, secrets: deps.secrets, config, now: deps.now, regionalApis: deps.regionalApis },
        { keyId: a.keyId, credential: a.credential, policy: a.policy, regions: a.regions },
      ),
    onboard: async (a) => {
      const made = await writeOnboarding(
        { apigw, secrets, config, now: deps.now, regionalApis: deps.regionalApis },
        a,
      );
      return `key ${made.keyId}, secret version ${made.version}`;
    },
    'add-region': (a) => writeAddRegion({ secrets, config, regionalApis: deps.regionalApis }, a),
    'grant-consumers': async (a) => {
      const tag = tagName(config.tagPrefix, TAG.consumers);
      // Merged by statement id: what else the policy says (a security team's deny) stays as it was.
      const { ResourcePolicy: existing } = await secrets.send(
        new GetResourcePolicyCommand({ SecretId: a.secretId }),
      );
      const policy = mergeConsumerPolicy(existing, a.principals, a.secretId);
      if (policy === undefined) await secrets.send(new DeleteResourcePolicyCommand({ SecretId: a.secretId }));
      else
        await secrets.send(
          new PutResourcePolicyCommand({
            SecretId: a.secretId,
            ResourcePolicy: policy,
            BlockPublicPolicy: true,
          }),
        );
      if (a.principals.length === 0) {
        await secrets.send(new UntagResourceCommand({ SecretId: a.secretId, TagKeys: [tag] }));
        return 'no consumer';
      }
      // Says the secret has a policy to read (the inventory reads only those, and those configured).
      await tagSecret(secrets, a.secretId, { [tag]: String(a.principals.length) });
      return `${a.principals.length} consumer role(s)`;
    },
    rollback: async (a) => {
      // Every other region of a multi-region credential first, then this one: AWSCURRENT moves last.
      await restoreInRegions(deps.regionalApis, config, a);
      // Its disable, revocation and emergency-grace records go: retired again later, it starts afresh.
      await enableKey(apigw, a.keyId, config.tagPrefix, !a.enable);
      for (const usagePlanId of a.attachPlanIds) await attachKey(apigw, usagePlanId, a.keyId);
      // Current again from now (the key rolled back from retires from then), its age unchanged.
      await tagApiKey(apigw, a.keyId, {
        [tagName(config.tagPrefix, TAG.restoredAt)]: formatInstant(deps.now),
        ...(a.pauseUntil !== undefined && {
          [tagName(config.tagPrefix, TAG.pausedUntil)]: a.pauseUntil,
          [tagName(config.tagPrefix, TAG.pauseReason)]: a.pauseReason ?? 'rolled back',
        }),
      });
      if (a.clearRequestTag !== undefined)
        await secrets.send(new UntagResourceCommand({ SecretId: a.secretId, TagKeys: [a.clearRequestTag] }));
      await secrets.send(
        new UpdateSecretVersionStageCommand({
          SecretId: a.secretId,
          VersionStage: STAGE.current,
          MoveToVersionId: a.version,
          RemoveFromVersionId: a.fromVersion,
        }),
      );
      // A label left by a rotation interrupted after its last step would read as a rotation in progress.
      if (a.clearPending) {
        await secrets.send(
          new UpdateSecretVersionStageCommand({
            SecretId: a.secretId,
            VersionStage: STAGE.pending,
            RemoveFromVersionId: a.fromVersion,
          }),
        );
      }
      // A rollback is no rotation: the next one recorded starts from the restored version.
      await markRecorded(secrets, a.secretId, a.version, config.tagPrefix);
      return a.version;
    },
    suspend: async (a) => {
      // Recorded first: from then on nothing scheduled rotates it, even if a disable below fails.
      await tagSecret(
        secrets,
        a.secretId,
        suspensionTags(config.tagPrefix, { since: deps.now, version: a.version, reason: a.suspendReason }),
      );
      if (a.clearRequestTag !== undefined)
        await secrets.send(new UntagResourceCommand({ SecretId: a.secretId, TagKeys: [a.clearRequestTag] }));
      for (const keyId of a.disableKeyIds) await disableKey(apigw, keyId, config.tagPrefix, deps.now);
      // A multi-region credential's consumer is cut off in every region.
      const elsewhere = await suspendInRegions(deps.regionalApis, config, a.credential, deps.now);
      return `${a.disableKeyIds.length} key(s) disabled${elsewhere > 0 ? `, ${elsewhere} in other regions` : ''}`;
    },
    resume: async (a) => {
      await resumeInRegions(deps.regionalApis, config, a.credential, a.version);
      await enableKey(apigw, a.keyId, config.tagPrefix, !a.enable);
      // Last: until the key works again, the suspension stands.
      if (a.clearTags.length > 0)
        await secrets.send(new UntagResourceCommand({ SecretId: a.secretId, TagKeys: a.clearTags }));
      return a.keyId;
    },
    'end-suspension': async (a) => {
      await secrets.send(
        new UntagResourceCommand({ SecretId: a.secretId, TagKeys: suspensionTagKeys(config.tagPrefix) }),
      );
    },
    'delete-key': async (a) => {
      try {
        await apiIn(a.region).send(new DeleteApiKeyCommand({ apiKey: a.keyId }));
      } catch (error) {
        if (!isAwsError(error, 'NotFoundException')) throw error;
        return 'already deleted';
      }
    },
  };
}
