import type { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import { errorMessage } from '../commons/errors.js';
import { readUnmanagedDigests } from '../aws/key-digests.js';
import type { Config } from '../core/config.js';
import { matchCopies, type DigestedKey } from '../core/region-adoption.js';
import { TAG, tagName } from '../core/tags.js';
import type { Inventory } from '../core/types.js';
import type { RegionalApis } from '../rotation/regions.js';

/**
 * The inventory with which of its unmanaged keys share a value with unmanaged keys of the stack's other
 * regions, so the plan applies the one rule of core/region-adoption.ts: read only while `unmanaged` is
 * `adopt` and an enabled unmanaged key is here. Values are read (includeValues) and compared as digests
 * in memory; only key ids reach the inventory. A region that can't be read is a `read-failed` finding
 * and holds every adoption of this run: a copy there is unknown.
 */
export async function withSharedValues(
  inventory: Inventory,
  config: Config,
  clients: { home: APIGatewayClient; apis: RegionalApis | undefined },
  where: { region: string; order: string[] },
  log: Logger,
): Promise<Inventory> {
  const { apis } = clients;
  if (config.hygiene.unmanaged.action !== 'adopt' || apis === undefined || config.replicaRegions.length === 0)
    return inventory;
  const credentialTag = tagName(config.tagPrefix, TAG.credential);
  if (!inventory.keys.some((k) => k.enabled && k.tags[credentialTag] === undefined)) return inventory;
  const problems: string[] = [];
  const unread: string[] = [];
  const read = async (region: string, apigw: APIGatewayClient): Promise<DigestedKey[]> => {
    try {
      return await readUnmanagedDigests(apigw, credentialTag);
    } catch (error) {
      const message = `region ${region}: its unmanaged keys' values could not be compared, so no key is adopted this run: ${errorMessage(error)}`;
      log.warn(message);
      problems.push(message);
      unread.push(region);
      return [];
    }
  };
  const [here, elsewhere] = await Promise.all([
    read(where.region, clients.home),
    Promise.all(
      config.replicaRegions.map(async (region) => ({ region, keys: await read(region, apis(region)) })),
    ),
  ]);
  return {
    ...inventory,
    sharedValues: {
      region: where.region,
      order: where.order,
      unread,
      keys: matchCopies(here, elsewhere),
    },
    problems: [...(inventory.problems ?? []), ...problems],
  };
}
