import { ownedKeysTag } from '../core/ownership.js';
import { tagSecret } from '../aws/rotation-record.js';
import { randomUUID } from 'node:crypto';
import { CreateApiKeyCommand, GetUsagePlanCommand, type APIGatewayClient } from '@aws-sdk/client-api-gateway';
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { InputError, isAwsError, KeyrotError } from '../commons/errors.js';
import { attachKey, findKeyByName } from '../aws/api-keys.js';
import { observedPlan } from '../aws/inventory.js';
import type { Config } from '../core/config.js';
import { scheduleDays, versionWithStage } from '../core/credentials.js';
import { STAGE } from '../core/stages.js';
import { CREDENTIAL_PATTERN, TAG, tagName, creationTags } from '../core/tags.js';
import type { Action, Inventory, ObservedPlan } from '../core/types.js';
import {
  formatSecretValue,
  generateKeyValue,
  keyNameFor,
  parseSecretValue,
} from '../rotation/secret-value.js';
import { configureRotation } from '../rotation/starter.js';
import type { RegionalApis } from '../rotation/regions.js';
import { checkRegions, readRegionPlans, writeRegionKey, type RegionPlans } from './regions.js';
import { homeRegionElsewhere, ownedElsewhereRefusal } from '../core/home-region.js';
import { secretsKeyAlias } from '../core/secrets-key-alias.js';
import type { RegionalKms } from '../commons/regional-kms.js';
import { regionKeyProblems } from './region-keys.js';

export interface OnboardInput {
  credential: string;
  usagePlanIds: string[];
  /** A policy name from the configuration; absent: the default policy. */
  policy?: string | undefined;
  /** Other regions the credential lives in, with its plans there: its secret gets a replica in each. */
  regions?: RegionPlans[] | undefined;
}

export interface OnboardResult {
  credential: string;
  secretArn: string;
  keyId: string;
  version: string;
}

export type OnboardAction = Extract<Action, { kind: 'onboard' }>;

/**
 * keyrot onboard, the plan. Every input is checked against the account before the first write: the
 * name, the policy, that every plan exists, that no two plans open the same API stage (a key can be in
 * one plan per stage: the second attachment would fail after the key exists), that the name is free.
 * An onboarding a failure or a crash left half done (its secret made, rotation not yet configured) is
 * finished, not refused: running the same command again completes it. Pure.
 */
export function planOnboard(
  inventory: Inventory,
  config: Config,
  input: OnboardInput & {
    newVersion: string;
    /** The plans `regions` names, as each region's API Gateway has them (readRegionPlans). */
    regionPlans?: ReadonlyMap<string, ObservedPlan[]> | undefined;
    /** Why a region of `regions` can't encrypt its replica with its stack's key (regionKeyProblems). */
    regionKeyProblems?: ReadonlyMap<string, string> | undefined;
  },
): OnboardAction {
  const name = input.credential;
  if (!CREDENTIAL_PATTERN.test(name)) {
    throw new InputError(
      `credential ${JSON.stringify(name)} is not a valid name; expected 1-64 of A-Z a-z 0-9 _ . -, starting with a letter or digit`,
    );
  }
  // Its secret here is a replica: the credential exists, owned by its home region's stack.
  const replica = inventory.secrets.find((s) => s.name === `${config.secretPrefix}${name}`);
  const home = replica === undefined ? undefined : homeRegionElsewhere(replica);
  if (replica !== undefined && home !== undefined)
    throw new InputError(ownedElsewhereRefusal(name, replica.name, home));
  const policyName = input.policy ?? config.defaultPolicy;
  const policy = config.policies[policyName];
  if (policy === undefined) {
    throw new InputError(
      `policy ${JSON.stringify(policyName)} is not one of ${Object.keys(config.policies).join(', ')}`,
    );
  }
  const usagePlanIds = [...new Set(input.usagePlanIds)];
  checkPlans(inventory.plans, usagePlanIds, 'this account and region');
  const regions = (input.regions ?? []).map((r) => ({ ...r, usagePlanIds: [...new Set(r.usagePlanIds)] }));
  checkRegions(config, name, regions);
  for (const { region, usagePlanIds: ids } of regions)
    checkPlans(input.regionPlans?.get(region) ?? [], ids, region);

  const secretName = `${config.secretPrefix}${name}`;
  const credentialTag = tagName(config.tagPrefix, TAG.credential);
  const secret = inventory.secrets.find((s) => s.name === secretName);
  const keys = inventory.keys.filter((k) => k.tags[credentialTag] === name);
  const base = {
    kind: 'onboard' as const,
    credential: name,
    secretName,
    policy: input.policy,
    scheduleDays: scheduleDays(policy),
    usagePlanIds,
    regions,
  };
  if (secret === undefined) {
    // Its replicas are made with the secret: a region that can't take one is refused before it.
    for (const { region } of regions) {
      const problem = input.regionKeyProblems?.get(region);
      if (problem !== undefined)
        throw new InputError(
          `credential ${name}: ${region} can't hold a replica of its secret: ${problem} (the keyrot stack's secrets key there); deploy the keyrot stack in ${region}, with secretPrefix ${JSON.stringify(config.secretPrefix)}, first`,
        );
    }
    if (keys.length > 0) {
      throw new InputError(
        `credential ${name}: API key(s) ${keys.map((k) => k.id).join(', ')} are tagged ${credentialTag}=${name} but there is no secret ${secretName}; delete them, or take them over with keyrot adopt`,
      );
    }
    return {
      ...base,
      secretId: undefined,
      version: input.newVersion,
      keyId: undefined,
      attachPlanIds: usagePlanIds,
      reason: `keyrot onboard: credential ${name} (policy ${policyName}) with a first key in usage plan(s) ${usagePlanIds.join(', ')}`,
    };
  }
  if (secret.deletedDate !== undefined) {
    throw new InputError(
      `credential ${name}: secret ${secretName} is scheduled for deletion; restore it (runbooks/restore-deleted-secret.md) or wait until it is gone`,
    );
  }
  const version = versionWithStage(secret, STAGE.current);
  const recorded = secret.tags[tagName(config.tagPrefix, TAG.recordedVersion)];
  // Half done: the secret onboarding made (its first version, recorded), rotation not configured yet.
  const unfinished =
    !secret.rotationEnabled &&
    version !== undefined &&
    recorded === version &&
    secret.tags[credentialTag] === name &&
    Object.keys(secret.versions).length === 1;
  if (!unfinished) {
    throw new InputError(
      `credential ${name} already exists (secret ${secretName}); see keyrot status ${name}`,
    );
  }
  const key = keys.find((k) => k.tags[tagName(config.tagPrefix, TAG.version)] === version);
  return {
    ...base,
    secretId: secret.arn,
    version,
    keyId: key?.id,
    attachPlanIds: usagePlanIds.filter((p) => !(key?.planIds ?? []).includes(p)),
    reason: `keyrot onboard: finishing credential ${name}, left half done (secret ${secretName} made${key === undefined ? '' : `, key ${key.id}`}, rotation not configured)`,
  };
}

