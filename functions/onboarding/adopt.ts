import { ownedKeysTag } from '../core/ownership.js';
import { randomUUID } from 'node:crypto';
import { GetApiKeyCommand, type APIGatewayClient } from '@aws-sdk/client-api-gateway';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { KeyrotError, isAwsError } from '../commons/errors.js';
import type { Config } from '../core/config.js';
import { scheduleDays } from '../core/credentials.js';
import { TAG, tagName, creationTags } from '../core/tags.js';
import { formatSecretValue } from '../rotation/secret-value.js';
import { configureRotation } from '../rotation/starter.js';
import { tagApiKey } from '../aws/api-keys.js';
import { labelledVersions } from '../core/stages.js';
import type { RegionalApis } from '../rotation/regions.js';
import {
  checkCopies,
  copiesRecord,
  finishReplicas,
  refuseFailedReplicas,
  regionApi,
  replicaRegionsOf,
  type AdoptedCopies,
} from './adopt-regions.js';

export interface AdoptDeps {
  apigw: APIGatewayClient;
  secrets: SecretsManagerClient;
  config: Config;
  now: Date;
  /** API Gateway of the other regions, for a key adopted with its copies there. */
  regionalApis?: RegionalApis | undefined;
}

/**
 * Brings an existing key under management: its value goes into a new secret (which records the key id,
 * since the key's name is not derived from a version), then the key is tagged. Secret first, so a crash
 * in between is finished by the next run instead of leaving a managed key without a secret.
 *
 * With copies of its value in other regions (core/region-adoption.ts): the secret is made with a replica
 * in each of their regions and the record naming them, then the copies are tagged, the key here last:
 * until it is, the other regions' stacks still see an unmanaged key here with their value and defer.
 */
export async function adoptKey(
  deps: AdoptDeps,
  input: { keyId: string; credential: string; policy: string; regions?: AdoptedCopies | undefined },
): Promise<string> {
  const { apigw, secrets, config } = deps;
  const copies = input.regions ?? [];
  const policy = config.policies[input.policy];
  if (policy === undefined) throw new KeyrotError(`policy ${input.policy} is not configured`);
  const key = await apigw.send(new GetApiKeyCommand({ apiKey: input.keyId, includeValue: true }));
  if (key.value === undefined) throw new KeyrotError(`key ${input.keyId} has no readable value`);
  await checkCopies(deps.regionalApis, input.credential, key.value, copies);
  const name = `${config.secretPrefix}${input.credential}`;
  let version: string = randomUUID();
  let secretArn: string;
  try {
    const created = await secrets.send(
      new CreateSecretCommand({
        Name: name,
        Description: `API Gateway key of credential ${input.credential} (adopted key ${input.keyId}${copies.length > 0 ? ` and its copies in ${copies.map((c) => c.region).join(', ')}` : ''}), rotated by keyrot`,
        ClientRequestToken: version,
        KmsKeyId: config.secretKmsKeyId,
        // Consumers in the copies' regions read a replica there, each with its region's stack key.
        ...(copies.length > 0 && { AddReplicaRegions: replicaRegionsOf(config, copies) }),
        SecretString: formatSecretValue({
          credential: input.credential,
          apiKey: key.value,
          apiKeyId: input.keyId,
        }),
        Tags: [
          { Key: tagName(config.tagPrefix, TAG.credential), Value: input.credential },
          // Adoption is no rotation: the first one recorded is the one after this version.
          { Key: tagName(config.tagPrefix, TAG.recordedVersion), Value: version },
          // Which key it holds: a run that crashed after this call finishes the adoption by it.
          { Key: tagName(config.tagPrefix, TAG.adoptedKey), Value: input.keyId },
          // The credential owns it: only recorded keys are acted on (core/ownership.ts).
          ...Object.entries(ownedKeysTag(config.tagPrefix, [], [input.keyId])).map(([Key, Value]) => ({
            Key,
            Value,
          })),
          // The copies are the adopted version's keys there, as a rotation's setSecret records them.
          ...Object.entries(
            copies.length === 0 ? {} : copiesRecord(config, input.credential, version, new Map(), copies),
          ).map(([Key, Value]) => ({ Key, Value })),
        ],
      }),
    );
    secretArn = created.ARN ?? name;
    refuseFailedReplicas(input.credential, name, created.ReplicationStatus);
  } catch (error) {
    if (!isAwsError(error, 'ResourceExistsException')) throw error;
    // A run that crashed after creating the secret: finish only if the secret is this key's, as its
    // tag says (the reconciler never reads a secret's value).
    const existing = await secrets.send(new DescribeSecretCommand({ SecretId: name }));
    const adopted = existing.Tags?.find((t) => t.Key === tagName(config.tagPrefix, TAG.adoptedKey))?.Value;
    const { current } = labelledVersions(existing.VersionIdsToStages);
    if (adopted !== input.keyId || current === undefined) {
      throw new KeyrotError(
        `cannot adopt key ${input.keyId} as ${input.credential}: secret ${name} belongs to ${adopted === undefined ? 'another credential' : `key ${adopted}`}`,
      );
    }
    version = current;
    secretArn = existing.ARN ?? name;
    if (copies.length > 0)
      await finishReplicas({ secrets, config }, existing, { ...input, secretId: secretArn, version, copies });
  }
  const created = key.createdDate ?? deps.now;
  const tags = creationTags(config.tagPrefix, {
    credential: input.credential,
    generation: 1,
    version,
    createdAt: created,
    // Its value has been in use since it was created: that is when its rotation clock started.
    activatedAt: created,
    policy: input.policy,
  });
  // The same tags in every region, as onboarding gives them: a rotation finds each region's current key
  // by its credential and version.
  for (const { region, keyId } of copies) await tagApiKey(regionApi(deps.regionalApis, region), keyId, tags);
  await tagApiKey(apigw, input.keyId, tags);
  await configureRotation(secrets, {
    secretId: secretArn,
    scheduleDays: scheduleDays(policy),
    rotationLambdaArn: config.rotationLambdaArn,
  });
  return `adopted as ${input.credential}${copies.length > 0 ? ` in ${copies.length + 1} regions` : ''}`;
}
