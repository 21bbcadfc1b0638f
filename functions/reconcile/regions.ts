import type { Logger } from '@aws-lambda-powertools/logger';
import { errorMessage } from '../commons/errors.js';
import { readKeys } from '../aws/inventory.js';
import type { Config } from '../core/config.js';
import { planRegionalRetirement, type RegionKeys } from '../core/regional-retirement.js';
import type { Inventory, Plan } from '../core/types.js';
import type { RegionalApis } from '../rotation/regions.js';

/**
 * Adds to a run's plan the retirement of multi-region credentials' keys in the stack's other regions
 * (config.replicaRegions). A region that can't be read is a finding naming it: only its keys wait.
 */
export async function planOtherRegions(
  plan: Plan,
  home: Inventory,
  config: Config,
  apis: RegionalApis | undefined,
  log: Logger,
): Promise<void> {
  if (apis === undefined || config.replicaRegions.length === 0) return;
  const read = await Promise.all(
    config.replicaRegions.map(async (region): Promise<RegionKeys | undefined> => {
      try {
        return { region, keys: await readKeys(apis(region)) };
      } catch (error) {
        const message = `region ${region}: its API keys could not be read, so its keys of multi-region credentials wait for a later run: ${errorMessage(error)}`;
        log.warn(message);
        plan.findings.push({ kind: 'read-failed', message });
        return undefined;
      }
    }),
  );
  const regions = read.filter((r): r is RegionKeys => r !== undefined);
  plan.actions.push(...planRegionalRetirement(home, plan.actions, regions, config));
}
