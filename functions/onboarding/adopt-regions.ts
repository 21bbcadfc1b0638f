import { GetApiKeyCommand, type APIGatewayClient } from '@aws-sdk/client-api-gateway';
import {
  ReplicateSecretToRegionsCommand,
  type DescribeSecretResponse,
  type ReplicationStatusType,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { KeyrotError } from '../commons/errors.js';
import { tagSecret } from '../aws/rotation-record.js';
import type { Config } from '../core/config.js';
import { readRegionKeys, regionKeysTag } from '../core/rotation-record.js';
import { secretsKeyAlias } from '../core/secrets-key-alias.js';
import type { RegionalApis } from '../rotation/regions.js';

/** The keys of other regions adopted with a key here: the same value, one credential. */
export type AdoptedCopies = readonly { region: string; keyId: string }[];

/** The API Gateway of a copy's region. */
export function regionApi(apis: RegionalApis | undefined, region: string): APIGatewayClient {
  if (apis === undefined) throw new KeyrotError(`no API Gateway client for ${region}`);
  return apis(region);
}

/**
 * Each copy still holds the home key's value (compared in memory; API Gateway never changes a key's
 * value, but a key may have been deleted and another made under a new id since the plan).
 */
export async function checkCopies(
  apis: RegionalApis | undefined,
  credential: string,
  homeValue: string,
  copies: AdoptedCopies,
): Promise<void> {
  for (const { region, keyId } of copies) {
    const copy = await regionApi(apis, region).send(
      new GetApiKeyCommand({ apiKey: keyId, includeValue: true }),
    );
    if (copy.value !== homeValue) {
      throw new KeyrotError(
        `cannot adopt ${credential} in ${region}: key ${keyId} there no longer holds the same value as the key here; the next run decides again`,
      );
    }
  }
}

/** The record of the adopted version naming each copy: what setSecret records for a rotation. */
export function copiesRecord(
  config: Config,
  credential: string,
  version: string,
  recorded: ReadonlyMap<string, string>,
  copies: AdoptedCopies,
): Record<string, string> {
  const keys = new Map(recorded);
  for (const { region, keyId } of copies) keys.set(region, keyId);
  const record = regionKeysTag(config.tagPrefix, version, keys);
  if (record === undefined) {
    throw new KeyrotError(
      `credential ${credential}: the keys of ${[...keys.keys()].join(', ')} do not fit one tag (256 characters); a credential spans at most 7 regions`,
    );
  }
  return record;
}

/** Each copy's region gets a replica encrypted with its stack's key, by the alias every stack gives it. */
export const replicaRegionsOf = (config: Config, copies: AdoptedCopies) =>
  copies.map((c) => ({ Region: c.region, KmsKeyId: secretsKeyAlias(config.secretPrefix) }));

/** A replica Secrets Manager could not make: named with the way out. */
export function refuseFailedReplicas(
  credential: string,
  secretName: string,
  status: readonly ReplicationStatusType[] | undefined,
): void {
  const failed = (status ?? []).find((r) => r.Status === 'Failed');
  if (failed === undefined) return;
  throw new KeyrotError(
    `credential ${credential}: Secrets Manager could not replicate ${secretName} to ${failed.Region ?? '?'}: ${failed.StatusMessage ?? 'no reason given'}; fix that (the keyrot stack's secrets key there), remove the failed region (aws secretsmanager remove-regions-from-replication --secret-id ${secretName} --remove-replica-regions ${failed.Region ?? '?'}) and the next run finishes the adoption`,
  );
}

/**
 * A secret an earlier run made before it crashed: the replicas and the record it may lack are added,
 * each one already there kept.
 */
export async function finishReplicas(
  deps: { secrets: SecretsManagerClient; config: Config },
  existing: DescribeSecretResponse,
  a: { credential: string; secretId: string; version: string; copies: AdoptedCopies },
): Promise<void> {
  const { secrets, config } = deps;
  const name = existing.Name ?? a.secretId;
  const missing = a.copies.filter(
    (c) => !(existing.ReplicationStatus ?? []).some((r) => r.Region === c.region),
  );
  let status = existing.ReplicationStatus;
  if (missing.length > 0) {
    const replicated = await secrets.send(
      new ReplicateSecretToRegionsCommand({
        SecretId: a.secretId,
        AddReplicaRegions: replicaRegionsOf(config, missing),
      }),
    );
    status = [...(status ?? []), ...(replicated.ReplicationStatus ?? [])];
  }
  refuseFailedReplicas(a.credential, name, status);
  const tags = Object.fromEntries((existing.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
  const recorded = readRegionKeys(config.tagPrefix, tags, a.version);
  if (a.copies.every((c) => recorded.get(c.region) === c.keyId)) return;
  await tagSecret(secrets, a.secretId, copiesRecord(config, a.credential, a.version, recorded, a.copies));
}