/** Every plan exists, and no two open the same API stage (see planOnboard). */
export function checkPlans(plans: readonly ObservedPlan[], usagePlanIds: string[], where: string): void {
  if (usagePlanIds.length === 0)
    throw new InputError(`give at least one usage plan of ${where} (--plan <id>)`);
  const byId = new Map(plans.map((p) => [p.id, p]));
  const missing = usagePlanIds.filter((id) => !byId.has(id));
  if (missing.length > 0) {
    throw new InputError(
      `usage plan(s) ${missing.join(', ')} not found in ${where}; list them with: aws apigateway get-usage-plans`,
    );
  }
  const planOfStage = new Map<string, string>();
  for (const id of usagePlanIds) {
    for (const stage of byId.get(id)!.apiStages) {
      const name = `${stage.apiId}:${stage.stage}`;
      const other = planOfStage.get(name);
      if (other !== undefined) {
        throw new InputError(
          `usage plans ${other} and ${id} both open API stage ${name}: a key can be in only one usage plan per API stage; choose one of them`,
        );
      }
      planOfStage.set(name, id);
    }
  }
}

interface OnboardDeps {
  apigw: APIGatewayClient;
  secrets: SecretsManagerClient;
  config: Config;
  now: Date;
  /** API Gateway of the credential's other regions (needed when the onboarding names any). */
  regionalApis?: RegionalApis | undefined;
}

/**
 * The writes of an onboarding, each one that is already done skipped: the secret (its first version
 * is AWSCURRENT), generation 1 of the key with that value, its plans, then the rotation schedule last,
 * so a secret with rotation configured is a finished onboarding.
 */
