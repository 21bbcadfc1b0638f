import type { APIGatewayClient, ApiKey } from '@aws-sdk/client-api-gateway';
import { KeyrotError } from '../commons/errors.js';
import type { Config } from '../core/config.js';
import { TAG, tagName } from '../core/tags.js';
import type { RegionalApis } from '../rotation/regions.js';
import { keyNameFor } from '../rotation/secret-value.js';
import { attachKey, findManagedKey, keysOfCredential, plansOfKey } from '../aws/api-keys.js';
import { disableKey, enableKey } from '../aws/key-state.js';

/** The credential's key of a version in one region: by its derived name, else by its tags. */
function keyOfVersion(apigw: APIGatewayClient, config: Config, credential: string, version: string) {
  return findManagedKey(apigw, keyNameFor(credential, version), {
    [tagName(config.tagPrefix, TAG.credential)]: credential,
    [tagName(config.tagPrefix, TAG.version)]: version,
  });
}

/**
 * A rollback of a multi-region credential: in each other region it lives in (it has a key of the
 * version rolled back from there), the restored version's key is enabled and put in the plans of the
 * key rolled back from, before AWSCURRENT moves: a consumer of the replica must not read a value its
 * region rejects. A region without the restored version's key refuses the rollback, naming it.
 */
export async function restoreInRegions(
  apis: RegionalApis | undefined,
  config: Config,
  a: { credential: string; version: string; fromVersion: string },
): Promise<void> {
  if (apis === undefined) return;
  const find = (region: string, version: string) => keyOfVersion(apis(region), config, a.credential, version);
  for (const region of config.replicaRegions) {
    const from = await find(region, a.fromVersion);
    if (from?.id === undefined) continue;
    const restored = await find(region, a.version);
    if (restored?.id === undefined) {
      throw new KeyrotError(
        `credential ${a.credential}: ${region} no longer has the key of version ${a.version} (it was deleted), so a rollback would give consumers there a value their region rejects; rotate instead (keyrot rotate ${a.credential})`,
      );
    }
    const apigw = apis(region);
    await enableKey(apigw, restored.id, config.tagPrefix, restored.enabled === true);
    for (const usagePlanId of await plansOfKey(apigw, from.id))
      await attachKey(apigw, usagePlanId, restored.id);
  }
}

/** Every key of the credential in a region (keyrot names them all `keyrot-<credential>-...`). */
function keysOf(apigw: APIGatewayClient, config: Config, credential: string): Promise<ApiKey[]> {
  return keysOfCredential(apigw, keyNameFor(credential, ''), {
    name: tagName(config.tagPrefix, TAG.credential),
    value: credential,
  });
}

/**
 * keyrot suspend of a multi-region credential: its consumer is cut off in every region, so every
 * enabled key of it in the other regions is disabled too. Returns how many.
 */
export async function suspendInRegions(
  apis: RegionalApis | undefined,
  config: Config,
  credential: string,
  now: Date,
): Promise<number> {
  if (apis === undefined) return 0;
  let disabled = 0;
  for (const region of config.replicaRegions) {
    const apigw = apis(region);
    for (const key of await keysOf(apigw, config, credential)) {
      if (key.enabled !== true || key.id === undefined) continue;
      await disableKey(apigw, key.id, config.tagPrefix, now);
      disabled++;
    }
  }
  return disabled;
}

/** keyrot resume of a multi-region credential: the key of AWSCURRENT's version works again everywhere. */
export async function resumeInRegions(
  apis: RegionalApis | undefined,
  config: Config,
  credential: string,
  version: string | undefined,
): Promise<void> {
  if (apis === undefined || version === undefined) return;
  for (const region of config.replicaRegions) {
    const apigw = apis(region);
    const key = await keyOfVersion(apigw, config, credential, version);
    if (key?.id !== undefined) await enableKey(apigw, key.id, config.tagPrefix, key.enabled === true);
  }
}
