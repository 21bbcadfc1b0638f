import type { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import { errorMessage } from '../commons/errors.js';
import { readKeys, readPlans } from '../aws/inventory.js';
import { readUsage } from '../aws/usage.js';
import type { Config } from '../core/config.js';
import { planRegionalRetirement } from '../core/regional-retirement.js';
import { usageNeeded } from '../core/regional-usage.js';
import type { Inventory, Plan, RegionKeys } from '../core/types.js';
import type { RegionalApis } from '../rotation/regions.js';

/**
 * The home inventory with the stack's other regions (config.replicaRegions) as read there: their keys,
 * and their usage when one of those keys could postpone a retirement (a consumer of a multi-region
 * credential still on an old value there) or is the twin of a current key unused here (its consumer
 * may call that region only). A region that can't be read is a `read-failed` finding
 * naming it: its keys wait for a later run; its usage unread adds no request, like this region's own.
 */
export async function withOtherRegions(
  home: Inventory,
  config: Config,
  apis: RegionalApis | undefined,
  now: Date,
  log: Logger,
): Promise<Inventory> {
  if (apis === undefined || config.replicaRegions.length === 0) return home;
  const problems: string[] = [];
  const failed = (message: string) => {
    log.warn(message);
    problems.push(message);
  };
  const read = await Promise.all(
    config.replicaRegions.map(async (region): Promise<RegionKeys | undefined> => {
      const apigw = apis(region);
      let keys;
      try {
        keys = await readKeys(apigw);
      } catch (error) {
        failed(
          `region ${region}: its API keys could not be read, so its keys of multi-region credentials wait for a later run: ${errorMessage(error)}`,
        );
        return undefined;
      }
      // As at home: no usage read while the unused check is off.
      if (config.hygiene.unused.action === 'ignore' || !usageNeeded(home, keys, config))
        return { region, keys };
      try {
        return { region, keys, usage: await regionUsage(apigw, now, config.hygiene.unused.days) };
      } catch (error) {
        failed(
          `region ${region}: usage (GetUsage) could not be read, so requests there postpone no retirement this run: ${errorMessage(error)}`,
        );
        return { region, keys };
      }
    }),
  );
  return {
    ...home,
    otherRegions: read.filter((r): r is RegionKeys => r !== undefined),
    problems: [...(home.problems ?? []), ...problems],
  };
}

/**
 * The other regions' keys again once a run wrote (a rotation made keys there, a retirement disabled or
 * deleted some), for its report; no usage. A region that can't be read now is left out: the report
 * shows it as the run read it and acted on it.
 */
export async function otherRegionsAfter(
  before: Inventory,
  apis: RegionalApis | undefined,
  log: Logger,
): Promise<RegionKeys[] | undefined> {
  if (apis === undefined || before.otherRegions === undefined) return undefined;
  const read = await Promise.all(
    before.otherRegions.map(async ({ region }): Promise<RegionKeys | undefined> => {
      try {
        return { region, keys: await readKeys(apis(region)) };
      } catch (error) {
        log.warn(
          `region ${region}: its API keys could not be read again after the run: ${errorMessage(error)}`,
        );
        return undefined;
      }
    }),
  );
  return read.filter((r): r is RegionKeys => r !== undefined);
}

/** One region's usage of every key over the window: one GetUsage call per plan and page. */
async function regionUsage(apigw: APIGatewayClient, now: Date, days: number) {
  const plans = await readPlans(apigw, false);
  return readUsage(
    apigw,
    plans.map((p) => p.plan.id),
    now,
    days,
  );
}

/**
 * Adds to a run's plan the retirement of multi-region credentials' keys in the stack's other regions,
 * following the home region's retirements (those regions as `withOtherRegions` read them).
 */
export function planOtherRegions(plan: Plan, home: Inventory, config: Config): void {
  if (home.otherRegions === undefined) return;
  plan.actions.push(...planRegionalRetirement(home, plan.actions, home.otherRegions, config));
}