export async function writeOnboarding(deps: OnboardDeps, a: OnboardAction): Promise<OnboardResult> {
  const { config } = deps;
  const credentialTag = tagName(config.tagPrefix, TAG.credential);
  let secretArn = a.secretId;
  let apiKey: string;
  if (secretArn === undefined) {
    apiKey = generateKeyValue();
    try {
      const secret = await deps.secrets.send(
        new CreateSecretCommand({
          Name: a.secretName,
          Description: `API Gateway key of credential ${a.credential}, rotated by keyrot`,
          ClientRequestToken: a.version,
          KmsKeyId: config.secretKmsKeyId,
          SecretString: formatSecretValue({ credential: a.credential, apiKey }),
          // Consumers in each other region read a replica there; rotation runs on this primary only.
          // Each replica with its own region's stack key, by the alias every stack gives it: a consumer in
          // another account can be granted a customer managed key, never aws/secretsmanager.
          ...(a.regions.length > 0 && {
            AddReplicaRegions: a.regions.map((r) => ({
              Region: r.region,
              KmsKeyId: secretsKeyAlias(config.secretPrefix),
            })),
          }),
          Tags: [
            { Key: credentialTag, Value: a.credential },
            // Onboarding is no rotation: the first one recorded is the one after this version.
            { Key: tagName(config.tagPrefix, TAG.recordedVersion), Value: a.version },
          ],
        }),
      );
      secretArn = secret.ARN ?? '';
    } catch (error) {
      if (isAwsError(error, 'ResourceExistsException')) {
        throw new InputError(`credential ${a.credential} already exists (secret ${a.secretName})`);
      }
      throw error;
    }
  } else {
    const value = await deps.secrets.send(
      new GetSecretValueCommand({ SecretId: secretArn, VersionId: a.version }),
    );
    apiKey = parseSecretValue(value.SecretString, a.secretName, a.version).apiKey;
  }
  const name = keyNameFor(a.credential, a.version);
  let keyId = a.keyId;
  const tags = creationTags(config.tagPrefix, {
    credential: a.credential,
    generation: 1,
    version: a.version,
    createdAt: deps.now,
    activatedAt: deps.now,
    policy: a.policy,
  });
  if (keyId === undefined) {
    try {
      const key = await deps.apigw.send(
        new CreateApiKeyCommand({
          name,
          description: `keyrot: credential ${a.credential}, generation 1`,
          enabled: true,
          value: apiKey,
          tags,
        }),
      );
      keyId = key.id ?? '';
    } catch (error) {
      // Made by an earlier attempt that stopped before its answer was seen: the same value, found by name.
      if (!isAwsError(error, 'ConflictException')) throw error;
      keyId = (await findKeyByName(deps.apigw, name))?.id;
      if (keyId === undefined) {
        throw new KeyrotError(
          `credential ${a.credential}: API Gateway says a key with its value exists, but no key is named ${name}; find it (aws apigateway get-api-keys) and delete or rename it, then run onboard again`,
          { cause: error },
        );
      }
    }
  }
  for (const usagePlanId of a.keyId === undefined ? a.usagePlanIds : a.attachPlanIds)
    await attachKey(deps.apigw, usagePlanId, keyId);
  // The same value in every other region, before the schedule: a rotation expects a key everywhere.
  for (const { region, usagePlanIds } of a.regions) {
    if (deps.regionalApis === undefined)
      throw new KeyrotError(`credential ${a.credential}: no API Gateway client for ${region}`);
    await writeRegionKey(deps.regionalApis(region), {
      region,
      credential: a.credential,
      name,
      value: apiKey,
      tags,
      usagePlanIds,
    });
  }
  // The credential owns its first key (only recorded keys are acted on: core/ownership.ts); before the
  // schedule, so a finished onboarding has its record.
  await tagSecret(deps.secrets, secretArn, ownedKeysTag(config.tagPrefix, [], [keyId]));
  await configureRotation(deps.secrets, {
    secretId: secretArn,
    scheduleDays: a.scheduleDays,
    rotationLambdaArn: config.rotationLambdaArn,
  });
  return { credential: a.credential, secretArn, keyId, version: a.version };
}

/**
 * Creates a managed credential: its secret (AWSCURRENT) and generation 1 of its key, in the given plans.
 * For scripts and seeding: reads only the named plans (no account inventory), so it never finishes a
 * half-done onboarding; `keyrot onboard` does.
 */
export async function onboardCredential(
  deps: OnboardDeps & {
    /** KMS of the credential's other regions: their stack keys are checked first (else Secrets Manager's replication fails there). */
    regionalKms?: RegionalKms | undefined;
  },
  input: OnboardInput,
): Promise<OnboardResult> {
  const regionPlans =
    input.regions === undefined || deps.regionalApis === undefined
      ? undefined
      : await readRegionPlans(deps.regionalApis, input.regions);
  const keyProblems =
    input.regions === undefined || deps.regionalKms === undefined
      ? undefined
      : await regionKeyProblems(
          deps.regionalKms,
          input.regions.map((r) => r.region),
          secretsKeyAlias(deps.config.secretPrefix),
        );
  const plans: ObservedPlan[] = [];
  for (const usagePlanId of new Set(input.usagePlanIds)) {
    try {
      plans.push(observedPlan(await deps.apigw.send(new GetUsagePlanCommand({ usagePlanId }))));
    } catch (error) {
      if (!isAwsError(error, 'NotFoundException')) throw error;
    }
  }
  const action = planOnboard({ keys: [], secrets: [], plans }, deps.config, {
    ...input,
    newVersion: randomUUID(),
    regionPlans,
    regionKeyProblems: keyProblems,
  });
  return writeOnboarding(deps, action);
}
