import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  ReplicateSecretToRegionsCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { InputError, KeyrotError } from '../commons/errors.js';
import { tagSecret } from '../aws/rotation-record.js';
import type { Config } from '../core/config.js';
import { versionWithStage } from '../core/credentials.js';
import { homeRegionElsewhere, ownedElsewhereRefusal } from '../core/home-region.js';
import { readRegionKeys, regionKeysTag } from '../core/rotation-record.js';
import { secretsKeyAlias } from '../core/secrets-key-alias.js';
import { STAGE } from '../core/stages.js';
import { TAG, tagName } from '../core/tags.js';
import type { Action, Inventory, ObservedPlan } from '../core/types.js';
import type { RegionalApis } from '../rotation/regions.js';
import { parseSecretValue } from '../rotation/secret-value.js';
import { checkPlans } from './onboard.js';
import { checkRegions, writeRegionKey } from './regions.js';

export type AddRegionAction = Extract<Action, { kind: 'add-region' }>;

/**
 * keyrot add-region, the plan: every refusal before the first write, each naming the credential and
 * the region. Refused: a region outside replicaRegions (the stack has no grant there), a credential
 * owned by another region's stack, a rotation pending (its setSecret would not know the new region's
 * key yet, and AWSCURRENT is about to move), a plan missing there, a region without its stack's key.
 * A region the secret already has a replica in is finished, not refused (a rerun after a failure). Pure.
 */
export function planAddRegion(
  inventory: Inventory,
  config: Config,
  input: {
    credential: string;
    region: string;
    usagePlanIds: string[];
    /** The stack's own region: the credential's home. */
    home: string;
    /** The named plans as the region's API Gateway has them (readRegionPlans). */
    regionPlans: readonly ObservedPlan[];
    /** Why the region can't encrypt a replica with its stack's key (regionKeyProblems); absent: it can. */
    keyProblem: string | undefined;
  },
): AddRegionAction {
  const { credential, region } = input;
  const secretName = `${config.secretPrefix}${credential}`;
  const secret = inventory.secrets.find((s) => s.name === secretName);
  if (secret === undefined || secret.deletedDate !== undefined)
    throw new InputError(`credential ${credential} does not exist here (no secret ${secretName})`);
  const elsewhere = homeRegionElsewhere(secret);
  if (elsewhere !== undefined) throw new InputError(ownedElsewhereRefusal(credential, secretName, elsewhere));
  if (region === input.home)
    throw new InputError(`credential ${credential}: ${region} is its home region, not one to add`);
  checkRegions(config, credential, [{ region, usagePlanIds: input.usagePlanIds }]);
  const version = versionWithStage(secret, STAGE.current);
  const pending = versionWithStage(secret, STAGE.pending);
  if (version === undefined)
    throw new InputError(`credential ${credential}: secret ${secretName} has no AWSCURRENT version`);
  if (pending !== undefined && pending !== version) {
    throw new InputError(
      `credential ${credential}: a rotation is pending (AWSPENDING on version ${pending}); add ${region} once it has finished (keyrot status ${credential})`,
    );
  }
  const usagePlanIds = [...new Set(input.usagePlanIds)];
  checkPlans(input.regionPlans, usagePlanIds, region);
  if (input.keyProblem !== undefined) {
    throw new InputError(
      `credential ${credential}: ${region} can't hold a replica of its secret: ${input.keyProblem} (the keyrot stack's secrets key there); deploy the keyrot stack in ${region}, with secretPrefix ${JSON.stringify(config.secretPrefix)}, first`,
    );
  }
  const credentialTag = tagName(config.tagPrefix, TAG.credential);
  const versionTag = tagName(config.tagPrefix, TAG.version);
  const homeKey = inventory.keys.find(
    (k) => k.tags[credentialTag] === credential && k.tags[versionTag] === version,
  );
  if (homeKey === undefined) {
    throw new InputError(
      `credential ${credential}: no key here is its AWSCURRENT version ${version}'s; see keyrot status ${credential}`,
    );
  }
  return {
    kind: 'add-region',
    credential,
    secretId: secret.arn,
    secretName,
    region,
    version,
    homeKeyId: homeKey.id,
    keyName: homeKey.name,
    keyTags: homeKey.tags,
    keyDescription: homeKey.description,
    usagePlanIds,
    reason: `keyrot add-region: credential ${credential} in ${region} too, with key ${homeKey.id}'s value in usage plan(s) ${usagePlanIds.join(', ')}`,
  };
}

/**
 * The writes, each one already done skipped: the replica (with the region's stack key), the key of the
 * current version there (found by name when a rerun made it), its plans, then the record last, so a
 * recorded region is a finished one.
 */
export async function writeAddRegion(
  deps: { secrets: SecretsManagerClient; config: Config; regionalApis: RegionalApis | undefined },
  a: AddRegionAction,
): Promise<string> {
  const { secrets, config } = deps;
  if (deps.regionalApis === undefined) throw new KeyrotError(`no API Gateway client for ${a.region}`);
  const described = await secrets.send(new DescribeSecretCommand({ SecretId: a.secretId }));
  let status = described.ReplicationStatus?.find((r) => r.Region === a.region);
  if (status === undefined) {
    const replicated = await secrets.send(
      new ReplicateSecretToRegionsCommand({
        SecretId: a.secretId,
        AddReplicaRegions: [{ Region: a.region, KmsKeyId: secretsKeyAlias(config.secretPrefix) }],
      }),
    );
    status = replicated.ReplicationStatus?.find((r) => r.Region === a.region);
  }
  if (status?.Status === 'Failed') {
    throw new KeyrotError(
      `credential ${a.credential}: Secrets Manager could not replicate ${a.secretName} to ${a.region}: ${status.StatusMessage ?? 'no reason given'}; fix that, remove the failed region (aws secretsmanager remove-regions-from-replication --secret-id ${a.secretName} --remove-replica-regions ${a.region}) and run add-region again`,
    );
  }
  const value = await secrets.send(new GetSecretValueCommand({ SecretId: a.secretId, VersionId: a.version }));
  const { apiKey } = parseSecretValue(value.SecretString, a.secretName, a.version);
  const keyId = await writeRegionKey(deps.regionalApis(a.region), {
    region: a.region,
    credential: a.credential,
    name: a.keyName,
    value: apiKey,
    tags: a.keyTags,
    description: a.keyDescription,
    usagePlanIds: a.usagePlanIds,
  });
  // The region's key of the current version joins the record of the rotation to it (kept when the
  // record is of that version; a credential never rotated since onboarding starts one).
  const tags = Object.fromEntries((described.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
  const keys = readRegionKeys(config.tagPrefix, tags, a.version);
  keys.set(a.region, keyId);
  const record = regionKeysTag(config.tagPrefix, a.version, keys);
  if (record === undefined) {
    throw new KeyrotError(
      `credential ${a.credential}: the keys of ${[...keys.keys()].join(', ')} do not fit one tag (256 characters); a credential spans at most 7 regions`,
    );
  }
  await tagSecret(secrets, a.secretId, record);
  return `key ${keyId} in ${a.region}`;
}
